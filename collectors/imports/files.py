"""Reading import files: streamed (a file of any size within the limit is never read whole),
hashed as it is read, JSON arrays item by item with line numbers, one-line errors."""

from __future__ import annotations

import abc
import codecs
import hashlib
import json
import os
import re
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from types import TracebackType
from typing import Any

from annexa.collectors.base import Collector, Context, Target
from annexa.inputfiles import InputFileError, MiB, describe_limit, open_input
from annexa.model import CollectionError, Fact

__all__ = [
    "IMPORT_LIMIT",
    "ImportFile",
    "ImportFileError",
    "iter_json_array",
    "iter_lines",
    "open_import_file",
    "rfc3339",
    "ImportCollector",
    "check_not_future",
    "worse_status",
]

IMPORT_LIMIT = 2 * 1024 * MiB  # read in chunks: memory stays at a few MiB whatever the size
CHUNK = 1 * MiB
MAX_ITEM = 16 * MiB  # one JSON finding larger than this is not a finding
_SPACE = re.compile(r"[ \t\r\n]*")
CLOCK_SKEW = timedelta(minutes=5)  # a scanner's clock may run a little ahead of ours, no more


class ImportFileError(ValueError):
    """A file that cannot be imported; `str()` is one line naming the file (and line or row)."""


class ImportFile:
    """An import file open for one streamed pass: `chunks()` yields its text, and once the
    whole file has been read `sha256` is the digest of every byte."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            self._handle = open_input(path, IMPORT_LIMIT, expected="an import file")
        except InputFileError as err:
            raise ImportFileError(str(err)) from None
        stamp = datetime.fromtimestamp(os.fstat(self._handle.fileno()).st_mtime, timezone.utc).replace(microsecond=0)
        self.modified_at = stamp.strftime("%Y-%m-%dT%H:%M:%SZ")
        self._hash = hashlib.sha256()
        self._done = False

    def __enter__(self) -> ImportFile:
        return self

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self._handle.close()

    def where(self, line: int | None = None) -> str:
        return f"{self.path}:{line}" if line else str(self.path)

    @property
    def sha256(self) -> str:
        if not self._done:
            raise RuntimeError("the file's digest is known once it has been read to the end")
        return self._hash.hexdigest()

    def chunks(self) -> Iterator[str]:
        """The file's text (UTF-8, a byte-order mark dropped), a chunk at a time."""
        decoder = codecs.getincrementaldecoder("utf-8-sig")()
        size = lines = 0
        while True:
            try:
                raw = self._handle.read(CHUNK)
            except OSError as err:
                raise ImportFileError(f"{self.path}: cannot read: {err.strerror or err}") from None
            size += len(raw)
            if size > IMPORT_LIMIT:
                raise ImportFileError(f"{self.path}: grew beyond the {describe_limit(IMPORT_LIMIT)} allowed")
            self._hash.update(raw)
            try:
                text = decoder.decode(raw, final=not raw)
            except UnicodeDecodeError as err:
                line = lines + raw[: max(err.start, 0)].count(b"\n") + 1
                raise ImportFileError(f"{self.where(line)}: not UTF-8 text") from None
            lines += raw.count(b"\n")
            if text:
                yield text
            if not raw:
                self._done = True
                return


def open_import_file(path: Path) -> ImportFile:
    return ImportFile(path)


def iter_lines(file: ImportFile) -> Iterator[str]:
    """The file's lines with their endings (only `\\n` ends a line), for the csv module."""
    pending = ""
    for chunk in file.chunks():
        pending += chunk
        cut = pending.rfind("\n") + 1
        if cut:
            yield from _split_keep(pending[:cut])
            pending = pending[cut:]
        if len(pending) > MAX_ITEM:
            raise ImportFileError(f"{file.path}: a line longer than {describe_limit(MAX_ITEM)}")
    if pending:
        yield pending


def _split_keep(text: str) -> Iterator[str]:
    start = 0
    while start < len(text):
        end = text.index("\n", start) + 1
        yield text[start:end]
        start = end


