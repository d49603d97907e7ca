"""Time sync: Debian 12's chrony and timesyncd as their daemons read them, and whether they run."""

from __future__ import annotations

from annexa.collectors.host.time_sync import TimeSyncCollector
from annexa.model import CollectionError, Fact


def _daemon(data: dict, name: str) -> dict:
    return next(d for d in data["daemons"] if d["name"] == name)


def test_debian_chrony_default_pool_and_enablement(debian12, fact_data):
    data = fact_data(TimeSyncCollector, debian12("chrony"))
    chrony = _daemon(data, "chrony")
    assert chrony["servers"] == ["2.debian.pool.ntp.org"] and chrony["enabled"] is True
    assert chrony["config_files"] == ["/etc/chrony/chrony.conf"]  # conf.d and sources.d hold only READMEs
    assert data["enabled_daemons"] == ["chrony"]


def test_debian_timesyncd_uses_its_builtin_fallback(debian12, fact_data):
    timesyncd = _daemon(fact_data(TimeSyncCollector, debian12("systemd-timesyncd")), "systemd-timesyncd")
    assert timesyncd["enabled"] is True and timesyncd["builtin_fallback"] and timesyncd["configured"]


def test_timesyncd_in_a_container_does_not_run(debian12, fact_data):
    """systemd-timesyncd.service has ConditionVirtualization=!container."""
    data = fact_data(TimeSyncCollector, debian12("systemd-timesyncd", files={"/.dockerenv": ""}))
    timesyncd = _daemon(data, "systemd-timesyncd")
    assert timesyncd["enabled"] is False and "ConditionVirtualization=!container does not hold" in timesyncd["reason"]
    assert data["enabled_daemons"] == []
    nspawn = debian12("systemd-timesyncd", files={"/run/systemd/container": "systemd-nspawn\n"})
    assert _daemon(fact_data(TimeSyncCollector, nspawn), "systemd-timesyncd")["enabled"] is False


def test_chrony_in_a_container_is_an_error_not_a_pass(debian12, collect):
    """chrony.service has ConditionCapability=CAP_SYS_TIME, which a container may drop."""
    fact, error = collect(TimeSyncCollector, debian12("chrony", files={"/.dockerenv": ""}))
    assert isinstance(fact, Fact) and isinstance(error, CollectionError) and error.code == "undetermined"
    assert "ConditionCapability=CAP_SYS_TIME" in error.message and _daemon(fact.data, "chrony")["enabled"] is None


def test_timesyncd_dropins_add_reset_and_override(debian12, fact_data):
    files = {
        "/etc/systemd/timesyncd.conf.d/10-corp.conf": "[Time]\nNTP=ntp1.corp\nNTP=ntp2.corp\nFallbackNTP=\n",
        "/usr/lib/systemd/timesyncd.conf.d/10-corp.conf": "[Time]\nNTP=hidden.example\n",  # same name: /etc wins
        "/usr/lib/systemd/timesyncd.conf.d/20-vendor.conf": "[Time]\nNTP=\n#NTP=x\nNTP=vendor.example\n",
    }
    timesyncd = _daemon(fact_data(TimeSyncCollector, debian12("systemd-timesyncd", files=files)), "systemd-timesyncd")
    assert timesyncd["servers"] == ["vendor.example"] and timesyncd["builtin_fallback"] is False
    assert timesyncd["config_files"][1:] == [
        "/etc/systemd/timesyncd.conf.d/10-corp.conf",
        "/usr/lib/systemd/timesyncd.conf.d/20-vendor.conf",
    ]


def test_chrony_option_it_does_not_know_stops_it(debian12, collect):
    root = debian12("chrony", files={"/etc/chrony/conf.d/corp.conf": "server ntp.corp iburst # lab\n"})
    fact, error = collect(TimeSyncCollector, root)
    assert "chronyd would not start with this config" in error.message and "'#'" in error.message
    assert _daemon(fact.data, "chrony")["config_problems"] == [
        "/etc/chrony/conf.d/corp.conf line 1: invalid server directive option '#'"
    ]


def test_masked_unit_is_not_enabled(debian12, fact_data):
    root = debian12("chrony", links={"/etc/systemd/system/chrony.service": "/dev/null"})
    chrony = _daemon(fact_data(TimeSyncCollector, root), "chrony")
    assert chrony["servers"] == ["2.debian.pool.ntp.org"] and chrony["enabled"] is False


def test_ntpsec_servers_with_inline_comments(tree, fact_data):
    unit = "[Unit]\nDescription=Network Time Service\n"
    root = tree(
        {
            "/etc/ntpsec/ntp.conf": "pool 0.debian.pool.ntp.org iburst\nserver 192.0.2.1 # lab\n",
            "/lib/systemd/system/ntpsec.service": unit,
        },
        links={
            "/etc/systemd/system/multi-user.target.wants/ntpsec.service": "/lib/systemd/system/ntpsec.service",
            "/sbin/init": "/lib/systemd/systemd",
        },
    )
    ntpd = _daemon(fact_data(TimeSyncCollector, root), "ntpd")
    assert ntpd["servers"] == ["0.debian.pool.ntp.org", "192.0.2.1"] and ntpd["enabled"] is True


def test_no_unit_runs_without_systemd_as_init(debian12, fact_data):
    """A container image without /sbin/init boots no units, however they are enabled."""
    root = debian12("chrony", links={"/sbin/init": None})
    chrony = _daemon(fact_data(TimeSyncCollector, root), "chrony")
    assert chrony["enabled"] is False and chrony["reason"] == "chrony.service cannot start: the image has no /sbin/init"
