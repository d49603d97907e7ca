"""A full disk fails the run cleanly (one line, exit 2) and never damages earlier runs.

Uses a real 2 MiB tmpfs when this machine lets us mount one (root in CI), else
simulates ENOSPC from the file system calls the local backend makes."""

from __future__ import annotations

import errno
import json
import os
import sqlite3
import subprocess
import tempfile
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


def test_a_disk_already_full_writes_nothing_and_exits_2(
    tmp_path: Path, small_disk: tuple[Path, bool], capsys: pytest.CaptureFixture[str]
) -> None:
    disk, mounted = small_disk
    if not mounted:
        pytest.skip("needs a real tmpfs (root): nothing simulates a disk that is full before the run starts")
    store = disk / "evidence"
    assert cli.main(["--log-format", "json", "collect", "--config", str(_config(tmp_path / "a.yaml", store, 2))]) == 0
    capsys.readouterr()
    _fill(disk)
    before = sorted(p.name for p in (store / "manifests").iterdir())
    code = cli.main(["--log-format", "json", "collect", "--config", str(_config(tmp_path / "b.yaml", store, 3))])
    err = [line for line in capsys.readouterr().err.splitlines() if not line.startswith("{")]
    assert code == 2, err  # never 1: nothing was written
    assert len(err) == 1 and "no space left on device" in err[0].lower() and err[0].startswith("annexa: error:")
    assert sorted(p.name for p in (store / "manifests").iterdir()) == before
    (disk / "filler").unlink()
    assert store_problems(store) == []


def test_an_index_that_cannot_grow_loses_no_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """SQLite's own "database or disk is full" once the run is published: the run stands (the index is
    a cache), the command ends normally, and the next command indexes the run."""
    import sqlite3

    from annexa.evidence_store.index import Index

    store = tmp_path / "evidence"
    assert cli.main(["--log-format", "json", "collect", "--config", str(_config(tmp_path / "a.yaml", store, 2))]) == 0

    def full(*_args: object) -> None:
        raise sqlite3.OperationalError("database or disk is full")

    with monkeypatch.context() as patch:
        patch.setattr(Index, "apply", full)
        code = cli.main(["--log-format", "json", "collect", "--config", str(_config(tmp_path / "b.yaml", store, 2))])
    captured = capsys.readouterr()
    assert code == 0 and "Traceback" not in captured.err
    assert cli.main(["runs", "--format", "json", "--config", str(tmp_path / "b.yaml")]) == 0
    assert [run["sequence"] for run in json.loads(capsys.readouterr().out)] == [1, 2]


def _fill(disk: Path) -> None:
    """Fill every last block of `disk`."""
    # Unbuffered: a buffered file would retry the leftover bytes on close and raise ENOSPC there.
    with open(disk / "filler", "wb", buffering=0) as filler:
        try:
            while True:
                filler.write(b"\0" * 65536)
        except OSError as err:
            assert err.errno == errno.ENOSPC


def test_a_report_whose_scratch_files_cannot_be_written_is_one_line_and_exit_2(
    tmp_path: Path, small_disk: tuple[Path, bool], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The register replays the chain into scratch SQLite files in the temporary folder: a full one
    is the environment (one line naming the folder, exit 2), not a bug's crash log."""
    disk, mounted = small_disk
    store = tmp_path / "evidence"
    for runs, name in ((2, "a.yaml"), (3, "b.yaml")):
        assert (
            cli.main(["--log-format", "json", "collect", "--config", str(_config(tmp_path / name, store, runs))]) == 0
        )
    capsys.readouterr()
    if mounted:
        _fill(disk)
    else:  # no tmpfs here: SQLite's own error, as a full disk gives it, where the scratch table is written
        from annexa.evidence_store.spans import ResultSpans

        def full(self: ResultSpans, rows: object) -> None:
            raise sqlite3.OperationalError("database or disk is full")

        monkeypatch.setattr(ResultSpans, "add", full)
    monkeypatch.setenv("TMPDIR", str(disk))
    monkeypatch.setattr(tempfile, "tempdir", str(disk))
    code = cli.main(["nonconformities", "--store", str(store), "--format", "json"])
    err = capsys.readouterr().err.splitlines()
    assert (code, err) == (
        2,
        [
            f"annexa: error: database or disk is full (the store's index, or a scratch file in {disk}: "
            "free space there, or set TMPDIR to a folder with room)"
        ],
    )
