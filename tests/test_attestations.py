"""`annexa attest`: accountable statements. `--by` is one of the configured attesters, `--result`
is required, validity is bounded, physical controls carry a file, attesters with a key sign; the
SoA of a collection run counts the statements recorded before it, judged with its settings."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timezone
from pathlib import Path

import pytest

from annexa import cli
from annexa.evidence_store.signing import generate_keypair
from annexa.mappings.scope import Attester
from annexa.pipeline.attestations import record_attestation
from annexa.pipeline.workspace import load_workspace
from annexa.reports.attested import judge_attestation
from annexa.reports.settings import RunSettings


def _cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    try:
        code = cli.main(["--log-format", "json", *argv])
    except SystemExit as exit:  # argparse's own errors (a missing or invalid option)
        code = int(exit.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


ATTESTERS = """\
attesters:
  - {name: Jo Park, role: Office Manager}
  - {name: Rita Gomez, role: Head of People}
  - {name: Sam Lee, role: Head of IT, public_key: sam.pub}
"""


@pytest.fixture
def config(tmp_path: Path) -> Path:
    (tmp_path / "policies").mkdir()
    (tmp_path / "policies" / "p.md").write_text("---\ntitle: P\nowner: o\n---\n")
    generate_keypair(tmp_path / "sam")
    path = tmp_path / "annexa.yaml"
    path.write_text("store: ./evidence\ntargets:\n  - documents: {path: policies}\n" + ATTESTERS)
    return path


def _attest(capsys: pytest.CaptureFixture[str], config: Path, *args: str) -> tuple[int, str, str]:
    return _cli(capsys, "attest", "--config", str(config), *args)


def _soa(capsys: pytest.CaptureFixture[str], config: Path, run: str = "latest") -> dict[str, dict]:
    code, out, err = _cli(capsys, "soa", "--config", str(config), "--format", "json", "--run", run)
    assert code == 0, err
    return {row["control"]: row for row in json.loads(out)}


def test_attestations_count_from_the_next_collection_run_with_their_outcome(
    config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _cli(capsys, "collect", "--config", str(config))[0] == 0
    report = tmp_path / "report.pdf"
    report.write_bytes(b"%PDF-1.7 badge readers inspected")
    code, out, err = _attest(
        capsys, config, "A.7.2", "--file", str(report), "--note", "Badges reviewed", "--by", "jo park", "--result",
        "effective",
    )  # fmt: skip
    assert code == 0, err
    assert "attested A.7.2 effective" in out and "Jo Park (Office Manager)" in out and "next collection run" in out
    digest = hashlib.sha256(report.read_bytes()).hexdigest()
    assert (tmp_path / "evidence" / "objects" / digest[:2] / digest).read_bytes() == report.read_bytes()
    note = "Disciplinary process NOT followed in two cases"
    assert _attest(capsys, config, "A.6.4", "--note", note, "--by", "Rita Gomez", "--result", "not-effective")[0] == 0
    accepted = "No clear-desk checks until the office move"
    assert (
        _attest(
            capsys,
            config,
            "A.7.7",
            "--note",
            accepted,
            "--by",
            "Jo Park",
            "--result",
            "exception",
            "--file",
            str(report),
            "--expires",
            "2099-01-01",
        )[0]
        == 2
    )  # fmt: skip  (beyond the maximum)
    code, _, err = _attest(capsys, config, "A.7.7", "--note", accepted, "--by", "Jo Park", "--result", "exception",
                           "--file", str(report))  # fmt: skip
    assert code == 0, err

    # the SoA of the first collection run is bound to it: later statements do not change it
    first = _soa(capsys, config)
    assert first["A.7.2"]["status"] == "no_evidence" and first["A.7.2"]["attestations"] == []
    code, _, err = _cli(capsys, "soa", "--config", str(config), "--format", "json")
    assert "3 attestations recorded after run" in err

    assert _cli(capsys, "collect", "--config", str(config))[0] == 0
    code, out, err = _cli(capsys, "soa", "--config", str(config), "--format", "json")
    assert code == 0 and "recorded after run" not in err  # all three were recorded before this run
    soa = {row["control"]: row for row in json.loads(out)}
    a72 = soa["A.7.2"]
    assert (a72["status"], a72["evidence_class"]) == ("attested", "attestation")
    (statement,) = a72["attestations"]
    assert statement["attested_by"] == "Jo Park" and statement["role"] == "Office Manager"
    assert statement["file"]["sha256"] == digest and statement["counted"] is True
    assert statement["outcome"] == "effective" and "attestation" in a72["evidence_sources"]
    # a named person's "not effective" is a finding, never evidence that the control works
    assert (soa["A.6.4"]["status"], soa["A.6.4"]["evidence_class"]) == ("not_implemented", "attestation")
    # an exception is not implemented, shown as a documented exception until its expiry
    a77 = soa["A.7.7"]
    assert a77["status"] == "not_implemented" and a77["exception"]["note"] == accepted
    assert a77["exception"]["expires_at"] == a77["attestations"][0]["expires_at"]
    assert any(flag.startswith("documented exception until ") for flag in a77["flags"])
    # the SoA of the first run still has not changed
    assert _soa(capsys, config, "1") == first

    code, out, _ = _cli(capsys, "runs", "--config", str(config), "--format", "json")
    assert [r["type"] for r in json.loads(out)] == ["collection", *["attestation"] * 3, "collection"]
    # drift compares with the previous collection run, not with the attestation runs in between
    code, out, _ = _cli(capsys, "drift", "--config", str(config), "--format", "json")
    drift = json.loads(out)
    assert (drift["from"]["sequence"], drift["to"]["sequence"], drift["results"]) == (1, 5, [])
    changes = {c["control"]: (c["new_status"], c["new_evidence_class"], c["regression"]) for c in drift["controls"]}
    assert changes["A.7.2"] == ("attested", "attestation", False)
    # no_evidence and not_implemented are equally bad: a statement that it fails is news, not a regression
    assert changes["A.6.4"] == ("not_implemented", "attestation", False) and code == 0


def test_signed_attesters_must_sign_and_the_soa_checks_the_signature(
    config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["A.8.1", "--note", "Laptops in MDM", "--by", "Sam Lee", "--result", "effective"]
    code, _, err = _attest(capsys, config, *args)
    assert code == 2 and "--sign-key: Sam Lee has a public key" in err
    other = generate_keypair(tmp_path / "other")
    code, _, err = _attest(capsys, config, *args, "--sign-key", str(other.private_path))
    assert code == 2 and "not Sam Lee's key" in err and not (tmp_path / "evidence").exists()
    code, out, err = _attest(capsys, config, *args, "--sign-key", str(tmp_path / "sam"))
    assert code == 0 and ", signed," in out, err
    assert _cli(capsys, "collect", "--config", str(config))[0] == 0
    a81 = _soa(capsys, config)["A.8.1"]
    assert a81["status"] == "attested" and a81["attestations"][0]["counted"] is True

    # the same record, altered after signing, does not count
    ws = load_workspace(config)
    record = next(iter(ws.open_store().attestations()))
    settings = RunSettings(attesters={"Sam Lee": ws.config.attesters["Sam Lee"]})
    assert judge_attestation(record, settings).counted is True
    forged = judge_attestation({**record, "note": "Laptops in MDM, all of them"}, settings)
    assert (forged.counted, forged.reason) == (False, "it is not signed with Sam Lee's key")


def test_statements_are_judged_with_the_run_settings(tmp_path: Path) -> None:
    record = {
        "control": "A.7.1",
        "result": "effective",
        "note": "Perimeter walked",
        "attested_by": "Jo Park",
        "attested_at": "2026-01-01T00:00:00Z",
        "expires_at": "2099-01-01T00:00:00Z",
        "file": {"name": "walk.pdf", "sha256": "ab" * 32, "bytes": 3},
        "sequence": 4,
    }
    jo = {"Jo Park": Attester("Jo Park", "Office Manager")}
    counted = judge_attestation(record, RunSettings(attesters=jo))
    assert (counted.counted, counted.role) == (True, "Office Manager")
    assert counted.expires_at == "2027-01-01T00:00:00Z"  # bounded by the run's max validity (365 days)
    assert judge_attestation(record, RunSettings()).reason == "'Jo Park' is not an attester in this run's configuration"
    no_file = judge_attestation({**record, "file": None}, RunSettings(attesters=jo))
    assert no_file.reason == "this control needs a file with its attestation (attestations: require_file)"
    legacy = {k: v for k, v in record.items() if k != "result"}  # recorded before outcomes existed
    assert judge_attestation(legacy, RunSettings(attesters=jo)).reason == (
        "it records no outcome (effective, not-effective or exception)"
    )


def test_an_attester_removed_from_the_config_stops_counting_from_the_next_run(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _attest(capsys, config, "A.6.4", "--note", "Process followed", "--by", "Rita Gomez", "--result",
                   "effective")[0] == 0  # fmt: skip
    assert _cli(capsys, "collect", "--config", str(config))[0] == 0
    assert _soa(capsys, config)["A.6.4"]["status"] == "attested"
    config.write_text(config.read_text().replace("  - {name: Rita Gomez, role: Head of People}\n", ""))
    assert _cli(capsys, "collect", "--config", str(config))[0] == 0
    a64 = _soa(capsys, config)["A.6.4"]
    assert a64["status"] == "no_evidence"
    assert a64["flags"] == [
        "attestation run #1 by Rita Gomez not counted: 'Rita Gomez' is not an attester in this run's configuration"
    ]
    assert _soa(capsys, config, "2")["A.6.4"]["status"] == "attested"  # the earlier run keeps its verdict


def test_default_expiry_is_the_configured_maximum(config: Path) -> None:
    config.write_text(config.read_text() + "attestations: {max_validity: 30d, require_file: []}\n")
    ws = load_workspace(config)
    _, data = record_attestation(
        ws, "A.7.3", None, "Cupboard locked", "Jo Park", "effective", now=datetime(2026, 3, 1, 9, tzinfo=timezone.utc)
    )
    assert (data["attested_at"], data["expires_at"]) == ("2026-03-01T09:00:00Z", "2026-03-31T09:00:00Z")
    assert data["file"] is None and data["result"] == "effective"  # require_file: [] lifts the A.7 rule


@pytest.mark.parametrize(
    ("extra_config", "args", "message"),
    [
        ("", ["A.9.9", "--note", "x", "--by", "Jo Park", "--result", "effective"], "unknown Annex A 2022 control id 'A.9.9'"),
        ("", ["A.6.4", "--note", "x", "--by", "Jo", "--result", "effective"], "--by: 'Jo' is not one of the attesters"),
        ("", ["A.6.4", "--note", "x", "--by", "Jo Park"], "the following arguments are required: --result"),
        ("", ["A.6.4", "--note", "x", "--by", "Jo Park", "--result", "fine"], "argument --result: invalid choice"),
        ("", ["A.7.4", "--note", "x", "--by", "Jo Park", "--result", "effective"], "--file: A.7.4 needs an artefact"),
        ("", ["A.6.4", "--by", "Jo Park", "--result", "exception", "--file", "annexa.yaml"], "--note: an exception must say"),
        ("", ["A.6.4", "--note", "x", "--by", "Jo Park", "--result", "effective", "--expires", "2020-01-01"],
         "--expires: 2020-01-01 is not in the future"),
        ("", ["A.6.4", "--note", "x", "--by", "Jo Park", "--result", "effective", "--expires", "next year"],
         "--expires: 'next year' is not a date"),
        ("", ["A.6.4", "--note", "x", "--by", "Jo Park", "--result", "effective", "--expires", "2099-01-01"],
         "is beyond the maximum validity of 365 days"),
        ("", ["A.6.4", "--file", "/nonexistent/report.pdf", "--by", "Jo Park", "--result", "effective"],
         "--file /nonexistent/report.pdf: file not found"),
        ("", ["A.6.4", "--by", "Jo Park", "--result", "effective"], "an attestation needs a statement or a file"),
        ("", ["A.6.4", "--note", "x", "--by", "Jo Park", "--result", "effective", "--sign-key", "sam"],
         "annexa.yaml has no public key for Jo Park"),
    ],
)  # fmt: skip
def test_bad_attestations_are_one_line_and_write_nothing(
    config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], extra_config: str, args: list[str], message: str
) -> None:
    config.write_text(config.read_text() + extra_config)
    code, _, err = _cli(capsys, "attest", "--config", str(config), *args)
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1, err
    assert not (tmp_path / "evidence").exists()


def test_without_attesters_nobody_may_attest(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "annexa.yaml"
    config.write_text("store: ./evidence\ntargets: [{host: {}}]\n")
    code, _, err = _cli(capsys, "attest", "A.6.4", "--config", str(config), "--note", "x", "--by", "Jo", "--result",
                        "effective")  # fmt: skip
    assert code == 2 and "lists no `attesters:`" in err and not (tmp_path / "evidence").exists()


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ("attestations: {max_validity: 5y}\n", "annexa.yaml:8: attestations: max_validity: '5y' is not a duration"),
        ("attestations: {max_validity: 1200d}\n", "annexa.yaml:8: attestations: max_validity may be at most 1095d"),
        ("attestations: {require_file: [A.99.*]}\n", "annexa.yaml:8: attestations: require_file: no Annex A 2022"),
        ("attestations: {until: 3d}\n", "annexa.yaml:8: attestations: unknown attestations key 'until'"),
        ("attesters:\n  - {name: Jo Park}\n", "annexa.yaml:10: attesters: `role` is required"),
        ("attesters:\n  - {name: A, role: r, public_key: nokey.pub}\n", "annexa.yaml:10: attesters: public_key: cannot read 'nokey.pub'"),
        ("attesters:\n  - {name: A, role: r}\n  - {name: a, role: s}\n", "annexa.yaml:11: attesters: attester 'a' is listed twice"),
    ],
)  # fmt: skip
def test_bad_attestation_settings_name_file_and_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], section: str, message: str
) -> None:
    config = tmp_path / "annexa.yaml"
    base = "store: ./evidence\ntargets: [{host: {}}]\nattesters:\n  - {name: Jo Park, role: Office Manager}\n\n\n\n"
    if section.startswith("attesters"):
        base = "store: ./evidence\ntargets: [{host: {}}]\n\n\n\n\n\n\n"
    config.write_text(base + section)
    code, _, err = _cli(capsys, "check", "--config", str(config))
    assert code == 2, err
    (line,) = err.strip().splitlines()
    assert line.startswith(f"annexa: error: {config.parent}/{message}"), line
