"""Which time synchronisation daemons start at boot, with their servers, read as each daemon reads them."""

from __future__ import annotations

from typing import Any

from annexa.collectors.host.collector import HostCollector
from annexa.collectors.host.files import HostFiles, HostReadError
from annexa.collectors.host.keyvalue import CHRONY, NTPD, SYSTEMD, Dialect, read_entries
from annexa.collectors.host.systemd import UnitRun, unit_runs

__all__ = ["TimeSyncCollector"]

_SOURCE_DIRECTIVES = ("server", "pool", "peer")
_MAX_DEPTH = 4
# chrony's cmdparse.c CPS_ParseNTPSourceAdd(): options of server/pool/peer, with or without a value.
# An unknown option is a parse error, and chronyd stops at a configuration error.
_CHRONY_FLAGS = frozenset(
    "auto_offline burst copy iburst ipv4 ipv6 noselect nts offline prefer require trust xleave".split()
)
_CHRONY_VALUED = frozenset(
    "asymmetry certset extfield filter key maxdelay maxdelaydevratio maxdelayquant maxdelayratio maxpoll "
    "maxsamples maxsources maxunreach mindelay minpoll minsamples minstratum ntsport offset polltarget port "
    "presend version".split()
)
# systemd-timesyncd reads /etc/systemd/timesyncd.conf, then timesyncd.conf.d/*.conf from these
# folders, sorted by file name, a name in an earlier folder hiding the same name in a later one.
_TIMESYNCD_DROPINS = (
    "/etc/systemd/timesyncd.conf.d",
    "/run/systemd/timesyncd.conf.d",
    "/usr/local/lib/systemd/timesyncd.conf.d",
    "/usr/lib/systemd/timesyncd.conf.d",
    "/lib/systemd/timesyncd.conf.d",
)


def _chrony_source_problem(words: list[str]) -> str | None:
    """Why chronyd would reject a server/pool/peer line's options (None: it accepts them)."""
    index = 2  # words[0] is the directive, words[1] the host
    while index < len(words):
        option = words[index].lower()
        if option in _CHRONY_FLAGS:
            index += 1
        elif option in _CHRONY_VALUED and index + 1 < len(words):
            index += 2
        else:
            return f"invalid {words[0]} directive option {words[index]!r}"
    return None


def _ntp_style_servers(
    files: HostFiles,
    path: str,
    dialect: Dialect,
    found: list[str],
    read: list[str],
    problems: list[str],
    depth: int = 0,
) -> None:
    """`server|pool|peer HOST ...` lines of a chrony/ntpd config, following chrony's
    `include GLOB`, `confdir DIR...` (*.conf) and `sourcedir DIR...` (*.sources)."""
    if depth > _MAX_DEPTH:
        raise HostReadError(path, "include nested too deeply", "include_depth")
    text = files.read_text(path)
    if text is None:
        return
    read.append(path)
    for entry in read_entries(text, dialect):
        words = [entry.key, *entry.value.split()]
        if entry.key in _SOURCE_DIRECTIVES and len(words) >= 2:
            problem = _chrony_source_problem(words) if dialect is CHRONY else None
            if problem is not None:
                problems.append(f"{path} line {entry.line}: {problem}")
            else:
                found.append(words[1])
            continue
        if dialect is not CHRONY or len(words) < 2:
            continue
        patterns = {
            "include": words[1:2],
            "confdir": [f"{d.rstrip('/')}/*.conf" for d in words[1:]],
            "sourcedir": [f"{d.rstrip('/')}/*.sources" for d in words[1:]],
        }.get(entry.key, [])
        for pattern in patterns:
            for included in files.glob(pattern):
                _ntp_style_servers(files, included, dialect, found, read, problems, depth + 1)


def _daemon(name: str, config_files: list[str], servers: list[str], installed: bool, run: UnitRun) -> dict[str, Any]:
    return {
        "name": name,
        "installed": installed,
        "config_files": config_files,
        "enabled": run.runs if installed else False,
        "reason": run.reason,
        "servers": servers,
        "configured": bool(servers),
    }


def _with_problems(daemon: dict[str, Any], program: str, problems: list[str]) -> dict[str, Any]:
    if problems and daemon["enabled"] is not False:
        # The running daemon may hold an older configuration: whether it synchronises is unknown.
        daemon["enabled"] = None
        daemon["reason"] = f"{program} would not start with this config: {'; '.join(problems)}"
    daemon["config_problems"] = problems
    return daemon


