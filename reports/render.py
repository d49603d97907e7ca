"""Output formats shared by the reports: JSON, CSV, Markdown and plain tables.

Values come from the systems annexa reads, so they are untrusted: CSV cells that
a spreadsheet would run as a formula are neutralised, Markdown cells are escaped.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = [
    "FORMULA_PREFIXES",
    "Streamed",
    "iter_csv",
    "iter_json",
    "iter_json_document",
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


@dataclass(frozen=True)
class Streamed:
    """A JSON array inside a document that `iter_json_document` writes item by item: `items` are
    values, or with `rendered` their text as `json.dumps(item, indent=2, ensure_ascii=False)`
    gives it (an item written to a spill file before the document's start is known)."""

    items: Iterable[Any]
    rendered: bool = False


def iter_json_document(value: Any) -> Iterator[str]:
    """`json.dumps(value, indent=2, ensure_ascii=False)` and a newline, a piece at a time: the
    arrays given as `Streamed` are never whole in memory. The same text: JSON strings hold no raw
    newline, so indenting an item's every line is exact."""
    yield from _json_chunks(value, "")
    yield "\n"


def _json_chunks(value: Any, pad: str) -> Iterator[str]:
    inner = pad + "  "
    if isinstance(value, Streamed):
        opened = False
        for item in value.items:
            yield ("[\n" if not opened else ",\n") + inner
            if value.rendered:
                yield item.replace("\n", "\n" + inner)
            else:
                yield from _json_chunks(item, inner)
            opened = True
        yield "\n" + pad + "]" if opened else "[]"
    elif isinstance(value, dict) and _streams(value):
        for n, (key, item) in enumerate(value.items()):
            yield ("{\n" if n == 0 else ",\n") + inner + json.dumps(key, ensure_ascii=False) + ": "
            yield from _json_chunks(item, inner)
        yield "\n" + pad + "}"
    elif isinstance(value, list) and _streams(value):
        for n, item in enumerate(value):
            yield ("[\n" if n == 0 else ",\n") + inner
            yield from _json_chunks(item, inner)
        yield "\n" + pad + "]"
    else:
        yield json.dumps(value, indent=2, ensure_ascii=False).replace("\n", "\n" + pad)


def _streams(value: Any) -> bool:
    """Whether a `Streamed` array is somewhere inside `value`."""
    if isinstance(value, Streamed):
        return True
    if isinstance(value, dict):
        return any(_streams(item) for item in value.values())
    if isinstance(value, list):
        return any(_streams(item) for item in value)
    return False


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
