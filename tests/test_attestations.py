"""`annexa attest`: an attested file is stored by hash in a run of its own; the SoA shows
`manual` while the attestation is fresh and `stale` once it has expired."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timezone
from pathlib import Path

import pytest

from annexa import cli
from annexa.pipeline.attestations import record_attestation
from annexa.pipeline.workspace import load_workspace


def _cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(["--log-format", "json", *argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def config(tmp_path: Path) -> Path:
    (tmp_path / "policies").mkdir()
    (tmp_path / "policies" / "p.md").write_text("---\ntitle: P\nowner: o\n---\n")
    path = tmp_path / "annexa.yaml"
    path.write_text("store: ./evidence\ntargets:\n  - documents: {path: policies}\n")
    return path


def test_attested_control_is_manual_then_stale_after_expiry(
    config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _cli(capsys, "collect", "--config", str(config))[0] == 0
    report = tmp_path / "report.pdf"
    report.write_bytes(b"%PDF-1.7 badge readers inspected")
    code, out, err = _cli(
        capsys,
        "attest",
        "A.7.4",
        "--config",
        str(config),
        "--file",
        str(report),
        "--note",
        "Monitoring reviewed",
        "--by",
        "Jo Facilities",
        "--expires",
        "2099-05-01",
    )
    assert code == 0, err and "attested A.7.4" in out
    digest = hashlib.sha256(report.read_bytes()).hexdigest()
    assert (tmp_path / "evidence" / "objects" / digest[:2] / digest).read_bytes() == report.read_bytes()

    # an attestation made in 2025 that expired in 2026 (recorded through the library: the CLI refuses past dates)
    ws = load_workspace(config)
    record_attestation(
        ws,
        "A.7.9",
        None,
        "Off-site laptops checked",
        "Sam",
        "2026-01-01",
        now=datetime(2025, 6, 1, tzinfo=timezone.utc),
    )

    code, out, _ = _cli(capsys, "soa", "--config", str(config), "--format", "json")
    soa = {row["control"]: row for row in json.loads(out)}
    assert soa["A.7.4"]["status"] == "manual"
    assert (
        f"sha256:{digest}" in soa["A.7.4"]["manual_evidence"][0]
        and "Jo Facilities" in soa["A.7.4"]["manual_evidence"][0]
    )
    assert soa["A.7.9"]["status"] == "stale"
    assert soa["A.5.1"]["status"] != "no_evidence"  # `latest` is still the collection run, not the attestation

    code, out, _ = _cli(capsys, "runs", "--config", str(config), "--format", "json")
    assert [r["type"] for r in json.loads(out)] == ["collection", "attestation", "attestation"]
    # a later collection run keeps the attestations in effect
    assert _cli(capsys, "collect", "--config", str(config))[0] == 0
    code, out, _ = _cli(capsys, "soa", "--config", str(config), "--format", "json")
    assert {row["control"]: row["status"] for row in json.loads(out)}["A.7.4"] == "manual"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["A.9.9", "--note", "x"], "unknown Annex A 2022 control id 'A.9.9'"),
        (["A.7.4", "--note", "x", "--expires", "2020-01-01"], "--expires: 2020-01-01 is not in the future"),
        (["A.7.4", "--note", "x", "--expires", "next year"], "--expires: 'next year' is not a date"),
        (["A.7.4", "--file", "/nonexistent/report.pdf"], "--file /nonexistent/report.pdf: file not found"),
        (["A.7.4"], "an attestation needs a statement or a file"),
    ],
)
def test_bad_attestations_are_one_line_and_write_nothing(
    config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    argv = ["attest", "--config", str(config), "--by", "Jo", *args]
    if "--expires" not in args:
        argv += ["--expires", "2099-01-01"]
    code, _, err = _cli(capsys, *argv)
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "evidence").exists()
