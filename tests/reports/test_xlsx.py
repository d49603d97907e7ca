"""The workbook writer streams rows (openpyxl write-only mode) and keeps every cell as it was."""

from __future__ import annotations

import io
import zipfile

from openpyxl import load_workbook

from annexa.reports.xlsx import Column, Sheet, workbook_bytes

COLUMNS = (Column("a", "A", 20, wrap=True), Column("b", "B"), Column("c", "C", 30))
ROWS = [
    {"a": "=cmd|' /C calc'!A0", "b": ["x", "y"], "c": None},
    {"a": "two\nlines", "b": True, "c": {"k": 1}},
]


def _cells(data: bytes) -> list[tuple[object, ...]]:
    book = load_workbook(io.BytesIO(data))
    out: list[tuple[object, ...]] = []
    for ws in book.worksheets:
        widths = {key: dim.width for key, dim in ws.column_dimensions.items()}
        out.append((ws.title, ws.freeze_panes, ws.auto_filter.ref, tuple(sorted(widths.items()))))
        for row in ws.iter_rows():
            for c in row:
                style = (c.quotePrefix, c.alignment.wrap_text, c.alignment.vertical, c.font.b, c.fill.fgColor.rgb)
                out.append((c.coordinate, c.value, c.data_type, *style))
    return out


def test_cells_are_text_with_their_styles() -> None:
    cells = _cells(workbook_bytes([Sheet("One", COLUMNS, ROWS)]))
    assert cells[0] == ("One", "A2", "A1:C3", (("A", 20.0), ("B", 16.0), ("C", 30.0)))
    assert cells[1] == ("A1", "A", "s", False, None, None, True, "00DDE4EE")
    assert cells[4] == ("A2", "=cmd|' /C calc'!A0", "s", True, True, "top", False, "00000000")
    assert cells[5] == ("B2", "x, y", "s", True, None, "top", False, "00000000")
    assert cells[6][1] is None  # no value: an empty cell, still styled text
    assert cells[8] == ("B3", "yes", "s", True, None, "top", False, "00000000")
    assert cells[9][1] == '{"k": 1}'


def test_rows_from_a_generator_give_the_same_cells_as_a_list() -> None:
    listed = workbook_bytes([Sheet("One", COLUMNS, ROWS), Sheet("Empty", COLUMNS, [])])
    streamed = workbook_bytes([Sheet("One", COLUMNS, iter(ROWS)), Sheet("Empty", COLUMNS, iter(()))])
    assert _cells(streamed) == _cells(listed)
    sheet = "xl/worksheets/sheet1.xml"
    with zipfile.ZipFile(io.BytesIO(listed)) as a, zipfile.ZipFile(io.BytesIO(streamed)) as b:
        # a generator's length is unknown when the sheet's top is written: only the optional hint differs
        assert a.read(sheet).replace(b'<dimension ref="A1:C3" />', b"") == b.read(sheet)
        assert b'<dimension ref="A1:C3" />' in a.read(sheet)
