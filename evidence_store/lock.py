"""The run lock: one collection at a time per store.

A backend hands out a `RunLock` (`acquire(holder)` / `release()`); the holder
(pid, host, since, run id) is recorded so a refused run can say who holds the
store. The local backend uses a kernel lock (`flock`) on `<store>/lock`: the
kernel drops it when the holder exits or crashes, so a crashed run can never
block the store, and there is no window in which two takeovers race. A lock
file that still names a holder when the lock is acquired is a run that died
without releasing: it is reported (`stale_lock_taken_over`) and replaced.
The file is never deleted (deleting it would let two processes lock two
different files of the same name).

The lock keeps overlapping runs from doing the work twice; the chain itself
never depends on it (a manifest slot is still published with link(), which
refuses a taken slot).
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Protocol

from annexa.errors import ConcurrentRunError, StoreError
from annexa.model import utc_now

__all__ = ["LocalRunLock", "LockHeld", "LockHolder", "RunLock", "holding_run_lock"]


@dataclass(frozen=True)
class LockHolder:
    pid: int
    host: str
    since: str
    run_id: str

    def describe(self) -> str:
        return f"pid {self.pid} on host {self.host} since {self.since} (run {self.run_id})"

    @classmethod
    def from_bytes(cls, raw: bytes) -> LockHolder | None:
        try:
            data = json.loads(raw)
            return cls(int(data["pid"]), str(data["host"]), str(data["since"]), str(data["run_id"]))
        except (ValueError, KeyError, TypeError):
            return None


class LockHeld(Exception):
    """Another live run holds the store; `holder` says who (None if it has not recorded itself yet)."""

    def __init__(self, holder: LockHolder | None) -> None:
        super().__init__(holder.describe() if holder else "another process")
        self.holder = holder


class RunLock(Protocol):
    def acquire(self, holder: LockHolder) -> LockHolder | None:
        """Take the lock or raise LockHeld; returns the holder of a stale lock it replaced, if any."""

    def release(self) -> None: ...


class LocalRunLock:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    def acquire(self, holder: LockHolder) -> LockHolder | None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        except OSError as err:
            raise StoreError(f"cannot create the run lock {self.path}: {err.strerror or err}") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            current = _read_holder(fd, retries=5)
            os.close(fd)
            raise LockHeld(current) from None
        stale = _read_holder(fd, retries=0)
        try:
            os.ftruncate(fd, 0)
            os.pwrite(fd, json.dumps(asdict(holder), sort_keys=True).encode(), 0)
            os.fsync(fd)
        except OSError as err:  # e.g. a full disk: nothing is written, the lock is let go
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)
            raise StoreError(f"cannot record the run lock {self.path}: {err.strerror or err}") from None
        self._fd = fd
        return stale

    def release(self) -> None:
        if self._fd is None:
            return
        fd, self._fd = self._fd, None
        try:
            os.ftruncate(fd, 0)  # an empty lock file = released cleanly, so the next run sees nothing stale
        except OSError:
            pass  # the flock is what excludes; a holder record left behind only reads as "stale" next time
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)


def _read_holder(fd: int, retries: int) -> LockHolder | None:
    """The recorded holder; a holder that just took the lock may not have written itself yet."""
    for attempt in range(retries + 1):
        holder = LockHolder.from_bytes(os.pread(fd, 4096, 0))
        if holder is not None or attempt == retries:
            return holder
        time.sleep(0.05)
    return None


@contextmanager
def holding_run_lock(lock: RunLock, store_url: str, run_id: str, log: Any) -> Iterator[LockHolder]:
    """Hold the store's run lock for one run; ConcurrentRunError (exit 2) naming the holder if taken."""
    holder = LockHolder(pid=os.getpid(), host=socket.gethostname(), since=utc_now(), run_id=run_id)
    try:
        stale = lock.acquire(holder)
    except LockHeld as held:
        who = held.holder.describe() if held.holder else "another process (it has not recorded itself yet)"
        raise ConcurrentRunError(
            f"{store_url}: another collection is running on this store: {who}; this run was not started"
        ) from None
    if stale is not None:
        log.warning(
            "stale_lock_taken_over",
            previous_holder=asdict(stale),
            detail="that run ended without releasing the lock (crashed or killed); it published nothing",
        )
    try:
        yield holder
    finally:
        lock.release()
