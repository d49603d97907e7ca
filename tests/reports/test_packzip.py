"""PackZip writes zips that zipfile and `unzip` read back: names, bytes, CRCs, ZIP64 when needed."""

from __future__ import annotations

import os
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

from annexa.reports import packzip
from annexa.reports.packzip import PackZip


def _entries(count: int) -> dict[str, bytes]:
    return {f"root/e{i:05d}.txt": (f"line {i}\n" * (i % 40)).encode() for i in range(count)}


def _write(path: Path, entries: dict[str, bytes]) -> None:
    with PackZip(path) as archive:
        for name, data in entries.items():
            archive.write(name, data)
        archive.write_chunks("root/streamed.bin", (bytes([n]) * 70_000 + os.urandom(100) for n in range(30)))
        archive.write("root/naïve-ünïcode.txt", "é\n".encode())


def _check(path: Path, entries: dict[str, bytes]) -> None:
    with zipfile.ZipFile(path) as archive:
        assert archive.testzip() is None  # every entry's CRC
        names = archive.namelist()
        assert names == [*entries, "root/streamed.bin", "root/naïve-ünïcode.txt"]
        for name, data in entries.items():
            assert archive.read(name) == data
        streamed = archive.read("root/streamed.bin")
        assert len(streamed) == 30 * 70_100 and streamed[70_100:70_200] == b"\x01" * 100
        assert archive.read("root/naïve-ünïcode.txt") == "é\n".encode()
        info = archive.getinfo(next(iter(entries)))
        assert info.compress_type == zipfile.ZIP_DEFLATED and info.external_attr >> 16 == 0o600
    if shutil.which("unzip"):
        tested = subprocess.run(["unzip", "-tq", str(path)], capture_output=True, text=True)
        assert tested.returncode == 0, tested.stdout + tested.stderr


def test_entries_read_back_with_zipfile_and_unzip(tmp_path: Path) -> None:
    entries = _entries(300)
    _write(tmp_path / "a.zip", entries)
    _check(tmp_path / "a.zip", entries)


def test_more_than_65535_entries_get_zip64_end_records(tmp_path: Path) -> None:
    entries = {f"r/{i}": b"" if i % 3 else b"x" for i in range(70_000)}
    _write(tmp_path / "many.zip", entries)
    assert b"PK\x06\x06" in (tmp_path / "many.zip").read_bytes()[-200:]  # the ZIP64 end record
    _check(tmp_path / "many.zip", entries)


def test_offsets_and_sizes_past_the_32_bit_limit_use_zip64_fields(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past 4 GiB (here a limit lowered to 1,000 bytes): sizes and offsets in ZIP64 extra fields."""
    monkeypatch.setattr(packzip, "_LIMIT", 1000)
    entries = _entries(200)
    _write(tmp_path / "big.zip", entries)
    with zipfile.ZipFile(tmp_path / "big.zip") as archive:
        late = archive.getinfo("root/e00150.txt")
        assert late.header_offset > 1000 and late.extra[:2] == b"\x01\x00"
    _check(tmp_path / "big.zip", entries)


def test_a_failure_inside_the_block_leaves_no_readable_zip(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError), PackZip(tmp_path / "broken.zip") as archive:
        archive.write("root/a", b"a")
        raise RuntimeError("disk full")
    with pytest.raises(zipfile.BadZipFile):
        zipfile.ZipFile(tmp_path / "broken.zip")
