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
from typing import BinaryIO, Protocol

from annexa.errors import StoreError
from annexa.evidence_store.lock import RunLock
from annexa.evidence_store.urls import store_url_problem

__all__ = ["Backend", "Retention", "SlotTaken", "RETENTION_MODES", "open_backend", "require_existing_store"]

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

    def put_object(self, digest: str, data: bytes | BinaryIO) -> None:
        """Store `data` (bytes, or a whole file, read from its start) under `digest` unless already
        present (content-addressed, so idempotent)."""

    def scratch(self) -> BinaryIO:
        """A file to build a large object in before its name (its sha256) is known, then `put_object`
        it: a run's deltas at organisation scale are tens of MB, which need not be held in memory."""

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


def open_backend(url: str, retention: Retention | None = None) -> Backend:
    """The backend of the store at a path, `file://` URL or `s3://` URL (store.open_store wraps it in a
    Store; verify reads the backend alone). `retention` (S3 Object Lock) needs an s3:// store."""
    problem = store_url_problem(url)
    if problem is not None:
        raise StoreError(problem)
    if url.startswith("s3://"):
        from annexa.evidence_store.s3 import S3Backend  # imported lazily: only S3 users pay for it

        return S3Backend.from_url(url, retention)
    if retention is not None:
        raise StoreError(f"{url}: Object Lock retention needs an s3:// store")
    if url.startswith("file://"):
        url = url[len("file://") :]
    if "://" in url:
        raise StoreError(f"unsupported store URL {url!r} (use a path, file://PATH or s3://BUCKET/PREFIX)")
    if Path(url).exists() and not Path(url).is_dir():  # a config file or a device given as the store
        raise StoreError(f"{url}: not a folder; an evidence store is a folder (or an s3:// URL)")
    from annexa.evidence_store.local import LocalBackend  # not at the top: local.py imports this module

    return LocalBackend(Path(url))


def require_existing_store(url: str) -> None:
    """For commands that only read: a local store must already be there. A mistyped `--store`
    would otherwise open (and create) an empty store and report "no runs" with exit 0.
    An existing folder that holds anything but a store (a home folder, a project) is refused
    too: reading it would write index.sqlite there. StoreError (exit 2) before anything is created."""
    if url.startswith("s3://"):
        return  # the bucket's absence is reported by the S3 backend's first read
    path = Path(url.removeprefix("file://"))
    if not path.exists():
        raise StoreError(f"{url}: no evidence store here (the folder does not exist); check --store or `store:`")
    if path.is_dir() and any(path.iterdir()) and not any((path / name).is_dir() for name in ("manifests", "objects")):
        raise StoreError(f"{url}: not an evidence store (no manifests/ or objects/ folder); check --store or `store:`")
