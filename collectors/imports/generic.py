"""Results of any scanner, from a CSV or JSON file and a column mapping (option `generic: FILE`, `mapping: M.yaml`).

The mapping (YAML) names the tool and which column holds what:

    tool: {name: acme-scan, version: "2.3"}
    columns:
      resource: asset_id      # required: what was checked
      check: check_id         # required: which check
      status: result          # required: the outcome, one of the values under `status`
      controls: iso27001      # required: Annex A ids, separated by commas, semicolons or spaces (or a JSON list)
      title: check_name       # optional
      observed_at: scanned_at # optional: when it was checked (default: the file's modification time)
    status:
      pass: [PASS, passed, ok]
      fail: [FAIL, failed]

Each row becomes an `import.generic.result` fact, resource `<check>:<resource>`, with
`status` normalised to `pass` or `fail`. A `.csv` file is read as CSV with a header
row; a `.json` file as an array of objects.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from annexa.collectors.base import Target
from annexa.collectors.imports.files import (
    ImportCollector,
    ImportFile,
    ImportFileError,
    check_not_future,
    iter_json_array,
    iter_lines,
    open_import_file,
    rfc3339,
    worse_status,
)
from annexa.errors import UsageError
from annexa.model import ANNEX_A_2022_IDS, Fact, Source
from annexa.yamlio import line_of, load_yaml

__all__ = ["ColumnMapping", "GenericImporter", "load_mapping"]

_REQUIRED_COLUMNS = ("resource", "check", "status", "controls")
_OPTIONAL_COLUMNS = ("title", "observed_at")
_SPLIT = re.compile(r"[,;\s]+")


class ColumnMapping:
    def __init__(self, tool: str, version: str, columns: Mapping[str, str], passing: set[str], failing: set[str]):
        self.tool, self.version, self.columns, self.passing, self.failing = tool, version, columns, passing, failing


def load_mapping(path: Path) -> ColumnMapping:
    """Load and validate a column mapping; ImportFileError naming file:line."""
    try:
        doc = load_yaml(path)
    except UsageError as err:
        raise ImportFileError(str(err)) from None

    def fail(node: Any, key: Any, message: str) -> ImportFileError:
        return ImportFileError(f"{path}:{line_of(node, key)}: {message}")

    if not isinstance(doc, dict):
        raise fail(doc, None, "a column mapping is a mapping with tool, columns and status")
    for key in doc:
        if key not in ("tool", "columns", "status"):
            raise fail(doc, key, f"unknown key {key!r} (allowed: tool, columns, status)")
    tool, columns, status = doc.get("tool"), doc.get("columns"), doc.get("status")
    if not isinstance(tool, dict) or not isinstance(tool.get("name"), str) or not tool["name"].strip():
        raise fail(doc, "tool", "`tool` must be a mapping with a `name` (and optionally a `version`)")
    if not isinstance(columns, dict):
        raise fail(doc, "columns", f"`columns` must map {', '.join(_REQUIRED_COLUMNS)} to column names")
    for key, value in columns.items():
        if key not in _REQUIRED_COLUMNS + _OPTIONAL_COLUMNS:
            raise fail(
                columns,
                key,
                f"unknown column role {key!r} (allowed: {', '.join(_REQUIRED_COLUMNS + _OPTIONAL_COLUMNS)})",
            )
        if not isinstance(value, str) or not value:
            raise fail(columns, key, f"column role {key!r} must name a column")
    for key in _REQUIRED_COLUMNS:
        if key not in columns:
            raise fail(doc, "columns", f"`columns` is missing {key!r}")
    if not isinstance(status, dict) or set(status) != {"pass", "fail"}:
        raise fail(doc, "status", "`status` must have exactly `pass` and `fail`, each a list of values")
    values = {}
    for key in ("pass", "fail"):
        items = status[key] if isinstance(status[key], list) else [status[key]]
        if not items or not all(isinstance(v, (str, int)) for v in items):
            raise fail(status, key, f"status `{key}` must be a list of values")
        values[key] = {str(v) for v in items}
    if values["pass"] & values["fail"]:
        raise fail(
            doc, "status", f"value {sorted(values['pass'] & values['fail'])[0]!r} is listed as both pass and fail"
        )
    return ColumnMapping(
        tool["name"].strip(), str(tool.get("version", "unknown")), dict(columns), values["pass"], values["fail"]
    )


def _rows(file: ImportFile) -> Iterator[tuple[str, Mapping[str, Any]]]:
    suffix = file.path.suffix.lower()
    if suffix == ".csv":
        reader = csv.DictReader(iter_lines(file))
        try:
            for row in reader:
                if None in row:
                    raise ImportFileError(f"{file.where(reader.line_num)}: row has more cells than the header")
                yield f"{file.path}:{reader.line_num}", row
        except csv.Error as err:
            raise ImportFileError(f"{file.where(reader.line_num)}: not valid CSV: {err}") from None
    elif suffix == ".json":
        for line, item in iter_json_array(file):
            if not isinstance(item, dict):
                raise ImportFileError(f"{file.where(line)}: each result must be a JSON object")
            yield file.where(line), item
    else:
        raise ImportFileError(f"{file.path}: unknown file type {suffix or '(none)'!r} (use .csv or .json)")


class GenericImporter(ImportCollector):
    """Any scanner's per-check results from CSV or JSON, read through a column mapping."""

    name = "import.generic"
    format = "generic"
    kinds = ("import.generic.result",)
    permissions = ("read the result file and its column mapping",)
    target_options = {"generic": str, "mapping": str}

    def parse(self, target: Target) -> list[Fact]:
        if "mapping" not in target.options:
            raise ImportFileError(f"{target.options['generic']}: a generic import needs a column mapping (`mapping:`)")
        mapping = load_mapping(Path(target.options["mapping"]))
        known = set(ANNEX_A_2022_IDS)
        # One result per check x resource: a pair listed twice keeps its worst status (fail over pass).
        results: dict[str, tuple[dict[str, Any], str]] = {}
        with open_import_file(Path(target.options["generic"])) as file:
            for where, row in _rows(file):
                resource, data, observed = _result(where, row, mapping, known, file.modified_at)
                earlier = results.get(resource)
                if earlier is not None:
                    worst = worse_status(("fail", "pass"), data["status"], earlier[0]["status"])
                    kept = (data, observed) if data["status"] == worst else earlier
                    data, observed = {**kept[0], "duplicates": earlier[0].get("duplicates", 1) + 1}, kept[1]
                results[resource] = (data, observed)
            digest, name = file.sha256, file.path.name
        imported = {"tool": mapping.tool, "version": mapping.version, "file": name, "sha256": digest}
        return [
            Fact(
                kind="import.generic.result",
                resource=resource,
                scope={"provider": "import", "tool": mapping.tool},
                data=data,
                source=Source(
                    operations=(f"import {name}",), principal=f"{mapping.tool} {mapping.version}", imported=imported
                ),
                collected_at=observed,
            )
            for resource, (data, observed) in results.items()
        ]