class _JsonStream:
    """A window onto the file's text: refilled from `chunks`, consumed text dropped, lines counted."""

    def __init__(self, file: ImportFile) -> None:
        self.file = file
        self._chunks = file.chunks()
        self.text = ""
        self.pos = 0
        self._eof = False
        self._counted = (0, 1)  # (position, its line): line numbers are counted forward, once

    def refill(self) -> bool:
        if self._eof:
            return False
        chunk = next(self._chunks, None)
        if chunk is None:
            self._eof = True
            return False
        if self.pos > CHUNK:  # drop what was consumed
            self._counted = (0, self.line())
            self.text, self.pos = self.text[self.pos :], 0
        self.text += chunk
        return True

    def line(self, pos: int | None = None) -> int:
        """The line of `pos` (default: the current position); positions only move forward."""
        pos = self.pos if pos is None else pos
        start, line = self._counted
        if pos < start:  # an error reported behind the current position: count from there
            return line - self.text.count("\n", pos, start)
        line += self.text.count("\n", start, pos)
        self._counted = (pos, line)
        return line

    def skip_space(self) -> str:
        """The next non-space character ("" at the end of the file), not consumed."""
        while True:
            self.pos = _SPACE.match(self.text, self.pos).end()  # type: ignore[union-attr]
            if self.pos < len(self.text):
                return self.text[self.pos]
            if not self.refill():
                return ""

    def decode(self, decoder: json.JSONDecoder) -> Any:
        while True:
            try:
                item, end = decoder.raw_decode(self.text, self.pos)
            except json.JSONDecodeError as err:
                if len(self.text) - self.pos < MAX_ITEM and self.refill():
                    continue
                raise ImportFileError(
                    f"{self.file.where(self.line(err.pos))}: not valid JSON ({err.msg}; is the file truncated?)"
                ) from None
            if end == len(self.text) and self.refill():
                continue  # a number may go on in the next chunk
            self.pos = end
            return item


def iter_json_array(file: ImportFile) -> Iterator[tuple[int, Any]]:
    """(line, item) for each item of a top-level JSON array, read a chunk at a time;
    ImportFileError on anything else."""
    decoder = json.JSONDecoder()
    stream = _JsonStream(file)
    first = stream.skip_space()
    if not first:
        raise ImportFileError(f"{file.where(1)}: the file is empty (expected a JSON array)")
    if first != "[":
        raise ImportFileError(f"{file.where(stream.line())}: expected a JSON array of findings, found {first!r}")
    stream.pos += 1
    if stream.skip_space() == "]":
        stream.pos += 1
    else:
        while True:
            line = stream.line()
            yield line, stream.decode(decoder)
            following = stream.skip_space()
            stream.pos += 1
            if following == ",":
                stream.skip_space()
                continue
            if following == "]":
                break
            where = file.where(stream.line(stream.pos - 1))
            raise ImportFileError(f"{where}: not valid JSON (expected ',' or ']'; is the file truncated?)")
    if stream.skip_space():
        raise ImportFileError(f"{file.where(stream.line())}: unexpected data after the JSON array")


def check_not_future(where: str, what: str, stamp: str, now: datetime | None = None) -> None:
    """A scan time later than now (beyond a little clock skew) would stay fresh for ever: refused."""
    now = now or datetime.now(timezone.utc)
    moment = datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
    if moment > now + CLOCK_SKEW:
        raise ImportFileError(f"{where}: {what} {stamp} is in the future")


def worse_status(order: tuple[str, ...], first: str, second: str) -> str:
    """Of two statuses of the same finding, the one earlier in `order` (worst first)."""
    return first if order.index(first) <= order.index(second) else second


def rfc3339(value: Any) -> str | None:
    """An epoch (seconds or milliseconds) or ISO 8601 text as RFC 3339 UTC; None if neither."""
    try:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            seconds = value / 1000 if value > 10**11 else value
            moment = datetime.fromtimestamp(seconds, timezone.utc)
        elif isinstance(value, str) and value.strip():
            moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=timezone.utc)
        else:
            return None
    except (ValueError, OverflowError, OSError):
        return None
    return moment.astimezone(timezone.utc).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


class ImportCollector(Collector):
    """Shared plumbing of importers: the target option named after the format holds the file.

    A subclass sets `format` and implements `parse(target) -> list[Fact]`, raising
    ImportFileError for a bad file (a time in the future is one: it would stay fresh for
    ever). A finding listed twice keeps its worst status and records `duplicates`.
    `annexa import` calls `parse` first so a bad file writes nothing, and in a configured
    collection it becomes `error` evidence.
    """

    provider = "import"
    evidence_class = "record"  # another scanner's findings: records of a system annexa did not read itself
    format: str

    @abc.abstractmethod
    def parse(self, target: Target) -> list[Fact]:
        """Every fact of the file named by the target, or ImportFileError."""

    def collect(self, target: Target, context: Context) -> Iterator[Fact | CollectionError]:
        if self.format not in target.options:
            return
        try:
            facts = self.parse(target)
        except ImportFileError as err:
            yield CollectionError(
                kinds=self.kinds,
                scope={"provider": "import"},
                message=str(err),
                operation=f"read {target.options[self.format]}",
                code="BadImportFile",
            )
            return
        duplicated = sum(1 for fact in facts if fact.data.get("duplicates"))
        if duplicated:
            context.log.warning(
                "import_duplicates",
                file=target.options[self.format],
                results=duplicated,
                detail="listed more than once; the worst status of each was kept",
            )
        yield from facts
