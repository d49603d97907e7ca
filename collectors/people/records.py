"""People records from an HR or learning-system export (CSV, or JSON: a list of objects).

annexa's field names are mapped to the export's own column names in the target's
`columns:` option, so any system's export works without editing it:

    columns: {id: employee_id, email: work_email, start_date: hired, end_date: left,
              screening_date: background_check, terms_signed_date: nda_signed,
              training_date: awareness_done, aws_user: aws_login, github_login: github}

Only `id` is required; a field not mapped is absent from `mapped`, and rules about it
do not apply. These files are user input: a declared column missing from the file,
a bad date or a duplicate id is a configuration error naming file and row.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from annexa.collectors.userfiles import normalise_date
from annexa.errors import UsageError
from annexa.inputfiles import read_input
from annexa.model import parse_duration

__all__ = ["FIELDS", "load_people"]

MAX_EXPORT_BYTES = 64 * 1024 * 1024
DEFAULT_TRAINING_INTERVAL = "365d"
DATE_FIELDS = ("start_date", "end_date", "screening_date", "terms_signed_date", "training_date")
TEXT_FIELDS = ("id", "email", "aws_user", "github_login")
FIELDS = TEXT_FIELDS + DATE_FIELDS


def _columns(label: str, columns: Any) -> dict[str, str]:
    if not isinstance(columns, Mapping) or "id" not in columns:
        raise UsageError(f"{label}: `columns` must map annexa's fields to the export's columns, at least `id`")
    for field, column in columns.items():
        if field not in FIELDS:
            raise UsageError(f"{label}: columns: unknown field {field!r} (known: {', '.join(FIELDS)})")
        if not isinstance(column, str) or not column.strip():
            raise UsageError(f"{label}: columns: {field} must name a column of the export")
    return {field: column.strip() for field, column in columns.items()}


def training_interval_days(label: str, value: Any) -> float:
    try:
        return parse_duration(value if value is not None else DEFAULT_TRAINING_INTERVAL).total_seconds() / 86400
    except ValueError as err:
        raise UsageError(f"{label}: training_interval: {err}") from None


def _rows(path: Path, raw: bytes, columns: Mapping[str, str]) -> list[tuple[str, Mapping[str, Any]]]:
    """(where, row) pairs: `file:line` for CSV, `file: record N` for JSON."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise UsageError(f"{path}:1: not UTF-8 text") from None
    if path.suffix.lower() == ".json":
        try:
            items = json.loads(text)
        except ValueError as err:
            raise UsageError(f"{path}:{getattr(err, 'lineno', 1)}: not valid JSON: {err}") from None
        if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
            raise UsageError(f"{path}:1: expected a JSON list of records (objects)")
        rows = [(f"{path}: record {n}", item) for n, item in enumerate(items, start=1)]
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


def load_people(label: str, options: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Read and validate the export a `people` target points at; UsageError on the first problem."""
    if "path" not in options:
        raise UsageError(f"{label}: a people target needs `path:` (the CSV or JSON export)")
    path = Path(options["path"])
    columns = _columns(label, options.get("columns"))
    interval = training_interval_days(label, options.get("training_interval"))
    raw = read_input(path, MAX_EXPORT_BYTES, expected="a people export (CSV or JSON)")
    records: list[dict[str, Any]] = []
    seen: dict[str, str] = {}
    for where, row in _rows(path, raw, columns):
        record: dict[str, Any] = {"mapped": sorted(columns), "training_interval_days": interval}
        for field, column in columns.items():
            value = row.get(column)
            if field in DATE_FIELDS:
                try:
                    record[field] = normalise_date(value)
                except ValueError as err:
                    raise UsageError(f"{where}: {column} ({field}): {err}") from None
            else:
                record[field] = str(value).strip() or None if value is not None else None
        if not record["id"]:
            raise UsageError(f"{where}: {columns['id']} (id) is empty")
        if record["id"] in seen:
            raise UsageError(f"{where}: duplicate id {record['id']!r} (first at {seen[record['id']]})")
        seen[record["id"]] = where
        records.append(record)
    return records
