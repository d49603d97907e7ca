"""SIGTERM and SIGINT end a command cleanly: unwind (the run lock is released, nothing
unfinished is published), log one line, exit 143 or 130.

A handler raises into the main thread; `Terminated` derives from BaseException so that
no `except Exception` on the way (a collector's error handling) can swallow it.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

__all__ = ["EXIT_INTERRUPTED", "EXIT_TERMINATED", "Interrupted", "Terminated", "handling_signals"]

EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report it
EXIT_TERMINATED = 143  # 128 + SIGTERM


class Terminated(BaseException):
    """SIGTERM arrived (a supervisor stopping the job)."""


class Interrupted(KeyboardInterrupt):
    """SIGINT arrived as a real signal (not a KeyboardInterrupt raised by code)."""


def _terminate(signum: int, frame: FrameType | None) -> None:
    raise Terminated()


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise Interrupted()


@contextmanager
def handling_signals() -> Iterator[None]:
    """Install the handlers for the duration (main thread only; elsewhere a no-op)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT)}
    signal.signal(signal.SIGTERM, _terminate)
    signal.signal(signal.SIGINT, _interrupt)
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
