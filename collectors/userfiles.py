"""Helpers for collectors that read files people maintain (policies, HR exports).

Such files are user input: a value that cannot be read as intended is a
configuration error naming file and line (exit 2), not a collection error.
"""

from __future__ import annotations

import csv
import io
import json
import os
import pwd
import re
import socket
from collections.abc import Mapping, Sequence
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

from annexa.errors import UsageError
from annexa.inputfiles import MiB, read_input_text
from annexa.yamlio import line_of, parse_yaml

__all__ = ["column_mapping", "git_commit", "normalise_date", "reader", "table_rows"]

_GIT_FILE_LIMIT = 64 * MiB  # packed-refs of a very large repository

_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DAY_FIRST = re.compile(r"^(\d{1,2})[./](\d{1,2})[./](\d{4})$")


def normalise_date(value: object) -> str | None:
    """A date as `YYYY-MM-DD`, a time as RFC 3339 UTC; None for empty. ValueError otherwise.

    Accepts ISO dates and times (`2026-03-01`, `2026-03-01T09:30:00+01:00`) and
    YAML's own date values. Day-first dates (`01/03/2026`) are refused rather than
    guessed, since 01/03 means March in Europe and January in the US.
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=timezone.utc)
        return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, date):
        return value.isoformat()
    text = str(value).strip()
    if _DAY_FIRST.match(text):
        raise ValueError(f"{text!r} is ambiguous; write dates as YYYY-MM-DD")
    if _DAY.match(text):
        try:
            return date.fromisoformat(text).isoformat()
        except ValueError:
            raise ValueError(f"{text!r} is not a valid date") from None
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise ValueError(f"{text!r} is not a date such as 2026-03-01") from None
    return normalise_date(parsed)


def column_mapping(label: str, columns: Any, fields: Sequence[str], what: str = "export") -> dict[str, str]:
    """`columns:` (annexa field -> the file's column name) checked against `fields`; `id` is required."""
    if not isinstance(columns, Mapping) or "id" not in columns:
        raise UsageError(f"{label}: `columns` must map annexa's fields to the {what}'s columns, at least `id`")
    for field, column in columns.items():
        if field not in fields:
            raise UsageError(f"{label}: columns: unknown field {field!r} (known: {', '.join(fields)})")
        if not isinstance(column, str) or not column.strip():
            raise UsageError(f"{label}: columns: {field} must name a column of the {what}")
    return {field: column.strip() for field, column in columns.items()}


def table_rows(path: Path, raw: bytes, columns: Mapping[str, str]) -> list[tuple[str, Mapping[str, Any]]]:
    """The rows of a CSV, JSON or YAML table (a list of records) as (where, row) pairs: `where` is
    `file:line` (CSV, YAML) or `file: record N` (JSON). UsageError naming the file and line when the
    text is not such a table or lacks a column `columns` declares."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise UsageError(f"{path}:1: not UTF-8 text") from None
    suffix = path.suffix.lower()
    if suffix in (".json", ".yaml", ".yml"):
        if suffix == ".json":
            try:
                items = json.loads(text)
            except ValueError as err:
                raise UsageError(f"{path}:{getattr(err, 'lineno', 1)}: not valid JSON: {err}") from None
        else:
            items = parse_yaml(text, str(path))
        if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
            shape = "a JSON list of records (objects)" if suffix == ".json" else "a YAML list of records (mappings)"
            raise UsageError(f"{path}:1: expected {shape}")
        if suffix == ".json":
            rows = [(f"{path}: record {n}", item) for n, item in enumerate(items, start=1)]
        else:
            rows = [(f"{path}:{line_of(items, n)}", item) for n, item in enumerate(items)]
        header: set[str] = set().union(*(item.keys() for item in items)) if items else set(columns.values())
    else:
        reader = csv.DictReader(io.StringIO(text, newline=""))
        header = set(reader.fieldnames or [])
        try:
            rows = [(f"{path}:{reader.line_num}", row) for row in reader]
        except csv.Error as err:
            raise UsageError(f"{path}:{reader.line_num}: not valid CSV: {err}") from None
    missing = [f"{column!r} ({field})" for field, column in columns.items() if column not in header]
    if missing:
        raise UsageError(f"{path}:1: declared column {', '.join(missing)} is not in the file")
    return rows


def git_commit(folder: Path) -> str | None:
    """The commit checked out in the git work tree holding `folder`, read from .git (no git command)."""
    for candidate in (folder, *folder.parents):
        git = candidate / ".git"
        if git.is_file():  # a worktree or submodule: `gitdir: <path>`
            text = _git_file(git)
            if not text.startswith("gitdir:"):
                return None
            git = (candidate / text.split(":", 1)[1].strip()).resolve()
        if not git.is_dir():
            continue
        head = _git_file(git / "HEAD")
        if not head.startswith("ref:"):
            return head or None
        ref = head.split(":", 1)[1].strip()
        for base in (git, _common_dir(git)):
            if (base / ref).is_file():
                return _git_file(base / ref) or None
            packed = base / "packed-refs"
            if packed.is_file():
                for line in _git_file(packed).splitlines():
                    parts = line.split()
                    if len(parts) == 2 and parts[1] == ref:
                        return parts[0]
        return None
    return None


def _common_dir(git: Path) -> Path:
    common = git / "commondir"
    return (git / _git_file(common)).resolve() if common.is_file() else git


def _git_file(path: Path) -> str:
    """A small file of git's own (HEAD, a ref, packed-refs), stripped; InputFileError if it is not one."""
    return read_input_text(path, _GIT_FILE_LIMIT, expected="a git metadata file").strip()


def reader() -> str:
    """Who is reading, as user@host: the facts' principal and a run's operator.

    From the process's uid, not from $USER or $LOGNAME, which anyone can set.
    """
    uid = os.getuid()
    try:
        user = pwd.getpwuid(uid).pw_name
    except KeyError:  # containers often run with a uid that has no passwd entry
        user = f"uid={uid}"
    return f"{user}@{socket.gethostname()}"
