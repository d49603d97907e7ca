"""`annexa import generic FILE --mapping M.yaml`: any scanner's CSV or JSON results through a column mapping."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from annexa import cli

MAPPING = """\
tool: {name: acme-scan, version: "2.3"}
columns:
  resource: asset
  check: check_id
  status: result
  controls: iso
  observed_at: scanned
status:
  pass: [PASS, ok]
  fail: [FAIL]
"""

CSV = """\
asset,check_id,result,iso,scanned
web-1,tls-min-version,PASS,A.8.24;A.8.20,2026-11-01T10:00:00Z
web-2,tls-min-version,FAIL,A.8.24,2026-11-01T10:00:00Z
"""


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(["--log-format", "json", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def _files(tmp_path: Path, data: str = CSV, mapping: str = MAPPING, name: str = "scan.csv") -> tuple[str, str]:
    (tmp_path / name).write_text(data)
    (tmp_path / "mapping.yaml").write_text(mapping)
    return str(tmp_path / name), str(tmp_path / "mapping.yaml")


def test_csv_import_evaluates_per_control(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data, mapping = _files(tmp_path)
    store = str(tmp_path / "evidence")
    code, out, err = _run(capsys, "import", "generic", data, "--mapping", mapping, "--store", store)
    assert code == 0, err
    code, out, _ = _run(capsys, "findings", "--store", store, "--format", "json")
    got = {f["resource"]: (f["rule"], f["status"], f["controls"]) for f in json.loads(out)}
    assert got == {
        "tls-min-version:web-1": ("import.generic.check", "pass", ["A.8.24", "A.8.20"]),
        "tls-min-version:web-2": ("import.generic.check", "fail", ["A.8.24"]),
    }
    code, out, _ = _run(capsys, "soa", "--store", store, "--format", "json")
    soa = {row["control"]: row for row in json.loads(out)}
    assert soa["A.8.20"]["evidence_sources"] == ["import:generic"]


def test_json_import_reads_an_array_of_objects(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rows = [{"asset": "db", "check_id": "enc", "result": "ok", "iso": ["A.8.24"], "scanned": 1_790_000_000}]
    data, mapping = _files(tmp_path, json.dumps(rows), name="scan.json")
    code, out, err = _run(capsys, "import", "generic", data, "--mapping", mapping, "--store", str(tmp_path / "s"))
    assert code == 0, err and "imported 1 generic results" in out


@pytest.mark.parametrize(
    ("data", "mapping", "needle"),
    [
        (CSV.replace("FAIL", "WARN"), MAPPING, "scan.csv:3: status 'WARN' is neither"),
        (CSV.replace("A.8.24,", "A.8.99,"), MAPPING, "scan.csv:3: 'A.8.99' is not an Annex A 2022 control id"),
        (CSV.replace("web-2", ""), MAPPING, "scan.csv:3: missing value in column 'asset'"),
        (CSV.replace("2026-11-01T10:00:00Z\nweb-2", "yesterday\nweb-2"), MAPPING, "scan.csv:2: scanned 'yesterday'"),
        (CSV, MAPPING.replace("  check: check_id\n", ""), "mapping.yaml:2: `columns` is missing 'check'"),
        (CSV, MAPPING.replace("  fail: [FAIL]", "  fail: [ok]"), "listed as both pass and fail"),
        (CSV, MAPPING + "extra: 1\n", "mapping.yaml:11: unknown key 'extra'"),
    ],
)
def test_bad_generic_input_exits_2_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], data: str, mapping: str, needle: str
) -> None:
    data_path, mapping_path = _files(tmp_path, data, mapping)
    store = tmp_path / "evidence"
    code, out, err = _run(capsys, "import", "generic", data_path, "--mapping", mapping_path, "--store", str(store))
    assert code == 2 and out == "" and err.count("\n") == 1 and needle in err, err
    assert not (store / "manifests").exists() or not any((store / "manifests").iterdir())


def test_generic_import_needs_a_mapping(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data, _ = _files(tmp_path)
    code, _, err = _run(capsys, "import", "generic", data, "--store", str(tmp_path / "s"))
    assert code == 2 and "--mapping" in err
