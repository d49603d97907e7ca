from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import structlog

from annexa.errors import ConcurrentRunError
from annexa.evidence_store.lock import LocalRunLock, LockHeld, LockHolder, holding_run_lock
from annexa.evidence_store.store import open_store

ME = LockHolder(pid=1, host="here", since="2026-11-22T00:00:00Z", run_id="mine")


def test_second_holder_is_refused_with_the_holder_named(tmp_path: Path) -> None:
    store = open_store(str(tmp_path))
    with holding_run_lock(store.backend.run_lock(), store.url, "first", structlog.get_logger()) as holder:
        with pytest.raises(ConcurrentRunError) as refused:
            with holding_run_lock(store.backend.run_lock(), store.url, "second", structlog.get_logger()):
                pytest.fail("two runs held the store")
        message = str(refused.value)
        assert f"pid {holder.pid} on host {holder.host} since {holder.since} (run first)" in message
    assert (tmp_path / "lock").read_bytes() == b""  # released cleanly
    with holding_run_lock(store.backend.run_lock(), store.url, "third", structlog.get_logger()):
        pass


def test_lock_held_by_another_process_and_freed_when_it_dies(tmp_path: Path) -> None:
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from pathlib import Path; from annexa.evidence_store.lock import LocalRunLock, LockHolder\n"
            f"LocalRunLock(Path({str(tmp_path / 'lock')!r})).acquire(LockHolder(4242, 'other', 'then', 'theirs'))\n"
            "print('held', flush=True); time.sleep(60)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        with pytest.raises(LockHeld) as held:
            LocalRunLock(tmp_path / "lock").acquire(ME)
        assert held.value.holder == LockHolder(4242, "other", "then", "theirs")
    finally:
        holder.kill()  # a crash: the lock file still names it, but the kernel lock is gone
        holder.wait()
    lock = LocalRunLock(tmp_path / "lock")
    assert lock.acquire(ME) == LockHolder(4242, "other", "then", "theirs")  # stale, taken over and reported
    assert json.loads((tmp_path / "lock").read_bytes())["run_id"] == "mine"
    lock.release()
