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
    "Justification for exclusion",
    "Reasons for inclusion",
    "Implementation status",
    "Evidence class",
    "Flags",
    "Owner",
    "Evidence summary",
    "Resources and targets",
    "Documents",
    "Attestations",
    "Exception",
    "Evidence reference",
    "Why the checks evidence the control",
    "Last evidence",
    "Last reviewed",
    "Evidence sources",
]


def test_soa_workbook_has_the_auditor_columns_frozen_header_and_filters(signed_store: Store, tmp_path: Path) -> None:
    # The folder's annexa.yaml says something else: the SoA is judged with the run's stored scope.
    config = tmp_path / "annexa.yaml"
    config.write_text("targets: [{host: {}}]\nscope:\n  A.7.4: {applicable: true}\n  A.8.24: {owner: Somebody}\n")
    out = tmp_path / "soa.xlsx"
    argv = ["soa", "--store", str(signed_store.backend.root), "--config", str(config)]
    assert cli.main([*argv, "--format", "xlsx", "-o", str(out)]) == 0
    book = openpyxl.load_workbook(out)
    sheet = book["Statement of Applicability"]
    assert [c.value for c in sheet[1]] == HEADERS
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref == "A1:T94"
    assert sheet.column_dimensions["B"].width >= 40
    rows = {row[0].value: {h: c for h, c in zip(HEADERS, row, strict=True)} for row in sheet.iter_rows(min_row=2)}
    assert len(rows) == 93
    a824 = rows["A.8.24"]
    assert a824["Owner"].value == '=HYPERLINK("x")' and a824["Owner"].data_type == "s"  # shown, never a formula
    assert a824["Last reviewed"].value == "2026-09-01" and "night-007" in a824["Evidence reference"].value
    # judged as of the run's end (August), not today: fresh, hostile buckets unencrypted, `good` encrypted
    assert (a824["Implementation status"].value, a824["Evidence class"].value) == ("partial", "automated")
    assert a824["Resources and targets"].value == "8 resources on fake/111122223333/eu-west-1"
    a74 = rows["A.7.4"]
    assert (a74["Applicable"].value, a74["Implementation status"].value) == ("no", "excluded")
    about = {row[0].value: row[1].value for row in book["About this SoA"].iter_rows(min_row=2)}
    assert about["Run"].startswith("night-007") and about["SoA version"] == "(none recorded)"

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
