"""Light normalisation of IAM policy documents (no judging: rules decide what matters)."""

from __future__ import annotations

import json
import urllib.parse
from typing import Any

__all__ = ["as_document", "grants_star_on_star"]


def as_document(raw: str | dict[str, Any]) -> dict[str, Any]:
    """A policy document as a dict: botocore usually decodes it, the raw API sends URL-encoded JSON."""
    if isinstance(raw, dict):
        return raw
    return json.loads(urllib.parse.unquote(raw))


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def grants_star_on_star(document: dict[str, Any]) -> bool:
    """Whether any Allow statement has Action `*` and Resource `*` (full administrative access)."""
    for statement in _as_list(document.get("Statement")):
        if statement.get("Effect") != "Allow":
            continue
        if "*" in _as_list(statement.get("Action")) and "*" in _as_list(statement.get("Resource")):
            return True
    return False
