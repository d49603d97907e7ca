"""A bounded worker pool whose results stream back to the calling thread.

AWS collection is I/O bound and spread over collectors x accounts x regions: each work unit
runs in a worker thread and every item it yields goes through a bounded queue to the caller
(the runner thread, which writes the store). Memory stays bounded by the queue, and one slow or
failing unit never holds up the others.

`limits` caps how many units sharing a key run at once (e.g. at most 8 per account, so the
API's per-account request rates are rarely hit; at most half the pool per collector, so one
service's throttling does not occupy every worker). A worker takes the first waiting unit, in
the given order, whose keys all have room.
"""

from __future__ import annotations

import queue
import threading
import time
from collections import deque
from collections.abc import Callable, Hashable, Iterable, Iterator, Sequence
from typing import Generic, TypeVar

__all__ = ["DEFAULT_WORKERS", "MAX_DEFAULT_WORKERS", "Waits", "default_workers", "fan_out"]

DEFAULT_WORKERS = 10
# Without `max_workers`, the pool is sized for I/O from the work: one thread per unit, at most
# this many (API calls wait on the network; the threads' CPU is small beside that).
MAX_DEFAULT_WORKERS = 32


def default_workers(units: int, configured: int | None) -> int:
    """The pool size: `max_workers` when configured, else one per unit up to MAX_DEFAULT_WORKERS."""
    return configured if configured is not None else max(1, min(MAX_DEFAULT_WORKERS, units))


class Waits:
    """How long the workers, together, waited for room in the queue: time the consumer (the
    runner's thread, which judges every fact) held up collection. Near zero means the API is
    the limit."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.seconds = 0.0

    def add(self, seconds: float) -> None:
        with self._lock:
            self.seconds += seconds


U = TypeVar("U")
R = TypeVar("R")
Limits = Sequence[tuple[Hashable, int]]  # (key, how many units with that key may run at once)
_DONE = object()
_POLL = 0.1  # seconds a blocked worker waits before checking whether the consumer has gone


class _Schedule(Generic[U]):
    """The waiting units and how many running units hold each limited key.

    Waiting units are grouped by their limits (a group per collector x account, say), in order of
    first appearance, and groups are served round robin: concurrent units spread over accounts and
    collectors, and finding a unit that may run costs at most one look per group, not per unit.
    """

    def __init__(self, units: Sequence[U], limits: Callable[[U], Limits] | None) -> None:
        groups: dict[tuple[tuple[Hashable, int], ...], deque[U]] = {}
        for unit in units:
            groups.setdefault(tuple(limits(unit)) if limits else (), deque()).append(unit)
        self._groups = list(groups.items())
        self._next = 0  # the group to look at first: the one after the last served
        self._running: dict[Hashable, int] = {}
        self._changed = threading.Condition()

    def take(self, stop: threading.Event) -> tuple[U, Limits] | None:
        """The next unit whose keys have room (waiting while none has), with its limits; None when all are taken."""
        with self._changed:
            while self._groups and not stop.is_set():
                for step in range(len(self._groups)):
                    position = (self._next + step) % len(self._groups)
                    limits, waiting = self._groups[position]
                    if all(self._running.get(key, 0) < max(1, cap) for key, cap in limits):
                        unit = waiting.popleft()
                        if waiting:
                            self._next = position + 1
                        else:
                            del self._groups[position]
                            self._next = position
                        for key, _cap in limits:
                            self._running[key] = self._running.get(key, 0) + 1
                        return unit, limits
                self._changed.wait(_POLL)  # every waiting unit shares a full key with running ones
            return None

    def done(self, limits: Limits) -> None:
        with self._changed:
            for key, _cap in limits:
                self._running[key] -= 1
            # Each freed key may let one more unit start (the finishing worker looks again itself).
            self._changed.notify(len(limits))


def fan_out(
    units: Sequence[U],
    work: Callable[[U], Iterable[R]],
    crashed: Callable[[U, Exception], R],
    workers: int = DEFAULT_WORKERS,
    queue_size: int = 512,
    limits: Callable[[U], Limits] | None = None,
    ended: Callable[[U], R] | None = None,
    waits: Waits | None = None,
) -> Iterator[R]:
    """Run `work(unit)` for every unit on at most `workers` threads; yield items as they arrive.

    A unit that raises yields `crashed(unit, exc)` (error evidence for that unit) and the
    other units go on. `ended(unit)`, when given, is yielded after the unit's last item (so the
    caller can tell when a unit is complete). Closing the iterator early stops the workers at
    their next item. `waits`, when given, adds up the time workers waited on a full queue.
    """
    if not units:
        return
    schedule = _Schedule(units, limits)
    out: queue.Queue[object] = queue.Queue(maxsize=queue_size)
    stop = threading.Event()

    def put(item: object) -> bool:
        try:
            out.put_nowait(item)
            return True
        except queue.Full:
            began = time.monotonic()
        try:
            while not stop.is_set():
                try:
                    out.put(item, timeout=_POLL)
                    return True
                except queue.Full:
                    continue
            return False
        finally:
            if waits is not None:
                waits.add(time.monotonic() - began)

    def run(unit: U) -> bool:
        try:
            for item in work(unit):
                if not put(item):
                    return False
        except Exception as exc:  # a bug in one unit becomes error evidence for that unit only
            if not put(crashed(unit, exc)):
                return False
        return ended is None or put(ended(unit))

    def worker() -> None:
        try:
            while (taken := schedule.take(stop)) is not None:
                unit, limits = taken
                try:
                    if not run(unit):
                        return
                finally:
                    schedule.done(limits)
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
