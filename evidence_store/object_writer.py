"""Objects written behind the caller's back: a run's facts go to disk (or S3) on writer threads.

`RunWriter.add_fact` redacts and hashes a fact and hands its bytes here; the write itself (a
file create, or an S3 PUT at network latency) happens on up to `threads` background threads, so
the thread that consumes the collectors' facts never waits on the disk. Objects are handed over
in batches (`batch` objects at a time): one queue hand-off per object would cost more thread
switching than the write itself. The queue is bounded (memory stays flat when the disk is slower
than the collectors) and the threads exit when idle.

`flush()` returns once every object handed over so far is stored, or raises the first write
error: a run's manifest is published only after its flush, so it never names a missing object.
Once a write failed the rest are dropped (the run will not be published anyway).
"""

from __future__ import annotations

import queue
import threading
from typing import Any

__all__ = ["ObjectWriter"]

_IDLE = 0.5  # seconds a writer thread waits for work before it exits
_BATCH = 64  # objects per hand-off
_QUEUED_BATCHES = 64  # at most this many batches wait (64 x 64 objects of ~1 KB: a few MB)


class ObjectWriter:
    def __init__(self, backend: Any, threads: int, batch: int = _BATCH) -> None:
        self._backend = backend
        self._threads = max(1, threads)
        self._batch = batch
        self._pending: list[tuple[str, bytes]] = []
        self._queue: queue.Queue[list[tuple[str, bytes]]] = queue.Queue(maxsize=_QUEUED_BATCHES)
        self._lock = threading.Lock()  # guards _pending and _alive
        self._alive = 0
        self._error: BaseException | None = None

    def put(self, digest: str, data: bytes) -> None:
        with self._lock:
            self._pending.append((digest, data))
            if len(self._pending) < self._batch:
                return
            batch, self._pending = self._pending, []
        self._hand_over(batch)

    def _hand_over(self, batch: list[tuple[str, bytes]]) -> None:
        if self._error is not None:
            return
        self._queue.put(batch)
        with self._lock:  # a thread exits only when it finds the queue empty under this lock
            if self._alive < self._threads:
                self._alive += 1
                threading.Thread(target=self._work, name="annexa-store-writer", daemon=True).start()

    def _work(self) -> None:
        while True:
            try:
                batch = self._queue.get(timeout=_IDLE)
            except queue.Empty:
                with self._lock:
                    if self._queue.empty():
                        self._alive -= 1
                        return
                continue
            try:
                for digest, data in batch:
                    if self._error is not None:
                        break
                    self._backend.put_object(digest, data)
            except BaseException as err:  # noqa: BLE001 - kept and raised by flush() on the committing thread
                if self._error is None:
                    self._error = err
            finally:
                self._queue.task_done()

    def flush(self) -> None:
        """Wait until every object put so far is stored; raise the first write error, if any."""
        with self._lock:
            batch, self._pending = self._pending, []
        if batch:
            self._hand_over(batch)
        self._queue.join()
        if self._error is not None:
            raise self._error
