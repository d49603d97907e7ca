from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from annexa import cli
from annexa.evidence_store.store import Store

HEADERS = [
    "Control",
    "Title",
    "Theme",
    "Applicable",
    "Justification for inclusion or exclusion",
    "Implementation status",
    "Owner",
    "Evidence summary",
    "Evidence reference",
    "Last evidence",
    "Last reviewed",
    "Evidence sources",
]


def test_soa_workbook_has_the_auditor_columns_frozen_header_and_filters(signed_store: Store, tmp_path: Path) -> None:
    config = tmp_path / "annexa.yaml"
    config.write_text(
        "targets: [{host: {}}]\nscope:\n  A.8.24: {owner: '=HYPERLINK(\"x\")', reviewed: 2026-09-01}\n"
        "  A.7.4: {applicable: false, justification: '<b>No premises</b>'}\n"
    )
    out = tmp_path / "soa.xlsx"
    argv = ["soa", "--store", str(signed_store.backend.root), "--config", str(config)]
    assert cli.main([*argv, "--format", "xlsx", "-o", str(out)]) == 0
    sheet = openpyxl.load_workbook(out).active
    assert [c.value for c in sheet[1]] == HEADERS
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref == "A1:L94"
    assert sheet.column_dimensions["B"].width >= 40
    rows = {row[0].value: row for row in sheet.iter_rows(min_row=2)}
    assert len(rows) == 93
    a824 = rows["A.8.24"]
    assert a824[6].value == '=HYPERLINK("x")' and a824[6].data_type == "s"  # shown, never a formula
    assert (
        a824[10].value == "2026-09-01" and "night-007" in a824[8].value and a824[5].value == "stale"
    )  # August evidence, judged today
    assert rows["A.7.4"][3].value == "no" and rows["A.7.4"][5].value == "excluded"

    html = tmp_path / "soa.html"
    assert cli.main([*argv, "--format", "html", "-o", str(html)]) == 0
    text = html.read_text()
    assert "&lt;b&gt;No premises&lt;/b&gt;" in text and "<b>No premises" not in text


def test_binary_format_needs_an_output_file(
    signed_store: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        cli.main(
            ["soa", "--store", str(signed_store.backend.root), "--config", str(tmp_path / "x"), "--format", "xlsx"]
        )
        == 2
    )
    assert "binary" in capsys.readouterr().err
