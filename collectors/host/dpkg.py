"""dpkg's status database (/var/lib/dpkg/status): which packages are installed, at which version."""

from __future__ import annotations

__all__ = ["installed_packages"]


def installed_packages(status_text: str | None) -> dict[str, str]:
    """Package -> version for every paragraph whose Status ends in `installed` (deb-control(5) fields)."""
    found: dict[str, str] = {}
    for paragraph in (status_text or "").split("\n\n"):
        fields = dict(line.split(":", 1) for line in paragraph.splitlines() if ":" in line and not line[0].isspace())
        package = fields.get("Package", "").strip()
        if package and fields.get("Status", "").split()[-1:] == ["installed"]:
            found[package] = fields.get("Version", "").strip()
    return found
