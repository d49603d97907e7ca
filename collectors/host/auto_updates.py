"""Automatic installation of updates: unattended-upgrades, dnf-automatic, yum-cron."""

from __future__ import annotations

import configparser
import re
from typing import Any

from annexa.collectors.host.apt_config import AptConfig, AptSyntaxError, apt_reads
from annexa.collectors.host.collector import HostCollector
from annexa.collectors.host.dpkg import installed_packages
from annexa.collectors.host.files import HostFiles
from annexa.collectors.host.systemd import systemd_is_init, unit_masked, unit_runs

__all__ = ["AutoUpdatesCollector", "dpkg_installed", "periodic_runs"]

_DNF_AUTOMATIC = ("/etc/dnf/automatic.conf", "/etc/dnf/dnf5-plugins/automatic.conf")
_CRON_DAEMONS = ("cron", "cronie", "anacron", "systemd-cron", "bcron")
_INTERVAL = re.compile(r"[0-9]+[smhd]?")
_SH_INTEGER = re.compile(r"[ \t]*[+-]?[0-9]+[ \t]*")


def dpkg_installed(status_text: str | None, package: str) -> bool:
    """Whether dpkg's status database lists `package` as installed."""
    return package in installed_packages(status_text)


def periodic_runs(value: str | None) -> bool | None:
    """Whether apt.systemd.daily's check_stamp() runs a job with this APT::Periodic interval:
    unset or exactly "0" never, "always" on every run, days (or with an s/m/h/d suffix) when
    due. Anything else goes through sh arithmetic, which files cannot settle: None."""
    if value is None or value == "0":
        return False
    if value == "always" or _INTERVAL.fullmatch(value):
        return True
    return None


def _periodic_enabled(value: str | None) -> bool:
    """`[ $AutoAptEnable -eq 0 ] && exit 0`: only an integer equal to 0 turns the script off
    (a non-number makes `[` fail, and the script goes on)."""
    return not (value is not None and _SH_INTEGER.fullmatch(value) is not None and int(value) == 0)


def _ini_commands(text: str, path: str) -> dict[str, str]:
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    try:
        parser.read_string(text, source=path)
    except configparser.Error:
        return {}  # unparsable: reported as not applying updates, which a rule will fail
    return dict(parser["commands"]) if parser.has_section("commands") else {}


def _both(*states: bool | None) -> bool | None:
    """Three-valued AND: False wins, then unknown."""
    return False if False in states else None if None in states else True


def _any(*states: bool | None) -> bool | None:
    """Three-valued OR: True wins, then unknown."""
    return True if True in states else None if None in states else False


