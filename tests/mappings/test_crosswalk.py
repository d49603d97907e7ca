"""Crosswalk files: validated at load, shown as a column by `soa` and `findings`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from annexa import cli
from annexa.errors import UsageError
from annexa.mappings.catalog import load_catalog
from annexa.mappings.crosswalk import load_crosswalk

IDS = set(load_catalog().ids())
GOOD = """\
framework: Example framework
source: written for this test
mappings:
  A.8.24: [EX-13, EX-12]
  A.5.15: [EX-3]
"""


def test_crosswalk_maps_controls_in_order_without_repeats(tmp_path: Path) -> None:
    path = tmp_path / "x.yaml"
    path.write_text(GOOD)
    crosswalk = load_crosswalk(path, IDS)
    assert crosswalk.ids(["A.8.24", "A.5.15", "A.8.24", "A.5.1"]) == ["EX-13", "EX-12", "EX-3"]


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        (GOOD.replace("A.5.15", "A.5.99"), "x.yaml:5: unknown Annex A 2022 control id 'A.5.99'"),
        (GOOD.replace("[EX-3]", "[]"), "x.yaml:5: the ids mapped to A.5.15 must be a non-empty list"),
        (GOOD.replace("source: written for this test\n", ""), "`source` must be non-empty text"),
        (GOOD + "notes: x\n", "x.yaml:6: unknown key 'notes'"),
    ],
)
def test_bad_crosswalk_names_file_and_line(tmp_path: Path, text: str, needle: str) -> None:
    path = tmp_path / "x.yaml"
    path.write_text(text)
    with pytest.raises(UsageError) as info:
        load_crosswalk(path, IDS)
    assert needle in str(info.value)


def test_soa_and_findings_show_the_crosswalk_column(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from prowler_sample import write_sample

    store = str(tmp_path / "evidence")
    assert (
        cli.main(
            ["--log-format", "json", "import", "prowler", str(write_sample(tmp_path / "p.json")), "--store", store]
        )
        == 0
    )
    (tmp_path / "x.yaml").write_text(GOOD)
    capsys.readouterr()
    assert cli.main(["soa", "--store", store, "--format", "json", "--crosswalk", str(tmp_path / "x.yaml")]) == 0
    soa = {row["control"]: row for row in json.loads(capsys.readouterr().out)}
    assert soa["A.8.24"]["crosswalk"] == ["EX-13", "EX-12"] and soa["A.5.1"]["crosswalk"] == []
    assert cli.main(["findings", "--store", store, "--format", "csv", "--crosswalk", str(tmp_path / "x.yaml")]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].endswith(",crosswalk") and "EX-13, EX-12" in out
    assert cli.main(["soa", "--store", store, "--crosswalk", str(tmp_path / "missing.yaml")]) == 2
