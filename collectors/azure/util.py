"""Small helpers shared by the Azure collectors: resource ids, timestamps, regions."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

__all__ = ["epoch_iso", "parent_id", "props", "region_of", "same_id"]


def props(raw: dict[str, Any]) -> dict[str, Any]:
    """An ARM resource's `properties` (absent or null reads as empty)."""
    value = raw.get("properties")
    return value if isinstance(value, dict) else {}


def region_of(raw: dict[str, Any]) -> str:
    return str(raw.get("location") or "global").lower()


def arm_common(raw: dict[str, Any]) -> dict[str, Any]:
    """The fields every ARM resource fact starts with: name, location and tags."""
    return {"name": raw.get("name"), "location": region_of(raw), "tags": raw.get("tags") or {}}


def same_id(a: str | None, b: str | None) -> bool:
    """ARM resource ids compare case-insensitively (resource group casing differs between APIs)."""
    return bool(a and b) and a.rstrip("/").lower() == b.rstrip("/").lower()  # type: ignore[union-attr]


def parent_id(resource_id: str) -> str:
    """`/.../virtualNetworks/vnet/subnets/a` -> `/.../virtualNetworks/vnet`: drops the last type/name pair."""
    return "/".join(resource_id.rstrip("/").split("/")[:-2])


def epoch_iso(value: Any) -> str | None:
    """Key Vault's epoch-seconds attributes as RFC 3339 UTC (rules use days_since())."""
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        return None
    return datetime.fromtimestamp(value, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
