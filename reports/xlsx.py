"""Excel workbooks for auditors: frozen header, filters, readable widths, text that stays text.

Every value is written as a string cell (`t="inlineStr"`) with Excel's quote-prefix
style, so a resource named `=cmd|' /C calc'!A0` is shown, never evaluated, even after
someone edits the cell. Characters XML cannot carry are replaced, not dropped silently.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterable, Iterator, Mapping, Sequence, Sized
from copy import copy
from dataclasses import dataclass
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

__all__ = ["Column", "Sheet", "text_cell", "workbook_bytes", "workbook_chunks"]

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
    rows: Iterable[Mapping[str, Any]]  # consumed once


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
    """The workbook, written row by row (openpyxl's write-only mode): no cell objects are kept, so
    memory grows with the distinct strings (Excel's shared string table), not with the cells.
    `Sheet.rows` may be any iterable, consumed once."""
    return b"".join(workbook_chunks(sheets))


def workbook_chunks(sheets: Sequence[Sheet], size: int = 1 << 20) -> Iterator[bytes]:
    """`workbook_bytes` in pieces of `size` bytes: the workbook is saved to a temporary file and
    read back, so a large one is never whole in memory."""
    with tempfile.TemporaryFile() as handle:
        _workbook(sheets).save(handle)
        handle.seek(0)
        while chunk := handle.read(size):
            yield chunk


def _workbook(sheets: Sequence[Sheet]) -> Workbook:
    book = Workbook(write_only=True)
    for sheet in sheets:
        ws = book.create_sheet(sheet.title[:31])
        for col, column in enumerate(sheet.columns, 1):
            ws.column_dimensions[get_column_letter(col)].width = column.width
        ws.freeze_panes = "A2"
        last = get_column_letter(len(sheet.columns))
        if isinstance(sheet.rows, Sized):  # the <dimension> hint, as a book built in memory has it
            size = f"A1:{last}{len(sheet.rows) + 1}"
            ws.calculate_dimension = lambda size=size: size  # read once, when the sheet's top is written
        header = []
        for column in sheet.columns:
            cell = WriteOnlyCell(ws, value=column.header)
            cell.font = Font(bold=True)
            cell.fill = _HEADER_FILL
            header.append(cell)
        ws.append(header)
        # The body cells' two styles, registered with the book once and shared by reference.
        styles: dict[bool, Any] = {}
        for wrap in (False, True):
            model = WriteOnlyCell(ws)
            model.quotePrefix = True
            model.alignment = Alignment(wrap_text=True, vertical="top") if wrap else Alignment(vertical="top")
            styles[wrap] = model._style
        count = 0
        for row in sheet.rows:
            cells = []
            for column in sheet.columns:
                cell = WriteOnlyCell(ws, value=text_cell(row.get(column.key)))
                cell.data_type = "s"  # openpyxl would otherwise make `=...` a formula
                cell._style = copy(styles[column.wrap])
                cells.append(cell)
            ws.append(cells)
            count += 1
        ws.auto_filter.ref = f"A1:{last}{count + 1}"
    return book