def _result(
    where: str, row: Mapping[str, Any], mapping: ColumnMapping, known: set[str], modified_at: str
) -> tuple[str, dict[str, Any], str]:
    """(resource, data, observed at) of one row, or ImportFileError naming `where`."""
    cols = mapping.columns
    missing = [cols[k] for k in _REQUIRED_COLUMNS if row.get(cols[k]) in (None, "")]
    if missing:
        raise ImportFileError(f"{where}: missing value in column {missing[0]!r}")
    raw_status = str(row[cols["status"]])
    if raw_status not in mapping.passing | mapping.failing:
        raise ImportFileError(f"{where}: status {raw_status!r} is neither a pass nor a fail value of the mapping")
    controls = row[cols["controls"]]
    ids = controls if isinstance(controls, list) else [c for c in _SPLIT.split(str(controls)) if c]
    if not ids:
        raise ImportFileError(f"{where}: no Annex A control ids in column {cols['controls']!r}")
    unknown = [c for c in ids if c not in known]
    if unknown:
        raise ImportFileError(f"{where}: {unknown[0]!r} is not an Annex A 2022 control id")
    observed = modified_at
    if "observed_at" in cols and row.get(cols["observed_at"]) not in (None, ""):
        observed = rfc3339(row[cols["observed_at"]]) or ""
        if not observed:
            raise ImportFileError(f"{where}: {cols['observed_at']} {row[cols['observed_at']]!r} is not a timestamp")
    check_not_future(where, cols.get("observed_at", "the file's modification time"), observed)
    check, resource = str(row[cols["check"]]), str(row[cols["resource"]])
    data = {
        "check": check,
        "asset": resource,
        "title": row.get(cols["title"]) if "title" in cols else None,
        "status": "pass" if raw_status in mapping.passing else "fail",
        "raw_status": raw_status,
        "annex_a": list(dict.fromkeys(ids)),
        "row": dict(row),
    }
    return f"{check}:{resource}", data, observed
