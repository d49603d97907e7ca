"""Whether a systemd unit starts at boot, told from the files systemd reads.

`systemctl enable` records its decision as symlinks: `<target>.wants/<unit>` or
`<target>.requires/<unit>` for install targets, and `<alias>` links for `Alias=`
names (e.g. `dbus-org.freedesktop.timesync1.service`). A unit linked to /dev/null
(in /etc or /run) is masked and never starts. Reading the links (rather than
running systemctl) works on a mounted image and in a container without systemd.
Vendor presets applied at package install also land here.

Enabled is not running: systemd must be the init system (running, on the live host; as
/sbin/init, in an image), an enabled unit whose file is missing never loads, and one
whose `Condition...=` does not hold is skipped at boot (systemd.unit(5)). `unit_runs`
reads the unit file and its drop-ins from systemd's search path and evaluates the
conditions files can settle: `ConditionVirtualization=` (the container detection of
systemd's src/basic/virt.c detect_container(), from files), `ConditionCapability=`
(PID 1's bounding set in /proc/1/status), `ConditionKernelCommandLine=` (/proc/cmdline,
or GRUB_CMDLINE_LINUX in /etc/default/grub for an image) and `ConditionPathExists=`.
Conditions that describe a passing moment rather than configuration
(`ConditionACPower=`, ...) are not evaluated; any other condition makes the answer
unknown, with the reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from annexa.collectors.host.files import HostFiles, HostReadError
from annexa.collectors.host.keyvalue import SHELL, SYSTEMD, last_wins, read_entries

__all__ = ["UnitRun", "detect_container", "systemd_is_init", "unit_enabled", "unit_masked", "unit_runs"]

_UNIT_DIR = "/etc/systemd/system"
# systemd.unit(5) "Unit File Load Path" for the system manager, highest priority first; /lib for
# distributions that have not merged /usr (and where packages still install there).
_SEARCH_PATH = (
    "/etc/systemd/system",
    "/run/systemd/system",
    "/usr/local/lib/systemd/system",
    "/usr/lib/systemd/system",
    "/lib/systemd/system",
)
_MOMENTARY = frozenset({"ConditionACPower", "ConditionFirstBoot", "ConditionNeedsUpdate", "ConditionMemory"})
_CONTAINERS = frozenset(
    "systemd-nspawn lxc-libvirt lxc openvz docker podman rkt wsl proot pouch container-other".split()
)
_CAPABILITIES = {"CAP_SYS_TIME": 25, "CAP_SYS_ADMIN": 21, "CAP_NET_ADMIN": 12, "CAP_AUDIT_CONTROL": 30}


@dataclass(frozen=True)
class UnitRun:
    """Whether a unit starts at boot: True, False, or None when files cannot tell (see `reason`)."""

    runs: bool | None
    reason: str
    enabled: bool


def unit_masked(files: HostFiles, unit: str) -> bool:
    return any(files.readlink(f"{folder}/{unit}") == "/dev/null" for folder in (_UNIT_DIR, "/run/systemd/system"))


def unit_enabled(files: HostFiles, unit: str, aliases: tuple[str, ...] = ()) -> bool:
    """True when `unit` is not masked and an enablement symlink for it exists."""
    if unit_masked(files, unit):
        return False
    if files.glob(f"{_UNIT_DIR}/*.wants/{unit}") or files.glob(f"{_UNIT_DIR}/*.requires/{unit}"):
        return True
    return any(files.readlink(f"{_UNIT_DIR}/{alias}") not in (None, "/dev/null") for alias in aliases)


def systemd_is_init(files: HostFiles) -> tuple[bool, str]:
    """Whether systemd starts the units: on the live host, whether it runs as init (the test
    sd_booted() and apt's cron job make: /run/systemd/system exists); for an image, whether
    /sbin/init is systemd (systemd-sysv), as it would boot."""
    if files.root == Path("/"):
        running = files.exists("/run/systemd/system")
        return running, "systemd runs as init" if running else "systemd is not running as init (no /run/systemd/system)"
    init = files.readlink("/sbin/init") or ""
    if "systemd" in init:
        return True, f"/sbin/init is {init}"
    return False, "/sbin/init is not systemd" if files.exists("/sbin/init") else "the image has no /sbin/init"


def unit_runs(files: HostFiles, unit: str, aliases: tuple[str, ...] = ()) -> UnitRun:
    """Whether `unit` is enabled, loadable and its conditions hold, as far as files tell."""
    init, why = systemd_is_init(files)
    if not init:
        return UnitRun(False, f"{unit} cannot start: {why}", unit_enabled(files, unit, aliases))
    if unit_masked(files, unit):
        return UnitRun(False, f"{unit} is masked", False)
    if not unit_enabled(files, unit, aliases):
        return UnitRun(False, f"{unit} is not enabled", False)
    unit_file = next((f"{d}/{unit}" for d in _SEARCH_PATH if files.exists(f"{d}/{unit}")), None)
    if unit_file is None:
        return UnitRun(False, f"{unit} is enabled but no unit file for it exists, so it cannot load", True)
    conditions = _conditions(files, unit, unit_file)
    unknown: list[str] = []
    for key, value in conditions:
        holds, why = _condition_holds(files, key, value)
        if holds is False:
            return UnitRun(False, f"{unit}: {key}={value} does not hold ({why})", True)
        if holds is None:
            unknown.append(f"{key}={value} ({why})")
    if unknown:
        return UnitRun(None, f"{unit}: files cannot tell whether {'; '.join(unknown)} holds", True)
    return UnitRun(True, f"{unit} is enabled and its conditions hold", True)


def _conditions(files: HostFiles, unit: str, unit_file: str) -> list[tuple[str, str]]:
    """[Unit] Condition*/Assert* lines of the unit and its drop-ins; an empty one resets them all."""
    dropins: dict[str, str] = {}
    for folder in reversed(_SEARCH_PATH):  # a drop-in in a higher-priority folder replaces one of the same name
        for path in files.glob(f"{folder}/{unit}.d/*.conf"):
            dropins[path.rsplit("/", 1)[-1]] = path
    conditions: list[tuple[str, str]] = []
    for path in [unit_file, *(dropins[name] for name in sorted(dropins))]:
        for entry in read_entries(files.read_text(path) or "", SYSTEMD):
            if entry.section != "Unit" or entry.problem or not entry.key.startswith(("Condition", "Assert")):
                continue
            if entry.value == "":
                conditions = []
            else:
                conditions.append((entry.key, entry.value))
    triggering = [(k, v) for k, v in conditions if v.lstrip("!").startswith("|")]
    plain = [(k, v) for k, v in conditions if not v.lstrip("!").startswith("|")]
    if triggering:  # at least one of the `|` conditions must hold: annexa cannot combine those
        plain.append(("ConditionTriggering", " ".join(f"{k}={v}" for k, v in triggering)))
    return plain


def _condition_holds(files: HostFiles, key: str, value: str) -> tuple[bool | None, str]:
    name = key.replace("Assert", "Condition", 1)
    if name in _MOMENTARY:
        return True, "a passing state, not configuration"
    negate = value.startswith("!")
    argument = value[1:] if negate else value
    holds: bool | None
    if name == "ConditionVirtualization":
        holds, why = _virtualization(files, argument)
    elif name == "ConditionCapability":
        holds, why = _capability(files, argument)
    elif name == "ConditionKernelCommandLine":
        holds, why = _kernel_command_line(files, argument)
    elif name == "ConditionPathExists":
        holds, why = files.exists(argument), f"{argument} {'exists' if files.exists(argument) else 'does not exist'}"
    else:
        return None, "annexa does not evaluate this condition"
    if holds is None:
        return None, why
    return (not holds if negate else holds), why


def detect_container(files: HostFiles) -> tuple[str | None, str]:
    """(container manager or None, the evidence), in the order of systemd's detect_container().

    On the live root the /proc checks apply; an image (`root:`) is judged by the marker files
    it carries and otherwise as booting on a machine, not in a container."""
    if files.exists("/proc/vz") and not files.exists("/proc/bc"):
        return "openvz", "/proc/vz without /proc/bc"
    osrelease = _readable(files, "/proc/sys/kernel/osrelease") or ""
    if "Microsoft" in osrelease or "WSL" in osrelease:
        return "wsl", "/proc/sys/kernel/osrelease names WSL"
    for path in ("/run/host/container-manager", "/run/systemd/container"):
        name = (files.read_text(path) or "").strip().splitlines()[:1]
        if name and name[0]:
            return name[0], f"{path} says {name[0]}"
    environ = _readable(files, "/proc/1/environ")
    for variable in (environ or "").split("\0"):
        if variable.startswith("container="):
            value = variable.partition("=")[2]
            return (value or None), f"PID 1's environment has container={value}"
    for path, manager in (("/run/.containerenv", "podman"), ("/.dockerenv", "docker")):
        if files.exists(path):
            return manager, f"{path} exists"
    return None, "no container manager detected"


def _readable(files: HostFiles, path: str) -> str | None:
    try:
        return files.read_text(path)
    except HostReadError:  # /proc/1/environ needs privileges; systemd ignores the failure too
        return None


def _virtualization(files: HostFiles, argument: str) -> tuple[bool | None, str]:
    container, why = detect_container(files)
    if argument == "container":
        return container is not None, why
    if argument in _CONTAINERS:
        return container == argument, why
    if container is not None and argument != "private-users":
        # detect_virtualization() reports the container and never looks for a VM: every VM test
        # is false and "virtualised at all" is true.
        return argument.lower() in ("yes", "true", "1", "on"), why
    return None, f"{why}; whether this is a virtual machine is not in the files"


def _capability(files: HostFiles, argument: str) -> tuple[bool | None, str]:
    bit = _CAPABILITIES.get(argument)
    status = _readable(files, "/proc/1/status")
    if bit is not None and status:
        for line in status.splitlines():
            if line.startswith("CapBnd:"):
                holds = bool(int(line.split()[1], 16) >> bit & 1)
                return holds, f"PID 1's bounding set {'has' if holds else 'lacks'} {argument}"
    container, why = detect_container(files)
    if container is None:
        return True, f"{why}: the service manager holds every capability"
    return None, f"{why}: a container may drop {argument}"


def _kernel_command_line(files: HostFiles, argument: str) -> tuple[bool | None, str]:
    cmdline = files.read_text("/proc/cmdline")
    source = "/proc/cmdline"
    if cmdline is None or files.root != Path("/"):
        grub = last_wins(read_entries(files.read_text("/etc/default/grub") or "", SHELL))
        if not grub:
            return None, "no /proc/cmdline or /etc/default/grub to read the kernel command line from"
        cmdline = " ".join(grub[k].value for k in ("GRUB_CMDLINE_LINUX", "GRUB_CMDLINE_LINUX_DEFAULT") if k in grub)
        source = "/etc/default/grub"
    words = cmdline.split()
    if "=" in argument:
        holds = argument in words
    else:
        holds = any(word == argument or word.startswith(f"{argument}=") for word in words)
    return holds, f"{source} {'has' if holds else 'lacks'} {argument}"
