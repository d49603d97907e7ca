from __future__ import annotations

import csv
import io
import json

import pytest

from annexa.reports.render import Streamed, iter_json_document, neutralise_formula, to_csv, to_markdown, to_table


@pytest.mark.parametrize("value", ["=1+1", "+SUM(A1)", "-2+3", "@cmd", "\t=x", "\r=x"])
def test_formula_prefixes_are_neutralised(value: str) -> None:
    assert neutralise_formula(value) == "'" + value


def test_csv_cells_never_start_a_formula() -> None:
    out = to_csv([{"a": '=HYPERLINK("http://x")', "b": ["@x", "y"], "c": None}], ["a", "b", "c"])
    rows = list(csv.reader(io.StringIO(out)))
    assert rows[1] == ['\'=HYPERLINK("http://x")', "'@x, y", ""]


def test_markdown_escapes_table_and_html_syntax() -> None:
    out = to_markdown([{"a": "x|<script>alert(1)</script>\nnew"}], ["a"])
    assert "<script>" not in out and "\\|" in out and out.count("\n") == 3


def test_table_aligns_and_clips() -> None:
    out = to_table([{"a": "x" * 100, "b": "y"}], ["a", "b"], max_width=10)
    assert out.splitlines()[1].startswith("x" * 9 + "…")


def test_a_document_with_streamed_arrays_is_json_dumps_of_it_whole() -> None:
    item = {"x": [1, 2, {"y": "é\n<"}], "empty": {}}
    document = {
        "a": {"b": Streamed(iter([item, "s"])), "c": [], "d": [Streamed(iter([]))]},
        "z": [1, {"q": Streamed(iter([json.dumps(item, indent=2, ensure_ascii=False)]), rendered=True)}],
        "n": None,
    }
    whole = {"a": {"b": [item, "s"], "c": [], "d": [[]]}, "z": [1, {"q": [item]}], "n": None}
    assert "".join(iter_json_document(document)) == json.dumps(whole, indent=2, ensure_ascii=False) + "\n"
