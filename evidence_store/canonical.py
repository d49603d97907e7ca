"""Canonical JSON: the one byte form that every hash in a bundle is taken over.

Sorted keys, no insignificant white space, UTF-8, so `sha256sum` of a stored
object equals its name and the same fact always hashes the same.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

__all__ = ["canonical_bytes", "sha256_hex"]


def canonical_bytes(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode("utf-8")


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
