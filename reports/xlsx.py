"""Excel workbooks for auditors: frozen header, filters, readable widths, text that stays text.

Every value is written as a string cell (`t="inlineStr"`) with Excel's quote-prefix
style, so a resource named `=cmd|' /C calc'!A0` is shown, never evaluated, even after
someone edits the cell. Characters XML cannot carry are replaced, not dropped silently.
"""

from __future__ import annotations

import io
import json
from collections.abc import Mapping, Sequence
from copy import copy
from dataclasses import dataclass
from typing import Any

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

__all__ = ["Column", "Sheet", "text_cell", "workbook_bytes"]

_HEADER_FILL = PatternFill("solid", fgColor="DDE4EE")
_MAX_CELL = 32767  # Excel's limit per cell


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    width: int = 16
    wrap: bool = False


@dataclass(frozen=True)
class Sheet:
    title: str
    columns: Sequence[Column]
    rows: Sequence[Mapping[str, Any]]


def text_cell(value: Any) -> str:
    """The text a cell shows for any report value."""
    if value is None:
        text = ""
    elif isinstance(value, bool):
        text = "yes" if value else "no"
    elif isinstance(value, (list, tuple)):
        text = ", ".join(str(v) for v in value)
    elif isinstance(value, dict):
        text = json.dumps(value, sort_keys=True, ensure_ascii=False)
    else:
        text = str(value)
    text = ILLEGAL_CHARACTERS_RE.sub("\ufffd", text)
    return text if len(text) <= _MAX_CELL else text[: _MAX_CELL - 1] + "…"


def workbook_bytes(sheets: Sequence[Sheet]) -> bytes:
    book = Workbook()
    book.remove(book.active)
    for sheet in sheets:
        ws = book.create_sheet(sheet.title[:31])
        for col, column in enumerate(sheet.columns, 1):
            cell = ws.cell(row=1, column=col, value=column.header)
            cell.font = Font(bold=True)
            cell.fill = _HEADER_FILL
            ws.column_dimensions[get_column_letter(col)].width = column.width
        wrap = Alignment(wrap_text=True, vertical="top")
        top = Alignment(vertical="top")
        styles: dict[bool, Any] = {}  # the body cells' two styles, registered with the book once
        for row_number, row in enumerate(sheet.rows, 2):
            for col, column in enumerate(sheet.columns, 1):
                cell = ws.cell(row=row_number, column=col)
                cell.value = text_cell(row.get(column.key))
                cell.data_type = "s"  # openpyxl would otherwise make `=...` a formula
                style = styles.get(column.wrap)
                if style is None:
                    cell.quotePrefix = True
                    cell.alignment = wrap if column.wrap else top
                    styles[column.wrap] = cell._style
                else:
                    cell._style = copy(style)
        ws.freeze_panes = "A2"
        last = get_column_letter(len(sheet.columns))
        ws.auto_filter.ref = f"A1:{last}{max(1, len(sheet.rows) + 1)}"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
