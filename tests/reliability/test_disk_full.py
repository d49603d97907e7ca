"""A full disk fails the run cleanly (one line, exit 2) and never damages earlier runs.

Uses a real 2 MiB tmpfs when this machine lets us mount one (root in CI), else
simulates ENOSPC from the file system calls the local backend makes."""

from __future__ import annotations

import errno
import os
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from store_checks import store_problems

from annexa import cli

pytestmark = pytest.mark.usefixtures("fake_collector_installed")


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[tuple[Path, bool]]:
    mount_point = tmp_path / "disk"
    mount_point.mkdir()
    mounted = (
        subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mount_point)], capture_output=True
        ).returncode
        == 0
    )
    try:
        yield mount_point, mounted
    finally:
        if mounted:
            subprocess.run(["umount", "-l", str(mount_point)], check=False)  # lazy: the index may hold a file open


def _config(path: Path, store: Path, buckets: int) -> Path:
    names = ", ".join(f"b{i}-{uuid.uuid4().hex}: {{encrypted: true, blob: '{'x' * 2000}'}}" for i in range(buckets))
    path.write_text(f"store: {store}\ntargets:\n  - fake: {{buckets: {{{names}}}}}\n")
    return path


def test_full_disk_fails_cleanly_and_keeps_earlier_runs(
    tmp_path: Path, small_disk: tuple[Path, bool], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    disk, mounted = small_disk
    store = disk / "evidence"
    # The fake collector's 1200 buckets come from a 2.4 MB config, beyond the 1 MiB real configs may have.
    monkeypatch.setattr("annexa.yamlio.YAML_LIMIT", 4 * 1024 * 1024)
    assert cli.main(["--log-format", "json", "collect", "--config", str(_config(tmp_path / "a.yaml", store, 3))]) == 0
    capsys.readouterr()
    before = sorted(p.name for p in (store / "manifests").iterdir())

    if not mounted:  # no tmpfs here: fail the 20th file-system write with ENOSPC instead
        real_fsync, calls = os.fsync, []

        def fsync_until_full(fd: int) -> None:
            calls.append(fd)
            if len(calls) > 20:
                raise OSError(errno.ENOSPC, "No space left on device")
            real_fsync(fd)

        monkeypatch.setattr(os, "fsync", fsync_until_full)

    code = cli.main(["--log-format", "json", "collect", "--config", str(_config(tmp_path / "b.yaml", store, 1200))])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert "no space left on device" in err[-1].lower() and err[-1].startswith("annexa: error:")
    monkeypatch.undo()
    assert sorted(p.name for p in (store / "manifests").iterdir()) == before
    assert store_problems(store) == []
    assert not list((store / "tmp").iterdir())  # no temp files left behind
