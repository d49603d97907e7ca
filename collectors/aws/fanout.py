"""A bounded worker pool whose results stream back to the calling thread.

AWS collection is I/O bound and spread over accounts x regions: each work unit runs
in a worker thread and every item it yields goes through a bounded queue to the
caller (the runner thread, which writes the store). Memory stays bounded by the
queue, and one slow or failing unit never holds up the others.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TypeVar

__all__ = ["DEFAULT_WORKERS", "MAX_DEFAULT_WORKERS", "default_workers", "fan_out"]

DEFAULT_WORKERS = 10
# Without `max_workers`, the pool is sized for I/O from the work: one thread per unit, at most
# this many (API calls wait on the network; the threads' CPU is small beside that).
MAX_DEFAULT_WORKERS = 32


def default_workers(units: int, configured: int | None) -> int:
    """The pool size: `max_workers` when configured, else one per unit up to MAX_DEFAULT_WORKERS."""
    return configured if configured is not None else max(1, min(MAX_DEFAULT_WORKERS, units))


U = TypeVar("U")
R = TypeVar("R")
_DONE = object()
_POLL = 0.1  # seconds a blocked worker waits before checking whether the consumer has gone


def fan_out(
    units: Sequence[U],
    work: Callable[[U], Iterable[R]],
    crashed: Callable[[U, Exception], R],
    workers: int = DEFAULT_WORKERS,
    queue_size: int = 512,
) -> Iterator[R]:
    """Run `work(unit)` for every unit on at most `workers` threads; yield items as they arrive.

    A unit that raises yields `crashed(unit, exc)` (error evidence for that unit) and the
    other units go on. Closing the iterator early stops the workers at their next item.
    """
    if not units:
        return
    pending: queue.SimpleQueue[U] = queue.SimpleQueue()
    for unit in units:
        pending.put(unit)
    out: queue.Queue[object] = queue.Queue(maxsize=queue_size)
    stop = threading.Event()

    def put(item: object) -> bool:
        while not stop.is_set():
            try:
                out.put(item, timeout=_POLL)
                return True
            except queue.Full:
                continue
        return False

    def worker() -> None:
        try:
            while not stop.is_set():
                try:
                    unit = pending.get_nowait()
                except queue.Empty:
                    return
                try:
                    for item in work(unit):
                        if not put(item):
                            return
                except Exception as exc:  # a bug in one unit becomes error evidence for that unit only
                    put(crashed(unit, exc))
        finally:
            put(_DONE)

    count = max(1, min(workers, len(units)))
    threads = [threading.Thread(target=worker, name=f"annexa-aws-{i}", daemon=True) for i in range(count)]
    for thread in threads:
        thread.start()
    try:
        finished = 0
        while finished < count:
            item = out.get()
            if item is _DONE:
                finished += 1
            else:
                yield item  # type: ignore[misc]
    finally:
        stop.set()  # workers still running (the consumer stopped early) give up at their next item