class TimeSyncCollector(HostCollector):
    """Time synchronisation on the host: chrony (/etc/chrony/chrony.conf or /etc/chrony.conf
    and the files it includes, read as chronyd does: `!`, `;`, `#`, `%` start a comment only
    at the start of a line, directives ignore case, an unknown source option stops chronyd),
    systemd-timesyncd (/etc/systemd/timesyncd.conf and timesyncd.conf.d/*.conf drop-ins, read
    as systemd does: `NTP=` lines add servers, an empty one resets them) and ntpd/ntpsec
    (/etc/ntp.conf, /etc/ntpsec/ntp.conf). For each daemon: whether it is installed, whether
    it starts at boot (enabled, not masked, its unit file present and its `Condition...=`
    holding, so a container's systemd-timesyncd with `ConditionVirtualization=!container`
    does not count; see collectors.host.systemd), and the servers/pools it uses. timesyncd
    counts as configured with its compiled-in fallback servers when NTP= and FallbackNTP=
    are both unset (`builtin_fallback`). When no daemon surely synchronises but one might
    (a condition files cannot evaluate), the rule is `error` with the reason."""

    name = "host.time_sync"
    kinds = ("host.time_sync",)
    permissions = (
        "read /etc/chrony/chrony.conf, /etc/chrony.conf and included files",
        "read /etc/systemd/timesyncd.conf, timesyncd.conf.d/*.conf",
        "read /etc/ntp.conf, /etc/ntpsec/ntp.conf",
        "readlink /etc/systemd/system/*.wants/*",
        "read systemd unit files and drop-ins, /proc/1/status, /proc/1/environ",
    )

    def read(self, files: HostFiles) -> dict[str, Any]:
        daemons = [self._chrony(files), self._timesyncd(files), self._ntpd(files)]
        return {
            "daemons": daemons,
            "enabled_daemons": [d["name"] for d in daemons if d["enabled"] is True],
        }

    def unsettled(self, data: dict[str, Any]) -> str | None:
        if any(d["enabled"] is True and d["configured"] for d in data["daemons"]):
            return None
        unknown = [f"{d['name']}: {d['reason']}" for d in data["daemons"] if d["enabled"] is None and d["configured"]]
        return "; ".join(unknown) if unknown else None

    @staticmethod
    def _chrony(files: HostFiles) -> dict[str, Any]:
        servers: list[str] = []
        read: list[str] = []
        problems: list[str] = []
        for path in ("/etc/chrony/chrony.conf", "/etc/chrony.conf"):  # the daemon reads the first that exists
            _ntp_style_servers(files, path, CHRONY, servers, read, problems)
            if read:
                break
        installed = bool(read) or files.exists("/usr/sbin/chronyd")
        run = unit_runs(files, "chrony.service", aliases=("chronyd.service",))
        if run.runs is False and not run.enabled:
            run = unit_runs(files, "chronyd.service")
        return _with_problems(_daemon("chrony", read, servers, installed, run), "chronyd", problems)

    @staticmethod
    def _ntpd(files: HostFiles) -> dict[str, Any]:
        servers: list[str] = []
        read: list[str] = []
        problems: list[str] = []
        for path in ("/etc/ntpsec/ntp.conf", "/etc/ntp.conf"):  # the daemon reads the first that exists
            _ntp_style_servers(files, path, NTPD, servers, read, problems)
            if read:
                break
        installed = bool(read) or files.exists("/usr/sbin/ntpd")
        runs = [unit_runs(files, unit) for unit in ("ntpsec.service", "ntp.service", "ntpd.service")]
        run = next((r for r in runs if r.enabled), runs[0])
        return _daemon("ntpd", read, servers, installed, run)

    @staticmethod
    def _timesyncd(files: HostFiles) -> dict[str, Any]:
        dropins: dict[str, str] = {}
        for folder in reversed(_TIMESYNCD_DROPINS):
            for path in files.glob(f"{folder}/*.conf"):
                dropins[path.rsplit("/", 1)[-1]] = path
        settings: dict[str, list[str]] = {}
        read: list[str] = []
        for path in ["/etc/systemd/timesyncd.conf", *(dropins[name] for name in sorted(dropins))]:
            text = files.read_text(path)
            if text is None:
                continue
            read.append(path)
            for entry in read_entries(text, SYSTEMD):
                if entry.section != "Time" or entry.problem is not None:
                    continue
                if entry.key in ("NTP", "FallbackNTP"):
                    # config_parse_servers(): an empty value resets the list, others add to it.
                    values = entry.value.split()
                    settings[entry.key] = [*settings.get(entry.key, []), *values] if values else []
        installed = bool(read) or any(
            files.exists(p) for p in ("/usr/lib/systemd/systemd-timesyncd", "/lib/systemd/systemd-timesyncd")
        )
        run = unit_runs(files, "systemd-timesyncd.service", aliases=("dbus-org.freedesktop.timesync1.service",))
        builtin_fallback = "NTP" not in settings and "FallbackNTP" not in settings
        daemon = _daemon("systemd-timesyncd", read, settings.get("NTP", []), installed, run)
        daemon["fallback_servers"] = settings.get("FallbackNTP", [])
        daemon["builtin_fallback"] = installed and builtin_fallback
        daemon["configured"] = bool(daemon["servers"] or daemon["fallback_servers"] or daemon["builtin_fallback"])
        return daemon
