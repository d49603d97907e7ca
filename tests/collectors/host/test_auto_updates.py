"""Automatic updates: unattended-upgrades, dnf-automatic, yum-cron."""

from __future__ import annotations

from annexa.collectors.host.auto_updates import AutoUpdatesCollector, dpkg_installed


def _mechanism(data: dict, name: str) -> dict:
    return next(m for m in data["mechanisms"] if m["name"] == name)


def test_dpkg_status_distinguishes_removed_packages():
    status = (
        "Package: a\nStatus: install ok installed\n\nPackage: unattended-upgrades\nStatus: deinstall ok config-files\n"
    )
    assert dpkg_installed(status, "a")
    assert not dpkg_installed(status, "unattended-upgrades")
    assert not dpkg_installed(None, "a")


def test_backup_files_in_apt_conf_d_are_ignored_like_apt_does(tree, fact_data):
    root = tree(
        {
            "/etc/apt/apt.conf.d/20auto-upgrades": 'APT::Periodic::Unattended-Upgrade "1";\n',
            "/etc/apt/apt.conf.d/99off.dpkg-old": 'APT::Periodic::Unattended-Upgrade "0";\n',
            "/etc/apt/apt.conf.d/99off~": 'APT::Periodic::Unattended-Upgrade "0";\n',
            "/var/lib/dpkg/status": "Package: unattended-upgrades\nStatus: install ok installed\n",
            "/etc/cron.daily/apt-compat": "#!/bin/sh\n",
        }
    )
    data = fact_data(AutoUpdatesCollector, root)
    unattended = _mechanism(data, "unattended-upgrades")
    assert unattended["unattended_upgrade_days"] == 1 and unattended["scheduled"]
    assert data["active"] == ["unattended-upgrades"]


def test_dnf_automatic_install_timer_applies_regardless_of_config(tree, fact_data):
    root = tree(
        {"/etc/dnf/automatic.conf": "[commands]\nupgrade_type = security\napply_updates = no\n"},
        links={
            "/etc/systemd/system/timers.target.wants/dnf-automatic-install.timer": "/usr/lib/systemd/system/dnf-automatic-install.timer"
        },
    )
    data = fact_data(AutoUpdatesCollector, root)
    dnf = _mechanism(data, "dnf-automatic")
    assert dnf["upgrade_type"] == "security" and dnf["applies_updates"] and dnf["scheduled"]
    assert data["active"] == ["dnf-automatic"]


def test_yum_cron_needs_apply_updates_and_the_service(tree, fact_data):
    root = tree(
        {"/etc/yum/yum-cron.conf": "[commands]\nupdate_cmd = security\napply_updates = yes\n"},
        links={
            "/etc/systemd/system/multi-user.target.wants/yum-cron.service": "/usr/lib/systemd/system/yum-cron.service"
        },
    )
    yum = _mechanism(fact_data(AutoUpdatesCollector, root), "yum-cron")
    assert (yum["installed"], yum["update_cmd"], yum["applies_updates"], yum["scheduled"]) == (
        True,
        "security",
        True,
        True,
    )
