"""Batch keys: one collector over one scope (`aws.s3@aws/123456789012/eu-west-1`).

Collection times, counts and carry-forward are kept per batch in the manifest; the
key names the collector, so the stored record does not repeat it.
"""

from __future__ import annotations

from collections.abc import Mapping

from annexa.model import scope_key

__all__ = ["batch_collector", "batch_key"]


def batch_key(collector: str, scope: Mapping[str, str]) -> str:
    return f"{collector}@{scope_key(scope)}"


def batch_collector(key: str) -> str:
    """The collector of a batch (collector names never contain '@')."""
    return key.split("@", 1)[0]
