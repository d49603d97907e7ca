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

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from annexa.collectors.userfiles import column_mapping, normalise_date, table_rows
from annexa.errors import UsageError
from annexa.inputfiles import read_input
from annexa.model import parse_duration

__all__ = ["FIELDS", "load_people"]

MAX_EXPORT_BYTES = 64 * 1024 * 1024
DEFAULT_TRAINING_INTERVAL = "365d"
DATE_FIELDS = ("start_date", "end_date", "screening_date", "terms_signed_date", "training_date")
TEXT_FIELDS = ("id", "email", "aws_user", "github_login")
FIELDS = TEXT_FIELDS + DATE_FIELDS


def training_interval_days(label: str, value: Any) -> float:
    try:
        return parse_duration(value if value is not None else DEFAULT_TRAINING_INTERVAL).total_seconds() / 86400
    except ValueError as err:
        raise UsageError(f"{label}: training_interval: {err}") from None


def load_people(label: str, options: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Read and validate the export a `people` target points at; UsageError on the first problem."""
    if "path" not in options:
        raise UsageError(f"{label}: a people target needs `path:` (the CSV or JSON export)")
    path = Path(options["path"])
    columns = column_mapping(label, options.get("columns"), FIELDS)
    interval = training_interval_days(label, options.get("training_interval"))
    raw = read_input(path, MAX_EXPORT_BYTES, expected="a people export (CSV or JSON)")
    records: list[dict[str, Any]] = []
    seen: dict[str, str] = {}
    for where, row in table_rows(path, raw, columns):
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
