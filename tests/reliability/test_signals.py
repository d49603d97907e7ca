"""SIGTERM and SIGINT during `annexa collect` (a real process, blocked on a GitHub API that never
answers): one log line in the active format, exit 143 or 130, the run lock released, nothing
published."""

from __future__ import annotations

import fcntl
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture
def silent_api() -> Iterator[tuple[str, threading.Event]]:
    """A loopback server that accepts connections and never answers."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    connected = threading.Event()
    held: list[socket.socket] = []

    def accept() -> None:
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            held.append(conn)
            connected.set()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.getsockname()[1]}", connected
    finally:
        server.close()
        for conn in held:
            conn.close()


@pytest.mark.parametrize(
    ("sig", "code", "event"), [(signal.SIGTERM, 143, "terminated"), (signal.SIGINT, 130, "interrupted")]
)
@pytest.mark.parametrize("log_format", ["json", "console"])
def test_a_signal_ends_collect_cleanly(
    sig: int, code: int, event: str, log_format: str, silent_api: tuple[str, threading.Event], tmp_path: Path
) -> None:
    url, connected = silent_api
    store = tmp_path / "evidence"
    config = tmp_path / "annexa.yaml"
    config.write_text(f"store: {store}\ntargets:\n  - github: {{org: acme, base_url: '{url}'}}\n", encoding="utf-8")
    process = subprocess.Popen(
        [sys.executable, "-m", "annexa.cli", "--log-format", log_format, "collect", "--config", str(config)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "GITHUB_TOKEN": "ghp_" + "s" * 36},
    )
    try:
        assert connected.wait(60), "collect never reached the API"
        time.sleep(0.2)
        process.send_signal(sig)
        out, err = process.communicate(timeout=30)
    finally:
        process.kill()
    assert process.returncode == code, err
    assert "Traceback" not in err and out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    if log_format == "json":
        line = json.loads(lines[0])
        assert line["event"] == event and line["exit_code"] == code and line["level"] == "error"
    else:
        assert event in lines[0] and "{" not in lines[0]
    assert not (store / "manifests").exists() or not list((store / "manifests").iterdir())
    with (store / "lock").open("rb+") as lock:  # released: a new run could take it now
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        assert lock.read() == b""  # and no holder left behind to report as stale
