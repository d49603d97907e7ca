"""Output formats shared by the reports: JSON, CSV, Markdown and plain tables.

Values come from the systems annexa reads, so they are untrusted: CSV cells that
a spreadsheet would run as a formula are neutralised, Markdown cells are escaped.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

__all__ = [
    "FORMULA_PREFIXES",
    "iter_csv",
    "iter_json",
    "md_escape",
    "neutralise_formula",
    "to_csv",
    "to_json",
    "to_markdown",
    "to_table",
]

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise_formula(value: Any) -> str:
    """Text that Excel/LibreOffice will show, never evaluate (OWASP CSV injection)."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def _cell(value: Any) -> str:
    if isinstance(value, bool):  # words, as in the workbook (xlsx.text_cell): not Python's `True`
        return "yes" if value else "no"
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, sort_keys=True)
    return "" if value is None else str(value)


def to_json(rows: Sequence[dict[str, Any]]) -> str:
    return "".join(iter_json(rows))


def iter_json(rows: Iterable[dict[str, Any]]) -> Iterator[str]:
    """`json.dumps(rows, indent=2)` and a newline, element by element: the same text, without the list."""
    opened = False
    for row in rows:
        # Inside the array every line of an element is indented one level more; a JSON string holds
        # no raw newline, so prefixing each line is exact.
        yield ("[\n  " if not opened else ",\n  ") + json.dumps(row, indent=2, ensure_ascii=False).replace("\n", "\n  ")
        opened = True
    yield "\n]\n" if opened else "[]\n"


def to_csv(rows: Sequence[dict[str, Any]], columns: Sequence[str]) -> str:
    return "".join(iter_csv(rows, columns))


def iter_csv(rows: Iterable[dict[str, Any]], columns: Sequence[str]) -> Iterator[str]:
    """The CSV text, header first, a row at a time."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([neutralise_formula(_cell(row.get(c))) for c in columns])
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    yield buffer.getvalue()


def md_escape(text: str) -> str:
    for char in ("\\", "|", "`", "*", "_", "<", ">", "[", "]"):
        text = text.replace(char, "\\" + char)
    return " ".join(text.split())


def to_markdown(rows: Sequence[dict[str, Any]], columns: Sequence[str]) -> str:
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    for row in rows:
        lines.append("| " + " | ".join(md_escape(_cell(row.get(c))) for c in columns) + " |")
    return "\n".join(lines) + "\n"


def to_table(rows: Sequence[dict[str, Any]], columns: Sequence[str], max_width: int = 60) -> str:
    """A plain aligned text table (no colours, so cron mail stays readable)."""

    def clip(text: str) -> str:
        text = " ".join(text.split())
        return text if len(text) <= max_width else text[: max_width - 1] + "…"

    cells = [[clip(_cell(row.get(c))) for c in columns] for row in rows]
    widths = [max([len(c), *(len(r[i]) for r in cells)]) for i, c in enumerate(columns)]
    out = ["  ".join(c.upper().ljust(w) for c, w in zip(columns, widths, strict=True)).rstrip()]
    out += ["  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)).rstrip() for r in cells]
    return "\n".join(out) + "\n"
