"""A write-only zip for the audit pack whose memory does not grow with the number of entries.

zipfile.ZipFile keeps a ZipInfo per entry (filelist, NameToInfo) until it writes the central
directory at close: for a pack of a long period that is tens of thousands of objects held to the
end. PackZip writes each entry at once (local header, deflated data), appends its central-directory
record to a scratch file and copies that file to the end of the zip at close. It does not use
zipfile's internals: the format is written here from the specification (PKWARE APPNOTE 6.3:
local file header, central directory, end records, ZIP64 when there are more than 65,535 entries
or an offset or size needs more than 32 bits), with the fields zipfile.ZipFile.writestr gives a
deflated entry (UTF-8 flag for non-ASCII names, mode 0600, the time of writing), so zipfile,
`unzip` and `annexa verify` read it as before.
"""

from __future__ import annotations

import os
import shutil
import struct
import tempfile
import time
import zlib
from collections.abc import Iterable
from types import TracebackType
from typing import BinaryIO

__all__ = ["PackZip"]

_FULL = 0xFFFFFFFF  # a 32-bit field that says "see the ZIP64 extra field"
_LIMIT = _FULL  # values from here on go to the ZIP64 extra field (lowered by the tests)
_MAX_ENTRIES = 0xFFFF
_DEFLATED = 8
_VERSION = 20  # deflate
_VERSION_ZIP64 = 45
_MADE_BY = 3 << 8  # Unix, as zipfile on Linux
_MODE = 0o600 << 16  # what zipfile.writestr gives an entry named by a string
_UTF8 = 0x800
_CHUNK = 1 << 20


def _dos_time(stamp: float) -> tuple[int, int]:
    year, month, day, hour, minute, second = time.localtime(stamp)[:6]
    year = min(max(year, 1980), 2107)
    return (hour << 11) | (minute << 5) | (second // 2), ((year - 1980) << 9) | (month << 5) | day


class PackZip:
    """`write(name, data)` or `write_chunks(name, chunks)` each entry once, then `close()`
    (or use it as a context manager: an exception leaves the file incomplete, for the caller to delete)."""

    def __init__(self, path: str | os.PathLike[str], level: int = 6) -> None:
        self._out: BinaryIO = open(path, "wb")  # noqa: SIM115 - closed by close()
        self._central: BinaryIO = tempfile.TemporaryFile()  # noqa: SIM115 - closed by close()
        self._level = level
        self._entries = 0
        self._zip64 = False

    def __enter__(self) -> PackZip:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        if kind is None:
            self.close()
        else:
            self._out.close()
            self._central.close()

    def write(self, name: str, data: bytes) -> None:
        compressor = zlib.compressobj(self._level, zlib.DEFLATED, -15)
        self._entry(name, zlib.crc32(data), len(data), compressor.compress(data) + compressor.flush())

    def write_chunks(self, name: str, chunks: Iterable[bytes]) -> None:
        """An entry too large to hold: deflated into a scratch file first (the local header, written
        before the data, needs its sizes and CRC), then copied."""
        compressor = zlib.compressobj(self._level, zlib.DEFLATED, -15)
        crc, size, packed = 0, 0, 0
        with tempfile.TemporaryFile() as scratch:
            for chunk in chunks:
                crc, size = zlib.crc32(chunk, crc), size + len(chunk)
                packed += scratch.write(compressor.compress(chunk))
            packed += scratch.write(compressor.flush())
            scratch.seek(0)
            self._header(name, crc, size, packed)
            shutil.copyfileobj(scratch, self._out, _CHUNK)

    def _entry(self, name: str, crc: int, size: int, packed: bytes) -> None:
        self._header(name, crc, size, len(packed))
        self._out.write(packed)

    def _header(self, name: str, crc: int, size: int, packed: int) -> None:
        """The local header now, the central-directory record to the scratch file."""
        offset = self._out.tell()
        flags = 0 if name.isascii() else _UTF8
        raw = name.encode("utf-8")
        clock, day = _dos_time(time.time())
        big = size >= _LIMIT or packed >= _LIMIT
        local_extra = struct.pack("<HHQQ", 1, 16, size, packed) if big else b""
        version = _VERSION_ZIP64 if big else _VERSION
        self._out.write(
            struct.pack(
                "<IHHHHHIIIHH",
                0x04034B50,
                version,
                flags,
                _DEFLATED,
                clock,
                day,
                crc,
                _FULL if big else packed,
                _FULL if big else size,
                len(raw),
                len(local_extra),
            )
            + raw
            + local_extra
        )
        # ZIP64 extra of the central record: the fields that do not fit, in the order of the spec
        wide = [value for value in (size, packed, offset) if value >= _LIMIT]
        extra = struct.pack(f"<HH{len(wide)}Q", 1, 8 * len(wide), *wide) if wide else b""
        version = _VERSION_ZIP64 if wide else _VERSION
        self._zip64 = self._zip64 or bool(wide)
        self._central.write(
            struct.pack(
                "<IHHHHHHIIIHHHHHII",
                0x02014B50,
                _MADE_BY | version,
                version,
                flags,
                _DEFLATED,
                clock,
                day,
                crc,
                _FULL if packed >= _LIMIT else packed,
                _FULL if size >= _LIMIT else size,
                len(raw),
                len(extra),
                0,
                0,
                0,
                _MODE,
                _FULL if offset >= _LIMIT else offset,
            )
            + raw
            + extra
        )
        self._entries += 1

    def close(self) -> None:
        """The central directory and the end records; then the file is complete."""
        if self._out.closed:
            return
        try:
            start = self._out.tell()
            self._central.seek(0)
            shutil.copyfileobj(self._central, self._out, _CHUNK)
            end = self._out.tell()
            size = end - start
            entries = self._entries
            if self._zip64 or entries >= _MAX_ENTRIES or start >= _LIMIT or size >= _LIMIT:
                self._out.write(
                    struct.pack(
                        "<IQHHIIQQQQ",
                        0x06064B50,
                        44,
                        _MADE_BY | _VERSION_ZIP64,
                        _VERSION_ZIP64,
                        0,
                        0,
                        entries,
                        entries,
                        size,
                        start,
                    )
                    + struct.pack("<IIQI", 0x07064B50, 0, end, 1)
                )
            self._out.write(
                struct.pack(
                    "<IHHHHIIH",
                    0x06054B50,
                    0,
                    0,
                    min(entries, _MAX_ENTRIES),
                    min(entries, _MAX_ENTRIES),
                    _FULL if size >= _LIMIT else size,
                    _FULL if start >= _LIMIT else start,
                    0,
                )
            )
            self._out.flush()
        finally:
            self._out.close()
            self._central.close()
