"""The storage interface every evidence store backend implements.

Two kinds of thing are stored: immutable content-addressed objects (named by the
sha256 of their bytes) and manifests, one per run, each in a numbered slot of the
hash chain. A slot is written once: `publish_manifest` refuses a taken slot, which
is how two concurrent runs are kept from forking the chain.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from annexa.evidence_store.lock import RunLock

__all__ = ["Backend", "SlotTaken"]


class SlotTaken(Exception):
    """Another writer published a manifest at this sequence number first."""


class Backend(Protocol):
    url: str

    def has_object(self, digest: str) -> bool: ...

    def put_object(self, digest: str, data: bytes) -> None:
        """Store `data` under `digest` unless already present (content-addressed, so idempotent)."""

    def get_object(self, digest: str) -> bytes: ...

    def iter_objects(self) -> list[str]:
        """Digests of every stored object (for verification)."""

    def publish_manifest(self, sequence: int, data: bytes) -> None:
        """Write the manifest into slot `sequence` atomically, or raise SlotTaken."""

    def get_manifest(self, sequence: int) -> bytes: ...

    def list_manifests(self) -> list[int]:
        """Sequence numbers of published manifests, ascending."""

    def index_path(self) -> Path:
        """Where this store's derived SQLite index lives (always a local file)."""

    def run_lock(self) -> RunLock:
        """The store's run lock (one collection at a time; see lock.py)."""
