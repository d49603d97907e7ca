"""Reading import files: bytes and their sha256, JSON with line numbers, one-line errors."""

from __future__ import annotations

import abc
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from annexa.collectors.base import Collector, Context, Target
from annexa.model import CollectionError, Fact

__all__ = ["ImportFile", "ImportFileError", "iter_json_array", "read_import_file", "rfc3339", "ImportCollector"]


class ImportFileError(ValueError):
    """A file that cannot be imported; `str()` is one line naming the file (and line or row)."""


@dataclass(frozen=True)
class ImportFile:
    path: Path
    text: str
    sha256: str
    modified_at: str

    def where(self, line: int | None = None) -> str:
        return f"{self.path}:{line}" if line else str(self.path)


def read_import_file(path: Path) -> ImportFile:
    try:
        raw = path.read_bytes()
        modified = path.stat().st_mtime
    except OSError as err:
        raise ImportFileError(f"{path}: cannot read: {err.strerror or err}") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = raw[: err.start].count(b"\n") + 1
        raise ImportFileError(f"{path}:{line}: not UTF-8 text") from None
    stamp = datetime.fromtimestamp(modified, timezone.utc).replace(microsecond=0)
    return ImportFile(path, text, hashlib.sha256(raw).hexdigest(), stamp.strftime("%Y-%m-%dT%H:%M:%SZ"))


def iter_json_array(file: ImportFile) -> Iterator[tuple[int, Any]]:
    """(line, item) for each item of a top-level JSON array; ImportFileError on anything else."""
    text = file.text
    decoder = json.JSONDecoder()
    lines = _Lines(text)
    pos = _skip_space(text, 0)
    if pos >= len(text):
        raise ImportFileError(f"{file.where(1)}: the file is empty (expected a JSON array)")
    if text[pos] != "[":
        raise ImportFileError(f"{file.where(lines.at(pos))}: expected a JSON array of findings, found {text[pos]!r}")
    pos = _skip_space(text, pos + 1)
    if text.startswith("]", pos):
        pos = _skip_space(text, pos + 1)
    else:
        while True:
            line = lines.at(pos)
            try:
                item, pos = decoder.raw_decode(text, pos)
            except json.JSONDecodeError as err:
                raise ImportFileError(
                    f"{file.where(err.lineno)}: not valid JSON ({err.msg}; is the file truncated?)"
                ) from None
            yield line, item
            pos = _skip_space(text, pos)
            if text.startswith(",", pos):
                pos = _skip_space(text, pos + 1)
                continue
            if text.startswith("]", pos):
                pos = _skip_space(text, pos + 1)
                break
            raise ImportFileError(
                f"{file.where(lines.at(pos))}: not valid JSON (expected ',' or ']'; is the file truncated?)"
            )
    if pos < len(text):
        raise ImportFileError(f"{file.where(lines.at(pos))}: unexpected data after the JSON array")


def _skip_space(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in " \t\r\n":
        pos += 1
    return pos


class _Lines:
    """Line numbers of increasing positions, counted incrementally (a file can be tens of MB)."""

    def __init__(self, text: str) -> None:
        self._text, self._pos, self._line = text, 0, 1

    def at(self, pos: int) -> int:
        self._line += self._text.count("\n", self._pos, pos)
        self._pos = pos
        return self._line


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
    ImportFileError for a bad file; `annexa import` calls `parse` first so a bad file
    writes nothing, and in a configured collection it becomes `error` evidence.
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
        yield from facts
