"""The storage interface every evidence store backend implements.

Two kinds of thing are stored: immutable content-addressed objects (named by the
sha256 of their bytes) and manifests, one per run, each in a numbered slot of the
hash chain. A slot is written once: `publish_manifest` refuses a taken slot, which
is how two concurrent runs are kept from forking the chain. A sharded run also
stores one shard manifest per shard (`shards/<run_id>/<K>-of-<N>.json`), written
once the same way, until `annexa seal` merges them into the run's manifest.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from annexa.evidence_store.lock import RunLock

__all__ = ["Backend", "Retention", "SlotTaken", "RETENTION_MODES"]

RETENTION_MODES = ("governance", "compliance")


class SlotTaken(Exception):
    """Another writer published a manifest at this sequence number first."""


@dataclass(frozen=True)
class Retention:
    """S3 Object Lock retention for every object written: `mode` (governance|compliance) for `days`."""

    mode: str
    days: int


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

    def list_manifests(self, after: int = 0) -> list[int]:
        """Sequence numbers of published manifests greater than `after`, ascending."""

    def publish_shard(self, run_id: str, name: str, data: bytes) -> None:
        """Write shard manifest `name` (`K-of-N`) of run `run_id` once, or raise SlotTaken."""

    def get_shard(self, run_id: str, name: str) -> bytes: ...

    def list_shards(self, run_id: str) -> list[str]:
        """Names of the shard manifests of run `run_id` that have arrived."""

    def publish_timestamp(self, sequence: int, data: bytes) -> None:
        """Write the timestamp record of manifest `sequence` once (timestamps.py), or raise SlotTaken."""

    def get_timestamp(self, sequence: int) -> bytes | None:
        """The timestamp record of manifest `sequence`, or None when there is none."""

    def index_path(self) -> Path:
        """Where this store's derived SQLite index lives (always a local file)."""

    def run_lock(self) -> RunLock:
        """The store's run lock (one collection at a time; see lock.py)."""
