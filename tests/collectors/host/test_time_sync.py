"""Time sync: chrony/timesyncd/ntpd configuration and systemd enablement."""

from __future__ import annotations

from annexa.collectors.host.time_sync import TimeSyncCollector


def _daemon(data: dict, name: str) -> dict:
    return next(d for d in data["daemons"] if d["name"] == name)


def test_timesyncd_enabled_by_alias_with_dropin_servers(tree, fact_data):
    root = tree(
        {
            "/etc/systemd/timesyncd.conf": "[Time]\n#NTP=\nNTP=a.example.com\n",
            "/etc/systemd/timesyncd.conf.d/10-corp.conf": "[Time]\nNTP=ntp1.corp ntp2.corp\nFallbackNTP=\n",
        },
        links={
            "/etc/systemd/system/dbus-org.freedesktop.timesync1.service": "/lib/systemd/system/systemd-timesyncd.service"
        },
    )
    timesyncd = _daemon(fact_data(TimeSyncCollector, root), "systemd-timesyncd")
    assert timesyncd["enabled"] and timesyncd["configured"]
    assert timesyncd["servers"] == ["ntp1.corp", "ntp2.corp"]  # the drop-in overrides the main file
    assert timesyncd["builtin_fallback"] is False


def test_timesyncd_without_servers_uses_builtin_fallback(tree, fact_data):
    root = tree(
        {"/etc/systemd/timesyncd.conf": "[Time]\n#NTP=\n#FallbackNTP=0.debian.pool.ntp.org\n"},
        links={
            "/etc/systemd/system/sysinit.target.wants/systemd-timesyncd.service": "/lib/systemd/system/systemd-timesyncd.service"
        },
    )
    data = fact_data(TimeSyncCollector, root)
    timesyncd = _daemon(data, "systemd-timesyncd")
    assert timesyncd["builtin_fallback"] and timesyncd["configured"] and timesyncd["servers"] == []
    assert data["enabled_daemons"] == ["systemd-timesyncd"]


def test_masked_unit_is_not_enabled(tree, fact_data):
    root = tree(
        {"/etc/chrony.conf": "server 10.0.0.1 iburst\n"},
        links={
            "/etc/systemd/system/multi-user.target.wants/chronyd.service": "/usr/lib/systemd/system/chronyd.service",
            "/etc/systemd/system/chronyd.service": "/dev/null",
        },
    )
    chrony = _daemon(fact_data(TimeSyncCollector, root), "chrony")
    assert chrony["servers"] == ["10.0.0.1"] and chrony["configured"]
    assert chrony["enabled"] is False


def test_chrony_reads_only_its_first_config_and_includes(tree, fact_data):
    root = tree(
        {
            "/etc/chrony/chrony.conf": "include /etc/chrony/extra/*.conf\n! pool commented.example\n",
            "/etc/chrony/extra/a.conf": "pool pool.example iburst maxsources 4\n",
            "/etc/chrony.conf": "server ignored.example\n",
        }
    )
    chrony = _daemon(fact_data(TimeSyncCollector, root), "chrony")
    assert chrony["servers"] == ["pool.example"]
    assert chrony["config_files"] == ["/etc/chrony/chrony.conf", "/etc/chrony/extra/a.conf"]


def test_ntpsec_servers(tree, fact_data):
    root = tree(
        {"/etc/ntpsec/ntp.conf": "pool 0.debian.pool.ntp.org iburst\nserver 192.0.2.1 # lab\nrestrict default kod\n"},
        links={"/etc/systemd/system/multi-user.target.wants/ntpsec.service": "/lib/systemd/system/ntpsec.service"},
    )
    ntpd = _daemon(fact_data(TimeSyncCollector, root), "ntpd")
    assert ntpd["servers"] == ["0.debian.pool.ntp.org", "192.0.2.1"] and ntpd["enabled"]
