"""A read-only copy of a store (what an auditor is handed) can be read by every report.

The copy is made really read-only: a read-only bind mount when running as root (where
chmod stops nothing), chmod otherwise. The index is then copied into memory, or built
there when the copy has none; nothing is written to the copy.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from fakes import FAKE_RULES, run_cli
from history import write_history

from annexa.evidence_store.signing import Ed25519Signer, generate_keypair
from annexa.evidence_store.store import open_store

NIGHTS = [{"b1": {"encrypted": n != 1, "versioning": "Enabled"}, "b2": {"encrypted": True}} for n in range(3)]


def _make_read_only(folder: Path) -> Iterator[None]:
    if os.geteuid() == 0:
        bind = subprocess.run(["mount", "--bind", str(folder), str(folder)], capture_output=True)
        if bind.returncode != 0:
            pytest.skip(f"running as root, and a read-only bind mount is not allowed here: {bind.stderr.decode()}")
        try:
            subprocess.run(["mount", "-o", "remount,ro,bind", str(folder)], check=True, capture_output=True)
            yield
        finally:
            subprocess.run(["umount", "-l", str(folder)], check=False)
    else:
        for path in [folder, *folder.rglob("*")]:
            path.chmod(path.stat().st_mode & ~0o222)
        try:
            yield
        finally:
            for path in [folder, *folder.rglob("*")]:
                path.chmod(path.stat().st_mode | 0o200)


@pytest.fixture(params=["with its index", "without an index"])
def read_only_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Path, Path]]:
    (tmp_path / "rules.yaml").write_text(FAKE_RULES)
    key = generate_keypair(tmp_path / "signing.key")
    store = open_store(str(tmp_path / "ev"), Ed25519Signer(key.private_path))
    write_history(store, tmp_path / "rules.yaml", NIGHTS)
    copy = tmp_path / "copy"
    shutil.copytree(tmp_path / "ev", copy)
    if request.param == "without an index":
        for name in ("index.sqlite", "index.sqlite-wal", "index.sqlite-shm"):
            (copy / name).unlink(missing_ok=True)
    config = tmp_path / "annexa.yaml"
    config.write_text(
        f"store: {copy}\nmappings: [{tmp_path / 'rules.yaml'}]\ntrusted_keys: [{key.fingerprint}]\n"
        "targets:\n  - fake: {buckets: {}}\n"
    )
    before = sorted((p.relative_to(copy), p.stat().st_size) for p in copy.rglob("*") if p.is_file())
    for _ in _make_read_only(copy):
        with pytest.raises(OSError):
            (copy / "probe").write_text("x")  # really read-only
        yield copy, config
    assert sorted((p.relative_to(copy), p.stat().st_size) for p in copy.rglob("*") if p.is_file()) == before


@pytest.mark.usefixtures("fake_collector_installed")
def test_every_report_reads_a_read_only_store(
    read_only_store: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    copy, config = read_only_store
    cfg = ["--config", str(config)]
    for argv, codes in (
        (["runs"], {0}),
        (["findings", "--format", "json"], {0}),
        (["soa", "--format", "json"], {0}),
        (["drift", "--from", "1"], {0, 3}),
        (["nonconformities"], {0}),
        (["export", "oscal"], {0}),
        (["head"], {0}),
        (["verify"], {0}),
        (["pack", "--from", "2026-08-01", "--to", "2026-08-03", "-o", str(tmp_path / "pack.zip")], {0}),
    ):
        code, out, err = run_cli(capsys, *argv, *cfg)
        assert code in codes, (argv, err)
    assert (tmp_path / "pack.zip").is_file()
    code, out, _ = run_cli(capsys, "reindex", *cfg)
    assert code == 0 and "in memory only: the store is read-only" in out
