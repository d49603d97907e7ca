"""Whether a systemd unit is enabled, told from /etc/systemd/system alone.

`systemctl enable` records its decision as symlinks: `<target>.wants/<unit>` or
`<target>.requires/<unit>` for install targets, and `<alias>` links for `Alias=`
names (e.g. `dbus-org.freedesktop.timesync1.service`). A unit linked to
/dev/null is masked and never starts. Reading the links (rather than running
systemctl) works on a mounted image and in a container without systemd.
Vendor presets applied at package install also land here, so this is what
`systemctl is-enabled` reports for the units annexa asks about.
"""

from __future__ import annotations

from annexa.collectors.host.files import HostFiles

__all__ = ["unit_enabled", "unit_masked"]

_UNIT_DIR = "/etc/systemd/system"


def unit_masked(files: HostFiles, unit: str) -> bool:
    return bool(files.readlink(f"{_UNIT_DIR}/{unit}") == "/dev/null")


def unit_enabled(files: HostFiles, unit: str, aliases: tuple[str, ...] = ()) -> bool:
    """True when `unit` is not masked and an enablement symlink for it exists."""
    if unit_masked(files, unit):
        return False
    if files.glob(f"{_UNIT_DIR}/*.wants/{unit}") or files.glob(f"{_UNIT_DIR}/*.requires/{unit}"):
        return True
    return any(files.readlink(f"{_UNIT_DIR}/{alias}") not in (None, "/dev/null") for alias in aliases)
