"""Operating system identity from os-release(5)."""

from __future__ import annotations

from typing import Any

from annexa.collectors.host.collector import HostCollector
from annexa.collectors.host.files import HostFiles
from annexa.collectors.host.keyvalue import SHELL, last_wins, read_entries

__all__ = ["OsReleaseCollector", "parse_os_release"]

_FIELDS = ("id", "id_like", "name", "version_id", "version_codename", "pretty_name")


def parse_os_release(text: str) -> dict[str, str]:
    """os-release(5): shell-compatible `KEY=value` assignments (later ones win); keys lower-cased here."""
    return {key.lower(): entry.value for key, entry in last_wins(read_entries(text, SHELL)).items()}


class OsReleaseCollector(HostCollector):
    """The host's operating system as it names itself in /etc/os-release
    (falling back to /usr/lib/os-release): distribution id, version and pretty
    name. Context for auditors reading the other host facts."""

    name = "host.os"
    kinds = ("host.os",)
    permissions = ("read /etc/os-release", "read /usr/lib/os-release")

    def read(self, files: HostFiles) -> dict[str, Any]:
        for path in ("/etc/os-release", "/usr/lib/os-release"):
            text = files.read_text(path)
            if text is not None:
                values = parse_os_release(text)
                return {"present": True, "file": path, **{key: values.get(key) for key in _FIELDS}}
        return {"present": False, "file": None, **{key: None for key in _FIELDS}}
