"""The local-directory backend (the default store).

Layout:
    objects/<2 hex>/<sha256>     canonical JSON, `sha256sum` of the file = its name
    manifests/<sequence>.json     one per run, 8-digit zero-padded sequence
    shards/<run_id>/<K>-of-<N>.json  shard manifests of a sharded run, until sealed
    timestamps/<sequence>.json    RFC 3161 timestamp record of a manifest (timestamps.py), when configured
    index.sqlite                  derived, rebuildable (`annexa reindex`)
    lock                          the run lock: who is collecting now (empty when nobody)
Objects are written to a temporary file and renamed into place; a manifest is
published with a hard link, which fails if the slot exists, so a crash or a
concurrent run leaves either a whole run or none.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from annexa.errors import StoreError
from annexa.evidence_store.backend import SlotTaken
from annexa.evidence_store.lock import LocalRunLock

__all__ = ["LocalBackend"]

_MANIFEST = re.compile(r"^(\d{8})\.json$")
_DIGEST = re.compile(r"^[0-9a-f]{64}$")
_SHARD = re.compile(r"^(\d+-of-\d+)\.json$")
_O_CLOEXEC = getattr(os, "O_CLOEXEC", 0)


class LocalBackend:
    write_threads = 2  # object writes are file creates: two threads keep the disk busy, more only contend

    def __init__(self, root: Path) -> None:
        self.root = root
        self.url = str(root)
        self._objects = root / "objects"
        self._manifests = root / "manifests"
        self._tmp = root / "tmp"
        # Folders this backend has made or seen, so writing an object costs no mkdir or stat:
        # the store's own folders once per backend, each `objects/<2 hex>/` once.
        self._made: set[str] = set()
        self._objects_dir, self._tmp_dir = str(self._objects), str(self._tmp)

    def _ensure_dirs(self) -> None:
        if "" in self._made:
            return
        try:
            for path in (self._objects, self._manifests, self._tmp):
                path.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise StoreError(f"cannot create the evidence store at {self.root}: {err.strerror or err}") from None
        self._made.add("")

    def _object_path(self, digest: str) -> Path:
        if not _DIGEST.match(digest):
            raise StoreError(f"{self.root}: invalid object name {digest!r}")
        return self._objects / digest[:2] / digest

    def has_object(self, digest: str) -> bool:
        return self._object_path(digest).exists()

    def scratch(self) -> BinaryIO:
        """An unnamed file in the store's own tmp folder: on the store's disk, gone when closed."""
        self._ensure_dirs()
        try:
            return tempfile.TemporaryFile(dir=self._tmp_dir)
        except OSError as err:
            raise StoreError(
                f"{self.root}: cannot write a scratch file in {self._tmp_dir}: {err.strerror or err}"
            ) from None

    def put_object(self, digest: str, data: bytes | BinaryIO) -> None:
        """Write a new temporary file and link it under its name: five system calls (open, write,
        close, link, unlink), none of them a mkdir or a stat. link() never replaces: an object
        already stored keeps its bytes.

        No fsync per object: thousands of facts would cost thousands of disk flushes. They are
        made durable together by the sync in publish_manifest, before anything refers to them.
        """
        if not _DIGEST.match(digest):
            raise StoreError(f"{self.root}: invalid object name {digest!r}")
        prefix = digest[:2]
        if prefix not in self._made:
            self._ensure_dirs()
            self._mkdir(os.path.join(self._objects_dir, prefix))
            self._made.add(prefix)
        try:
            self._put_new(digest, data)
        except FileNotFoundError:  # the store's folders were removed under a long-lived backend: make them again
            self._made.clear()
            self._ensure_dirs()
            self._mkdir(os.path.join(self._objects_dir, prefix))
            self._made.add(prefix)
            try:
                self._put_new(digest, data)
            except FileNotFoundError as err:
                raise StoreError(f"{self.root}: cannot write {digest}: {err.strerror or err}") from None

    def _mkdir(self, path: str) -> None:
        try:
            os.makedirs(path, exist_ok=True)
        except OSError as err:
            raise StoreError(f"cannot create {path}: {err.strerror or err}") from None

    def _put_new(self, digest: str, data: bytes | BinaryIO) -> None:
        # One temporary name per process, thread and object: concurrent writers never collide;
        # a leftover from a crashed process is taken over (O_TRUNC), it was never linked anywhere.
        tmp = os.path.join(self._tmp_dir, f".obj-{os.getpid()}-{threading.get_ident()}-{digest}")
        path = os.path.join(self._objects_dir, digest[:2], digest)
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | _O_CLOEXEC, 0o600)
            try:
                for block in _blocks(data):
                    view = memoryview(block)
                    while view:
                        view = view[os.write(fd, view) :]
            finally:
                os.close(fd)
            try:
                os.link(tmp, path)
            except FileExistsError:
                pass  # content-addressed: the same bytes are already stored
            finally:
                os.unlink(tmp)
        except FileNotFoundError:
            raise
        except OSError as err:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            if err.errno == errno.ENOSPC:
                raise StoreError(f"{self.root}: no space left on device while writing {digest}") from None
            raise StoreError(f"{self.root}: cannot write {digest}: {err.strerror or err}") from None

    def get_object(self, digest: str) -> bytes:
        try:
            return self._object_path(digest).read_bytes()
        except FileNotFoundError:
            raise StoreError(f"{self.root}: object {digest} is missing") from None

    def iter_objects(self) -> list[str]:
        if not self._objects.is_dir():
            return []
        return sorted(p.name for p in self._objects.glob("??/*") if _DIGEST.match(p.name))

    def publish_manifest(self, sequence: int, data: bytes) -> None:
        self._ensure_dirs()
        os.sync()  # every object this manifest names reaches the disk before the manifest exists
        self._write_atomically(self._manifests / f"{sequence:08d}.json", data, replace=False)

    def get_manifest(self, sequence: int) -> bytes:
        try:
            return (self._manifests / f"{sequence:08d}.json").read_bytes()
        except FileNotFoundError:
            raise StoreError(f"{self.root}: manifest {sequence:08d}.json is missing") from None

    def list_manifests(self, after: int = 0) -> list[int]:
        if not self._manifests.is_dir():
            return []
        seqs = (int(m.group(1)) for p in self._manifests.iterdir() if (m := _MANIFEST.match(p.name)))
        return sorted(seq for seq in seqs if seq > after)

    def publish_shard(self, run_id: str, name: str, data: bytes) -> None:
        folder = self.root / "shards" / run_id
        self._ensure_dirs()
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise StoreError(f"cannot create {folder}: {err.strerror or err}") from None
        self._write_atomically(folder / f"{name}.json", data, replace=False)

    def get_shard(self, run_id: str, name: str) -> bytes:
        try:
            return (self.root / "shards" / run_id / f"{name}.json").read_bytes()
        except FileNotFoundError:
            raise StoreError(f"{self.root}: shard {name} of run {run_id} is missing") from None

    def list_shards(self, run_id: str) -> list[str]:
        folder = self.root / "shards" / run_id
        if not folder.is_dir():
            return []
        return sorted(m.group(1) for p in folder.iterdir() if (m := _SHARD.match(p.name)))

    def publish_timestamp(self, sequence: int, data: bytes) -> None:
        folder = self.root / "timestamps"
        try:
            folder.mkdir(exist_ok=True)
        except OSError as err:
            raise StoreError(f"cannot create {folder}: {err.strerror or err}") from None
        self._write_atomically(folder / f"{sequence:08d}.json", data, replace=False)

    def get_timestamp(self, sequence: int) -> bytes | None:
        try:
            return (self.root / "timestamps" / f"{sequence:08d}.json").read_bytes()
        except FileNotFoundError:
            return None

    def index_path(self) -> Path:
        return self.root / "index.sqlite"

    def run_lock(self) -> LocalRunLock:
        return LocalRunLock(self.root / "lock")

    def _write_atomically(self, path: Path, data: bytes, replace: bool, durable: bool = True) -> None:
        """Write via a temp file; `replace=False` publishes with link() so a taken name is refused.
        `durable=False` leaves flushing to a later sync (see publish_manifest)."""
        fd, tmp_name = tempfile.mkstemp(dir=self._tmp, prefix=".write-")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                if durable:
                    os.fsync(handle.fileno())
            if replace:
                os.replace(tmp_name, path)
            else:
                try:
                    os.link(tmp_name, path)
                except FileExistsError:
                    raise SlotTaken(path.name) from None
        except OSError as err:
            if err.errno == errno.ENOSPC:
                raise StoreError(f"{self.root}: no space left on device while writing {path.name}") from None
            raise StoreError(f"{self.root}: cannot write {path.name}: {err.strerror or err}") from None
        finally:
            if os.path.exists(tmp_name):
                os.unlink(tmp_name)


def _blocks(data: bytes | BinaryIO) -> Iterator[bytes]:
    """The bytes to write: `data` itself, or a whole file's, from its start (a retried write reads
    it again), 1 MiB at a time."""
    if isinstance(data, bytes | bytearray | memoryview):
        yield data
        return
    data.seek(0)
    while block := data.read(1 << 20):
        yield block
