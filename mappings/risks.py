"""The risk register a control's `reasons: {risk: [...]}` point into (`risks:` in annexa.yaml).

CSV with a header row `id,title,owner,treatment`, or YAML: a list of mappings with those keys
(or `{risks: [...]}`). Every problem is `file:line: message`; a duplicate id is one.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from annexa.errors import UsageError
from annexa.inputfiles import read_input
from annexa.mappings.scope import Risk, ScopeError, parse_risk
from annexa.yamlio import LineDict, line_of, load_yaml

__all__ = ["MAX_RISKS_BYTES", "load_risks"]

MAX_RISKS_BYTES = 4 * 1024 * 1024
_COLUMNS = ("id", "title", "owner", "treatment")


def load_risks(path: Path) -> dict[str, Risk]:
    """The register by risk id, in file order; UsageError naming file and line on any problem."""
    if path.suffix.lower() == ".csv":
        rows = _csv_rows(path)
    elif path.suffix.lower() in (".yaml", ".yml"):
        rows = _yaml_rows(path)
    else:
        raise UsageError(f"{path}: a risk register must be .csv, .yaml or .yml")
    risks: dict[str, Risk] = {}
    for line, node in rows:
        try:
            risk = parse_risk(node)
        except ScopeError as err:
            at = line_of(node, err.key, line) if isinstance(node, LineDict) else line
            raise UsageError(f"{path}:{at}: {err.message}") from None
        if risk.id in risks:
            raise UsageError(f"{path}:{line}: duplicate risk id {risk.id!r}")
        risks[risk.id] = risk
    return risks


def _csv_rows(path: Path) -> list[tuple[int, object]]:
    try:
        text = read_input(path, MAX_RISKS_BYTES, "risks:", expected="a risk register").decode("utf-8-sig")
    except UnicodeDecodeError:
        raise UsageError(f"{path}:1: not UTF-8 text") from None
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [h.strip().lower() for h in next(reader)]
    except StopIteration:
        raise UsageError(f"{path}:1: empty; expected a header row {','.join(_COLUMNS)}") from None
    except csv.Error as err:
        raise UsageError(f"{path}:1: {err}") from None
    missing = [c for c in _COLUMNS if c not in header]
    if missing:
        raise UsageError(f"{path}:1: the header row lacks the column {missing[0]!r} (need {', '.join(_COLUMNS)})")
    rows: list[tuple[int, object]] = []
    try:
        for cells in reader:
            line = reader.line_num
            if not any(c.strip() for c in cells):
                continue
            if len(cells) != len(header):
                raise UsageError(f"{path}:{line}: {len(cells)} cells, but the header has {len(header)}")
            rows.append((line, {k: v for k, v in zip(header, cells, strict=True) if k in _COLUMNS}))
    except csv.Error as err:
        raise UsageError(f"{path}:{reader.line_num}: {err}") from None
    return rows


def _yaml_rows(path: Path) -> list[tuple[int, object]]:
    doc = load_yaml(path)
    if isinstance(doc, dict) and set(doc) == {"risks"}:
        doc = doc["risks"]
    if not isinstance(doc, list):
        raise UsageError(f"{path}:{line_of(doc)}: a risk register is a list of {{id, title, owner, treatment}}")
    return [(line_of(doc, index), node) for index, node in enumerate(doc)]
