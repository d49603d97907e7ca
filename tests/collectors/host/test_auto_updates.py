"""Automatic updates: what APT's periodic jobs will do, and whether systemd or cron runs them."""

from __future__ import annotations

import pytest

from annexa.collectors.host.auto_updates import AutoUpdatesCollector, dpkg_installed, periodic_runs
from annexa.model import CollectionError, Fact

APT = ("apt", "unattended-upgrades", "dpkg-status")
TIMERS = "/etc/systemd/system/timers.target.wants"


def _unattended(data: dict) -> dict:
    return next(m for m in data["mechanisms"] if m["name"] == "unattended-upgrades")


def test_debian_default_install_applies_updates_on_its_timers(debian12, fact_data):
    data = fact_data(AutoUpdatesCollector, debian12(*APT))
    unattended = _unattended(data)
    assert unattended["installed"] and unattended["applies_updates"] and unattended["scheduled"]
    assert unattended["config_files"] == [
        "/etc/apt/apt.conf.d/01autoremove",
        "/etc/apt/apt.conf.d/20auto-upgrades",
        "/etc/apt/apt.conf.d/50unattended-upgrades",
    ]
    assert len(unattended["origins"]) == 3 and data["active"] == ["unattended-upgrades"]


@pytest.mark.parametrize(
    ("files", "links", "why"),
    [
        ({}, {"/etc/systemd/system/apt-daily-upgrade.timer": "/dev/null"}, "apt-daily-upgrade.timer is masked"),
        ({}, {"/etc/systemd/system/apt-daily-upgrade.service": "/dev/null"}, "apt-daily-upgrade.service is masked"),
        ({f"{TIMERS}/apt-daily.timer": None}, {}, "apt-daily.timer is not enabled"),
        ({"/etc/apt/apt.conf.d/99local": 'APT::Periodic::Enable "0";\n'}, {}, 'APT::Periodic::Enable is "0"'),
        ({"/etc/apt/apt.conf.d/99local": 'APT::Periodic::Update-Package-Lists "0";\n'}, {}, "Update-Package-Lists '0'"),
        ({"/etc/apt/apt.conf.d/99local": "#clear Unattended-Upgrade::Origins-Pattern;\n"}, {}, "0 origins allowed"),
        ({"/etc/apt/apt.conf.d/99local": 'APT::Periodic::Unattended-Upgrade "1" x;\n'}, {}, "Extra junk after value"),
    ],
)
def test_what_stops_updates(debian12, fact_data, files, links, why):
    data = fact_data(AutoUpdatesCollector, debian12(*APT, files=files, links=links))
    assert data["active"] == [] and why in _unattended(data)["reason"]


def test_apt_compat_does_not_schedule_under_systemd(debian12, fact_data):
    """/etc/cron.daily/apt-compat exits at once when systemd runs (`[ -d /run/systemd/system ]`)."""
    root = debian12(*APT, links={"/etc/systemd/system/apt-daily-upgrade.timer": "/dev/null"})
    assert (root / "etc/cron.daily/apt-compat").exists()
    assert fact_data(AutoUpdatesCollector, root)["active"] == []
    without_systemd = debian12(
        "apt",
        "unattended-upgrades",
        files={"/var/lib/dpkg/status": _status("unattended-upgrades", "cron")},
        links={"/sbin/init": "/sbin/openrc-init"},
    )
    unattended = _unattended(fact_data(AutoUpdatesCollector, without_systemd))
    assert unattended["scheduled"] and "apt-compat run by cron" in unattended["reason"]


def test_always_and_suffixed_intervals_run(debian12, fact_data):
    local = 'APT::Periodic::Unattended-Upgrade "always";\nAPT::Periodic::Update-Package-Lists "12h";\n'
    data = fact_data(AutoUpdatesCollector, debian12(*APT, files={"/etc/apt/apt.conf.d/99local": local}))
    assert data["active"] == ["unattended-upgrades"]


def test_ignored_file_names_do_not_count(debian12, fact_data):
    files = {"/etc/apt/apt.conf.d/20auto-upgrades.bak": 'APT::Periodic::Unattended-Upgrade "1";\n'}
    files["/etc/apt/apt.conf.d/20auto-upgrades"] = None
    unattended = _unattended(fact_data(AutoUpdatesCollector, debian12(*APT, files=files)))
    assert unattended["ignored_files"] == ["/etc/apt/apt.conf.d/20auto-upgrades.bak"]
    assert unattended["unattended_upgrade"] is None and unattended["applies_updates"] is False


def test_an_interval_sh_would_compute_is_an_error(debian12, collect):
    local = 'APT::Periodic::Unattended-Upgrade "yes";\n'
    fact, error = collect(AutoUpdatesCollector, debian12(*APT, files={"/etc/apt/apt.conf.d/99local": local}))
    assert isinstance(fact, Fact) and isinstance(error, CollectionError) and error.code == "undetermined"
    assert "Unattended-Upgrade 'yes'" in error.message


def test_periodic_runs_and_dpkg_status():
    assert [periodic_runs(v) for v in (None, "0", "00", "1", "7d", "always", "yes", "-1")] == [
        False,
        False,
        True,
        True,
        True,
        True,
        None,
        None,
    ]
    status = (
        "Package: a\nStatus: install ok installed\n\nPackage: unattended-upgrades\nStatus: deinstall ok config-files\n"
    )
    assert dpkg_installed(status, "a") and not dpkg_installed(status, "unattended-upgrades")
    assert not dpkg_installed(None, "a")


def test_dnf_automatic_install_timer(tree, fact_data):
    root = tree(
        {
            "/etc/dnf/automatic.conf": "[commands]\nupgrade_type = security\napply_updates = no\n",
            "/usr/lib/systemd/system/dnf-automatic-install.timer": "[Timer]\nOnCalendar=daily\n",
        },
        links={
            f"{TIMERS}/dnf-automatic-install.timer": "/usr/lib/systemd/system/dnf-automatic-install.timer",
            "/sbin/init": "../lib/systemd/systemd",
        },
    )
    assert fact_data(AutoUpdatesCollector, root)["active"] == ["dnf-automatic"]


def _status(*packages: str) -> str:
    return "\n\n".join(f"Package: {p}\nStatus: install ok installed\nVersion: 1" for p in packages) + "\n"
