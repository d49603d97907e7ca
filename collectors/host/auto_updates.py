"""Automatic installation of updates: unattended-upgrades, dnf-automatic, yum-cron."""

from __future__ import annotations

import configparser
import re
from typing import Any

from annexa.collectors.host.apt_config import AptConfig
from annexa.collectors.host.collector import HostCollector
from annexa.collectors.host.files import HostFiles
from annexa.collectors.host.systemd import unit_enabled

__all__ = ["AutoUpdatesCollector", "dpkg_installed"]

# APT reads only these names from apt.conf.d and skips backup files (Dir::Ignore-Files-Silently).
_APT_NAME = re.compile(r"^[A-Za-z0-9_.-]+$")
_APT_IGNORED = re.compile(r"(~|\.disabled|\.bak|\.dpkg-[a-z]+|\.ucf-[a-z]+|\.save|\.orig|\.distUpgrade)$")
_DNF_AUTOMATIC = ("/etc/dnf/automatic.conf", "/etc/dnf/dnf5-plugins/automatic.conf")


def dpkg_installed(status_text: str | None, package: str) -> bool:
    """Whether dpkg's status database lists `package` as installed."""
    for paragraph in (status_text or "").split("\n\n"):
        fields = dict(line.split(":", 1) for line in paragraph.splitlines() if ":" in line and not line[0].isspace())
        if fields.get("Package", "").strip() == package:
            return fields.get("Status", "").split()[-1:] == ["installed"]
    return False


def _apt_reads(name: str) -> bool:
    return bool(_APT_NAME.match(name)) and not _APT_IGNORED.search(name)


def _periodic_days(value: str | None) -> int:
    """APT::Periodic values are intervals in days; 0, unset or junk means off."""
    try:
        return int(value) if value is not None else 0
    except ValueError:
        return 0


def _ini_commands(text: str, path: str) -> dict[str, str]:
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    try:
        parser.read_string(text, source=path)
    except configparser.Error:
        return {}  # unparsable: reported as not applying updates, which a rule will fail
    return dict(parser["commands"]) if parser.has_section("commands") else {}


class AutoUpdatesCollector(HostCollector):
    """Automatic (security) updates on the host. Debian/Ubuntu unattended-upgrades:
    installed per /var/lib/dpkg/status, APT::Periodic::Unattended-Upgrade and
    Update-Package-Lists from /etc/apt/apt.conf.d/* and /etc/apt/apt.conf (later
    files win), origins allowed, and whether apt-daily-upgrade.timer (or the
    cron.daily fallback) schedules it. RHEL/Fedora dnf-automatic:
    /etc/dnf/automatic.conf `apply_updates`/`upgrade_type` and its timers. yum-cron:
    /etc/yum/yum-cron.conf and its service. Enablement is read from systemd
    symlinks in /etc/systemd/system."""

    name = "host.auto_updates"
    kinds = ("host.auto_updates",)
    permissions = (
        "read /etc/apt/apt.conf.d/*, /etc/apt/apt.conf, /var/lib/dpkg/status",
        "read /etc/dnf/automatic.conf, /etc/yum/yum-cron.conf",
        "readlink /etc/systemd/system/*.wants/*",
    )

    def read(self, files: HostFiles) -> dict[str, Any]:
        mechanisms = [self._unattended_upgrades(files), self._dnf_automatic(files), self._yum_cron(files)]
        return {
            "mechanisms": mechanisms,
            "active": [m["name"] for m in mechanisms if m["installed"] and m["applies_updates"] and m["scheduled"]],
        }

    @staticmethod
    def _unattended_upgrades(files: HostFiles) -> dict[str, Any]:
        apt = AptConfig()
        parts = [p for p in files.glob("/etc/apt/apt.conf.d/*") if _apt_reads(p.rsplit("/", 1)[-1])]
        for path in [*parts, "/etc/apt/apt.conf"]:
            text = files.read_text(path)
            if text is not None:
                apt.feed(text)
        installed = dpkg_installed(files.read_text("/var/lib/dpkg/status"), "unattended-upgrades")
        scheduled = unit_enabled(files, "apt-daily-upgrade.timer") or files.exists("/etc/cron.daily/apt-compat")
        return {
            "name": "unattended-upgrades",
            "installed": installed,
            "update_package_lists_days": _periodic_days(apt.get("APT::Periodic::Update-Package-Lists")),
            "unattended_upgrade_days": _periodic_days(apt.get("APT::Periodic::Unattended-Upgrade")),
            "applies_updates": _periodic_days(apt.get("APT::Periodic::Unattended-Upgrade")) > 0,
            "scheduled": scheduled,
            "origins": apt.get_list("Unattended-Upgrade::Origins-Pattern")
            + apt.get_list("Unattended-Upgrade::Allowed-Origins"),
        }

    @staticmethod
    def _dnf_automatic(files: HostFiles) -> dict[str, Any]:
        config_file, commands = None, {}
        for path in _DNF_AUTOMATIC:
            text = files.read_text(path)
            if text is not None:
                config_file, commands = path, _ini_commands(text, path)
                break
        install_timer = unit_enabled(files, "dnf-automatic-install.timer")
        return {
            "name": "dnf-automatic",
            "installed": config_file is not None,
            "config_file": config_file,
            "upgrade_type": commands.get("upgrade_type", "default") if config_file else None,
            # dnf-automatic-install.timer installs regardless of apply_updates.
            "applies_updates": commands.get("apply_updates", "no").lower() in ("yes", "true", "1", "on")
            or install_timer,
            "scheduled": install_timer
            or unit_enabled(files, "dnf-automatic.timer")
            or unit_enabled(files, "dnf5-automatic.timer"),
        }

    @staticmethod
    def _yum_cron(files: HostFiles) -> dict[str, Any]:
        text = files.read_text("/etc/yum/yum-cron.conf")
        commands = _ini_commands(text, "/etc/yum/yum-cron.conf") if text is not None else {}
        return {
            "name": "yum-cron",
            "installed": text is not None,
            "update_cmd": commands.get("update_cmd") if text is not None else None,
            "applies_updates": commands.get("apply_updates", "no").lower() in ("yes", "true", "1", "on"),
            "scheduled": unit_enabled(files, "yum-cron.service"),
        }
