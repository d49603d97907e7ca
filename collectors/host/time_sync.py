"""Which time synchronisation daemons are configured and enabled, with their servers."""

from __future__ import annotations

from typing import Any

from annexa.collectors.host.collector import HostCollector
from annexa.collectors.host.files import HostFiles, HostReadError
from annexa.collectors.host.systemd import unit_enabled

__all__ = ["TimeSyncCollector"]

_SOURCE_DIRECTIVES = ("server", "pool", "peer")
_MAX_DEPTH = 4


def _ntp_style_servers(files: HostFiles, path: str, found: list[str], read: list[str], depth: int = 0) -> None:
    """`server|pool|peer HOST ...` lines of a chrony/ntpd config, following chrony's
    `include GLOB`, `confdir DIR...` (*.conf) and `sourcedir DIR...` (*.sources)."""
    if depth > _MAX_DEPTH:
        raise HostReadError(path, "include nested too deeply", "include_depth")
    text = files.read_text(path)
    if text is None:
        return
    read.append(path)
    for line in text.splitlines():
        words = line.split("#", 1)[0].split("!", 1)[0].split()
        if len(words) < 2:
            continue
        directive = words[0].lower()
        if directive in _SOURCE_DIRECTIVES:
            found.append(words[1])
            continue
        patterns = {
            "include": words[1:2],
            "confdir": [f"{d.rstrip('/')}/*.conf" for d in words[1:]],
            "sourcedir": [f"{d.rstrip('/')}/*.sources" for d in words[1:]],
        }.get(directive, [])
        for pattern in patterns:
            for included in files.glob(pattern):
                _ntp_style_servers(files, included, found, read, depth + 1)


def _daemon(name: str, config_files: list[str], servers: list[str], installed: bool, enabled: bool) -> dict[str, Any]:
    return {
        "name": name,
        "installed": installed,
        "config_files": config_files,
        "enabled": installed and enabled,
        "servers": servers,
        "configured": bool(servers),
    }


class TimeSyncCollector(HostCollector):
    """Time synchronisation on the host: chrony (/etc/chrony/chrony.conf or
    /etc/chrony.conf and the files it includes), systemd-timesyncd
    (/etc/systemd/timesyncd.conf and timesyncd.conf.d/*.conf) and ntpd/ntpsec
    (/etc/ntp.conf, /etc/ntpsec/ntp.conf). For each daemon: whether it is installed,
    enabled (systemd enablement symlinks in /etc/systemd/system, not masked) and
    configured with time sources, and the servers/pools named. timesyncd counts as
    configured with its compiled-in fallback servers when NTP= and FallbackNTP= are
    both unset (`builtin_fallback`)."""

    name = "host.time_sync"
    kinds = ("host.time_sync",)
    permissions = (
        "read /etc/chrony/chrony.conf, /etc/chrony.conf and included files",
        "read /etc/systemd/timesyncd.conf, /etc/systemd/timesyncd.conf.d/*.conf",
        "read /etc/ntp.conf, /etc/ntpsec/ntp.conf",
        "readlink /etc/systemd/system/*.wants/*",
    )

    def read(self, files: HostFiles) -> dict[str, Any]:
        daemons = [self._chrony(files), self._timesyncd(files), self._ntpd(files)]
        return {
            "daemons": daemons,
            "enabled_daemons": [d["name"] for d in daemons if d["enabled"]],
        }

    @staticmethod
    def _chrony(files: HostFiles) -> dict[str, Any]:
        servers: list[str] = []
        read: list[str] = []
        for path in ("/etc/chrony/chrony.conf", "/etc/chrony.conf"):  # the daemon reads the first that exists
            _ntp_style_servers(files, path, servers, read)
            if read:
                break
        installed = bool(read) or files.exists("/usr/sbin/chronyd")
        enabled = unit_enabled(files, "chrony.service", aliases=("chronyd.service",)) or unit_enabled(
            files, "chronyd.service"
        )
        return _daemon("chrony", read, servers, installed, enabled)

    @staticmethod
    def _ntpd(files: HostFiles) -> dict[str, Any]:
        servers: list[str] = []
        read: list[str] = []
        for path in ("/etc/ntpsec/ntp.conf", "/etc/ntp.conf"):  # the daemon reads the first that exists
            _ntp_style_servers(files, path, servers, read)
            if read:
                break
        installed = bool(read) or files.exists("/usr/sbin/ntpd")
        enabled = any(unit_enabled(files, unit) for unit in ("ntpsec.service", "ntp.service", "ntpd.service"))
        return _daemon("ntpd", read, servers, installed, enabled)

    @staticmethod
    def _timesyncd(files: HostFiles) -> dict[str, Any]:
        settings: dict[str, list[str]] = {}
        read: list[str] = []
        for path in ["/etc/systemd/timesyncd.conf", *files.glob("/etc/systemd/timesyncd.conf.d/*.conf")]:
            text = files.read_text(path)
            if text is None:
                continue
            read.append(path)
            section = ""
            for line in text.splitlines():
                line = line.strip()
                if line.startswith("["):
                    section = line.strip("[]").strip()
                elif section == "Time" and "=" in line and not line.startswith(("#", ";")):
                    key, _, value = line.partition("=")
                    settings[key.strip()] = value.split()  # later files override; empty resets
        installed = bool(read) or any(
            files.exists(p) for p in ("/usr/lib/systemd/systemd-timesyncd", "/lib/systemd/systemd-timesyncd")
        )
        enabled = unit_enabled(files, "systemd-timesyncd.service", aliases=("dbus-org.freedesktop.timesync1.service",))
        builtin_fallback = "NTP" not in settings and "FallbackNTP" not in settings
        daemon = _daemon("systemd-timesyncd", read, settings.get("NTP", []), installed, enabled)
        daemon["fallback_servers"] = settings.get("FallbackNTP", [])
        daemon["builtin_fallback"] = installed and builtin_fallback
        daemon["configured"] = bool(daemon["servers"] or daemon["fallback_servers"] or daemon["builtin_fallback"])
        return daemon
