from __future__ import annotations

import csv
import io
import json
from datetime import date
from pathlib import Path

import openpyxl
import pytest

from annexa import cli
from annexa.evidence_store.store import Store
from annexa.reports.nonconformities import nonconformities
from annexa.reports.period import resolve_period


def _by_key(rows: list[dict]) -> dict[tuple[str, str], list[dict]]:
    out: dict[tuple[str, str], list[dict]] = {}
    for row in rows:
        out.setdefault((row["rule"], row["resource"]), []).append(row)
    return out


def test_a_fixed_failure_has_first_seen_last_seen_and_fixed_at(signed_store: Store) -> None:
    rows = _by_key(nonconformities(signed_store, resolve_period(signed_store, None, None)))
    (good,) = rows[("fake.bucket-encrypted", "good")]
    assert (good["state"], good["first_seen"], good["last_seen"], good["fixed_at"], good["verified_at"]) == (
        "verified",  # the pass held for three collection runs (nights 5, 6, 7)
        "2026-08-03T02:00:00Z",
        "2026-08-04T02:00:00Z",
        "2026-08-05T02:00:00Z",
        "2026-08-07T02:00:00Z",
    )
    assert good["days_open"] == 2.0 and good["controls"] == ["A.8.24"] and good["severity"] == "high"
    (script,) = rows[("fake.bucket-encrypted", "<script>alert(1)</script>")]
    assert script["state"] == "open" and script["first_seen"] == "2026-08-01T02:00:00Z" and script["fixed_at"] is None
    assert script["days_open"] == 7.9  # aged to the end of the period's last day


def test_a_period_sees_nothing_after_its_end(signed_store: Store) -> None:
    rows = _by_key(nonconformities(signed_store, resolve_period(signed_store, date(2026, 8, 2), date(2026, 8, 4))))
    (good,) = rows[("fake.bucket-encrypted", "good")]
    assert good["state"] == "open" and good["fixed_at"] is None and good["last_seen"] == "2026-08-04T02:00:00Z"


def test_cli_formats_neutralise_and_keep_text(
    signed_store: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = str(signed_store.backend.root)
    base = ["--log-format", "json", "nonconformities", "--store", store, "--config", str(tmp_path / "none.yaml")]
    assert cli.main([*base, "--format", "csv"]) == 0
    cells = [c for row in csv.reader(io.StringIO(capsys.readouterr().out)) for c in row]
    assert "'=cmd|' /C calc'!A0" in cells and not any(c.startswith(("=", "+", "-", "@")) for c in cells)
    assert cli.main([*base, "--format", "json"]) == 0
    assert {r["resource"] for r in json.loads(capsys.readouterr().out)} >= {"=cmd|' /C calc'!A0", "../../etc/passwd"}
    assert cli.main([*base, "--format", "xlsx", "-o", str(tmp_path / "nc.xlsx")]) == 0
    sheet = openpyxl.load_workbook(tmp_path / "nc.xlsx").active
    column = next(c.column_letter for c in sheet[1] if c.value == "Resource")
    resources = [cell for cell in sheet[column][1:]]
    assert {c.value for c in resources} >= {"=cmd|' /C calc'!A0", "+1+1", "@SUM(A1)"}
    assert all(c.data_type == "s" for c in resources)
    assert cli.main([*base, "--from", "2026-09-01", "--to", "2026-09-02"]) == 2
    assert "no run started between 2026-09-01 and 2026-09-02" in capsys.readouterr().err