class AutoUpdatesCollector(HostCollector):
    """Automatic (security) updates on the host. Debian/Ubuntu unattended-upgrades: installed
    per /var/lib/dpkg/status; APT's configuration read as apt-pkg reads it (the files of
    /etc/apt/apt.conf.d APT accepts, then /etc/apt/apt.conf; a syntax error stops APT, so
    nothing runs); APT::Periodic::Enable, Update-Package-Lists and Unattended-Upgrade judged
    as apt.systemd.daily does (`"0"` off, days or `"always"` on); the origins allowed; and
    what schedules it: on a systemd host apt-daily.timer (package lists) and
    apt-daily-upgrade.timer (installation), enabled, not masked and their services not
    masked (/etc/cron.daily/apt-compat exits at once under systemd); elsewhere apt-compat
    with a cron daemon installed. It applies updates only when both jobs run and at least
    one origin is allowed. RHEL/Fedora dnf-automatic: /etc/dnf/automatic.conf
    `apply_updates`/`upgrade_type` and its timers. yum-cron: /etc/yum/yum-cron.conf and its
    service. Where files cannot settle whether a mechanism runs (an interval sh would compute,
    a unit condition files cannot evaluate) and none surely does, the result is an error."""

    name = "host.auto_updates"
    kinds = ("host.auto_updates",)
    permissions = (
        "read /etc/apt/apt.conf.d/*, /etc/apt/apt.conf, /var/lib/dpkg/status",
        "read /etc/dnf/automatic.conf, /etc/yum/yum-cron.conf",
        "readlink /etc/systemd/system/*.wants/*, /sbin/init",
        "read systemd unit files and drop-ins",
    )

    def read(self, files: HostFiles) -> dict[str, Any]:
        mechanisms = [self._unattended_upgrades(files), self._dnf_automatic(files), self._yum_cron(files)]
        return {
            "mechanisms": mechanisms,
            "active": [m["name"] for m in mechanisms if m["installed"] and m["applies_updates"] and m["scheduled"]],
        }

    def unsettled(self, data: dict[str, Any]) -> str | None:
        if data["active"]:
            return None
        unknown = [
            f"{m['name']}: {m['reason']}"
            for m in data["mechanisms"]
            if m["installed"] and None in (m["applies_updates"], m["scheduled"])
        ]
        return "; ".join(unknown) if unknown else None

    @staticmethod
    def _unattended_upgrades(files: HostFiles) -> dict[str, Any]:
        apt = AptConfig()
        read: list[str] = []
        ignored: list[str] = []
        config_error = None
        parts = files.glob("/etc/apt/apt.conf.d/*")
        for path in [*parts, "/etc/apt/apt.conf"]:
            if path in parts and not apt_reads(path.rsplit("/", 1)[-1]):
                ignored.append(path)
                continue
            text = files.read_text(path)
            if text is None:
                continue
            read.append(path)
            try:
                apt.feed(text, path)
            except AptSyntaxError as err:
                config_error = str(err)
                break
        installed = dpkg_installed(files.read_text("/var/lib/dpkg/status"), "unattended-upgrades")
        enabled = _periodic_enabled(apt.get("APT::Periodic::Enable"))
        update_value = apt.get("APT::Periodic::Update-Package-Lists")
        upgrade_value = apt.get("APT::Periodic::Unattended-Upgrade")
        origins = apt.get_list("Unattended-Upgrade::Origins-Pattern") + apt.get_list(
            "Unattended-Upgrade::Allowed-Origins"
        )
        scheduled, schedule_reason = AutoUpdatesCollector._apt_schedule(files)
        if config_error is not None:
            applies: bool | None = False
            reason = f"APT refuses its configuration, so no job runs: {config_error}"
        elif not enabled:
            applies, reason = False, 'APT::Periodic::Enable is "0"'
        else:
            applies = _both(periodic_runs(update_value), periodic_runs(upgrade_value), bool(origins))
            reason = (
                f"Update-Package-Lists {update_value!r}, Unattended-Upgrade {upgrade_value!r}, "
                f"{len(origins)} origins allowed"
            )
        return {
            "name": "unattended-upgrades",
            "installed": installed,
            "config_files": read,
            "ignored_files": ignored,
            "config_error": config_error,
            "periodic_enable": apt.get("APT::Periodic::Enable"),
            "update_package_lists": update_value,
            "unattended_upgrade": upgrade_value,
            "origins": origins,
            "applies_updates": applies,
            "scheduled": scheduled,
            "reason": f"{reason}; {schedule_reason}",
        }

    @staticmethod
    def _apt_schedule(files: HostFiles) -> tuple[bool | None, str]:
        if systemd_is_init(files)[0]:  # apt-compat's own test: `[ -d /run/systemd/system ] && exit 0`
            states, reasons = [], []
            for timer, service in (
                ("apt-daily.timer", "apt-daily.service"),
                ("apt-daily-upgrade.timer", "apt-daily-upgrade.service"),
            ):
                run = unit_runs(files, timer)
                if run.runs is not False and unit_masked(files, service):
                    states.append(False)
                    reasons.append(f"{service} is masked")
                    continue
                states.append(run.runs)
                reasons.append(run.reason)
            return _both(*states), "systemd: " + "; ".join(reasons)
        status = files.read_text("/var/lib/dpkg/status")
        cron = next((d for d in _CRON_DAEMONS if dpkg_installed(status, d)), None)
        compat = files.exists("/etc/cron.daily/apt-compat")
        if compat and cron:
            return True, f"not booted by systemd: /etc/cron.daily/apt-compat run by {cron}"
        return False, "not booted by systemd and no /etc/cron.daily/apt-compat with a cron daemon"

    @staticmethod
    def _dnf_automatic(files: HostFiles) -> dict[str, Any]:
        config_file, commands = None, {}
        for path in _DNF_AUTOMATIC:
            text = files.read_text(path)
            if text is not None:
                config_file, commands = path, _ini_commands(text, path)
                break
        runs = {
            t: unit_runs(files, t)
            for t in ("dnf-automatic-install.timer", "dnf-automatic.timer", "dnf5-automatic.timer")
        }
        install_timer = runs["dnf-automatic-install.timer"].runs
        scheduled = _any(*(run.runs for run in runs.values()))
        return {
            "name": "dnf-automatic",
            "installed": config_file is not None,
            "config_file": config_file,
            "upgrade_type": commands.get("upgrade_type", "default") if config_file else None,
            # dnf-automatic-install.timer installs regardless of apply_updates.
            "applies_updates": commands.get("apply_updates", "no").lower() in ("yes", "true", "1", "on")
            or install_timer is True,
            "scheduled": scheduled,
            "reason": "; ".join(run.reason for run in runs.values()),
        }

    @staticmethod
    def _yum_cron(files: HostFiles) -> dict[str, Any]:
        text = files.read_text("/etc/yum/yum-cron.conf")
        commands = _ini_commands(text, "/etc/yum/yum-cron.conf") if text is not None else {}
        run = unit_runs(files, "yum-cron.service")
        return {
            "name": "yum-cron",
            "installed": text is not None,
            "update_cmd": commands.get("update_cmd") if text is not None else None,
            "applies_updates": commands.get("apply_updates", "no").lower() in ("yes", "true", "1", "on"),
            "scheduled": run.runs,
            "reason": run.reason,
        }
