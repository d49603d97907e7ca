"""Canonical JSON: the one byte form that every hash in a bundle is taken over.

Sorted keys, no insignificant white space, UTF-8, so `sha256sum` of a stored
object equals its name and the same fact always hashes the same.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

__all__ = ["canonical_bytes", "canonical_with_and_without", "sha256_hex"]


def canonical_bytes(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode("utf-8")


def canonical_with_and_without(value: Mapping[str, Any], key: str) -> tuple[bytes, bytes]:
    """(canonical_bytes(value), canonical_bytes of value without `key`), each member encoded once:
    a manifest checked for canonical form and for its signature (which covers it without `signature`)
    is not encoded twice. The members before and after `key` in sorted order are encoded apart and joined."""
    before = canonical_bytes({k: v for k, v in value.items() if k < key})[1:-1]
    after = canonical_bytes({k: v for k, v in value.items() if k > key})[1:-1]
    without = b"{" + b",".join(part for part in (before, after) if part) + b"}"
    if key not in value:
        return without, without
    member = canonical_bytes(key) + b":" + canonical_bytes(value[key])
    return b"{" + b",".join(part for part in (before, member, after) if part) + b"}", without


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
