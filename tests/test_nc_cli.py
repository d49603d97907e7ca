"""`annexa nc update|export|import`: corrective actions stored as signed, chained runs; one-line
errors and exit 2 for unknown ids, bad dates, states and approvers, with nothing written; a CSV
with a bad row names file:line and records none of its rows."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from fakes import FAKE_RULES
from history import write_night

from annexa import cli
from annexa.evidence_store.signing import generate_keypair
from annexa.pipeline.workspace import load_workspace
from annexa.reports.corrective import nc_id

CONFIG = """\
store: ./evidence
targets:
  - host: {}
signing: {private_key: signing.key}
attesters:
  - {name: Dana Chief, role: CISO}
risks: risks.csv
"""
FAILING = nc_id("fake.bucket-encrypted", "open-one")
OTHER = nc_id("fake.bucket-encrypted", '=HYPERLINK("x")')
FIXED = nc_id("fake.bucket-encrypted", "fixed-one")
FUTURE = (datetime.now(timezone.utc) + timedelta(days=90)).strftime("%Y-%m-%d")


def _cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    try:
        code = cli.main(["--log-format", "json", *argv])
    except SystemExit as exit:  # argparse's own errors
        code = int(exit.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def config(tmp_path: Path) -> Path:
    (tmp_path / "annexa.yaml").write_text(CONFIG)
    (tmp_path / "risks.csv").write_text("id,title,owner,treatment\nR-7,Unencrypted test buckets,CISO,accept\n")
    generate_keypair(tmp_path / "signing.key")
    rules = tmp_path / "rules.yaml"
    rules.write_text(FAKE_RULES)
    store = load_workspace(tmp_path / "annexa.yaml").open_store(signed=True)
    for night in range(4):
        buckets = {
            "open-one": {"encrypted": False, "versioning": "Enabled"},
            '=HYPERLINK("x")': {"encrypted": False, "versioning": "Enabled"},
            "fixed-one": {"encrypted": night >= 2, "versioning": "Enabled"},
        }
        write_night(store, rules, buckets, night)
    return tmp_path / "annexa.yaml"


def _runs(config: Path) -> int:
    return len(load_workspace(config).open_store().runs())


def _register(capsys: pytest.CaptureFixture[str], config: Path) -> dict[str, dict]:
    code, out, err = _cli(capsys, "nonconformities", "--config", str(config), "--format", "json")
    assert code == 0, err
    return {row["id"]: row for row in json.loads(out)}


def _update(capsys: pytest.CaptureFixture[str], config: Path, *args: str) -> tuple[int, str, str]:
    return _cli(capsys, "nc", "update", "--config", str(config), *args)


def test_an_update_is_a_signed_chained_run_and_shows_in_the_register(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = _update(
        capsys, config, FAILING.lower(), "--owner", "Ops team", "--root-cause", "Default off", "--correction",
        "Encrypted", "--action", "Policy as code", "--due", "2027-01-31", "--state", "in_progress", "--note", "T-1",
    )  # fmt: skip
    assert code == 0, err
    assert out.startswith(f"recorded {FAILING} (correction, corrective_action, due, owner, root_cause, state): run ")
    store = load_workspace(config).open_store()
    run = store.runs()[-1]
    assert (run.type, run.facts) == ("corrective_action", 1)
    assert "signature" in store.manifest(run.seq)
    row = _register(capsys, config)[FAILING]
    assert (row["state"], row["owner"], row["due"], row["corrective_action"]) == (
        "in_progress",
        "Ops team",
        "2027-01-31",
        "Policy as code",
    )
    assert row["notes"][0].endswith(": T-1")
    code, out, err = _cli(capsys, "verify", "--config", str(config))
    assert code == 0, out + err
    # the record run is no collection: `latest`, drift and the SoA still read the last collection run
    code, out, err = _cli(capsys, "runs", "--config", str(config), "--format", "json")
    assert [r["type"] for r in json.loads(out)] == ["collection"] * 4 + ["corrective_action"]
    code, out, err = _cli(capsys, "findings", "--config", str(config), "--format", "json")
    assert code == 0 and len(json.loads(out)) == 6, err
    assert _cli(capsys, "drift", "--config", str(config))[0] == 0
    # a risk acceptance, approved by a configured attester
    code, out, err = _update(
        capsys,
        config,
        FAILING,
        "--accept-risk",
        "--risk",
        "R-7",
        "--approver",
        "dana chief",
        "--expires",
        FUTURE,
        "--note",
        "why",
    )
    assert code == 0, err
    row = _register(capsys, config)[FAILING]
    assert (row["state"], row["accepted_by"], row["acceptance_expires"]) == (
        "risk_accepted",
        "Dana Chief",
        f"{FUTURE}T00:00:00Z",
    )


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (("NC-000000000000", "--owner", "x"), "NC-ID: no non-conformity 'NC-000000000000'"),
        ((FAILING, "--due", "2027-13-01"), "--due: '2027-13-01' is not a date such as 2027-01-31"),
        ((FAILING, "--due", "31/01/2027"), "--due: '31/01/2027' is not a date such as 2027-01-31"),
        ((FAILING, "--state", "done"), "--state: 'done' is not one of open, in_progress, fixed, verified"),
        ((FAILING, "--state", "closed"), "--state: `closed` is computed, never set"),
        ((FAILING, "--state", "verified"), "--state: `verified` is computed, never set"),
        ((FAILING, "--state", "fixed"), "--state: `fixed` is computed, never set"),
        ((FIXED, "--state", "in_progress"), f"--state: {FIXED} is fixed (its rule passes since"),
        (
            (FIXED, "--accept-risk", "--risk", "R-7", "--approver", "Dana Chief", "--expires", FUTURE, "--note", "n"),
            "is fixed",
        ),
        (
            (FAILING, "--accept-risk", "--risk", "R-7", "--approver", "Mallory", "--expires", FUTURE, "--note", "n"),
            "--approver: 'Mallory' is not one of the attesters",
        ),
        (
            (FAILING, "--accept-risk", "--risk", "R-7", "--expires", FUTURE, "--note", "n"),
            "--approver: a risk acceptance needs",
        ),
        (
            (FAILING, "--accept-risk", "--risk", "R-7", "--approver", "Dana Chief", "--note", "n"),
            "--expires: a risk acceptance needs",
        ),
        (
            (FAILING, "--accept-risk", "--risk", "R-7", "--approver", "Dana Chief", "--expires", FUTURE),
            "--note: a risk acceptance",
        ),
        (
            (
                FAILING,
                "--accept-risk",
                "--risk",
                "R-7",
                "--approver",
                "Dana Chief",
                "--expires",
                "2020-01-01",
                "--note",
                "n",
            ),
            "--expires: 2020-01-01 is not in the future",
        ),
        (
            (
                FAILING,
                "--accept-risk",
                "--risk",
                "R-7",
                "--approver",
                "Dana Chief",
                "--expires",
                "2099-01-01",
                "--note",
                "n",
            ),
            "beyond the maximum validity of 365 days",
        ),
        ((FAILING, "--approver", "Dana Chief"), "--approver: only with a risk acceptance"),
        ((FAILING, "--accept-risk", "--state", "open"), "--accept-risk sets the state risk_accepted"),
        ((FAILING,), f"{FAILING}: nothing to record"),
        ((FAILING, "--owner", "x" * 5000), "--owner: 5000 characters; at most 4000"),
    ],
)
def test_bad_updates_are_one_line_exit_2_and_write_nothing(
    config: Path, capsys: pytest.CaptureFixture[str], args: tuple[str, ...], needle: str
) -> None:
    before = _runs(config)
    code, out, err = _update(capsys, config, *args)
    assert code == 2
    assert needle in err and err.count("\n") == 1 and "Traceback" not in err
    assert out == ""
    assert _runs(config) == before


def test_an_exception_and_a_risk_acceptance_are_distinct_decisions(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = _update(
        capsys, config, OTHER, "--exception", "--approver", "Dana Chief", "--expires", FUTURE,
        "--compensating-control", "Bucket policy denies every principal but the backup role", "--note", "Vendor reader",
    )  # fmt: skip
    assert code == 0, err
    code, _, err = _update(
        capsys, config, FAILING, "--accept-risk", "--risk", "R-7", "--approver", "Dana Chief", "--expires", FUTURE,
        "--note", "Test data only",
    )  # fmt: skip
    assert code == 0, err
    register = _register(capsys, config)
    excepted, accepted = register[OTHER], register[FAILING]
    assert {
        k: excepted[k] for k in ("state", "exception_approved_by", "exception_expires", "compensating_control")
    } == {
        "state": "exception",
        "exception_approved_by": "Dana Chief",
        "exception_expires": f"{FUTURE}T00:00:00Z",
        "compensating_control": "Bucket policy denies every principal but the backup role",
    }
    assert (excepted["exception_reason"], excepted["accepted_by"], excepted["risk_id"]) == ("Vendor reader", "", "")
    assert {k: accepted[k] for k in ("state", "risk_id", "risk_title", "accepted_by", "exception_approved_by")} == {
        "state": "risk_accepted",
        "risk_id": "R-7",
        "risk_title": "Unencrypted test buckets",
        "accepted_by": "Dana Chief",
        "exception_approved_by": "",
    }
    # One decision replaces the other: an exception recorded over the acceptance ends it.
    code, _, err = _update(
        capsys, config, FAILING, "--exception", "--approver", "Dana Chief", "--expires", FUTURE,
        "--compensating-control", "Nightly restore test", "--note", "Until the migration",
    )  # fmt: skip
    assert code == 0, err
    row = _register(capsys, config)[FAILING]
    assert (row["state"], row["accepted_by"], row["risk_id"], row["compensating_control"]) == (
        "exception",
        "",
        "",
        "Nightly restore test",
    )


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (
            ("--accept-risk", "--approver", "Dana Chief", "--expires", FUTURE, "--note", "n"),
            "--risk: a risk acceptance names",
        ),
        (
            ("--accept-risk", "--risk", "R-9", "--approver", "Dana Chief", "--expires", FUTURE, "--note", "n"),
            "--risk: 'R-9' is not in the risk register (R-7)",
        ),
        (
            ("--accept-risk", "--risk", "R-7", "--approver", "Sam Ops", "--expires", FUTURE, "--note", "n"),
            "--approver: Sam Ops (SRE) does not own risk R-7; its owner 'CISO' accepts it",
        ),
        (
            ("--exception", "--approver", "Dana Chief", "--expires", FUTURE, "--note", "n"),
            "--compensating-control: an exception names its compensating control",
        ),
        (
            ("--exception", "--compensating-control", "c", "--approver", "Dana Chief", "--note", "n"),
            "--expires: an exception needs an expiry date",
        ),
        (
            ("--exception", "--compensating-control", "c", "--approver", "Dana Chief", "--expires", FUTURE),
            "--note: an exception must say why",
        ),
        (("--exception", "--risk", "R-7", "--compensating-control", "c"), "--risk: only with a risk acceptance"),
        (
            ("--owner", "x", "--compensating-control", "c"),
            "--compensating-control: only with an exception (state exception)",
        ),
        (("--exception", "--state", "open"), "--exception sets the state exception"),
    ],
)
def test_bad_decisions_are_one_line_exit_2_and_write_nothing(
    config: Path, capsys: pytest.CaptureFixture[str], args: tuple[str, ...], needle: str
) -> None:
    text = config.read_text().replace(
        "  - {name: Dana Chief, role: CISO}\n", "  - {name: Dana Chief, role: CISO}\n  - {name: Sam Ops, role: SRE}\n"
    )
    config.write_text(text)
    before = _runs(config)
    code, out, err = _update(capsys, config, FAILING, *args)
    assert code == 2, err
    assert needle in err and err.count("\n") == 1 and "Traceback" not in err
    assert _runs(config) == before


def test_an_exception_through_the_csv_uses_its_own_columns(
    config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    listed = _export(capsys, config, tmp_path / "nc.csv")
    line = 2 + [r["id"] for r in listed].index(OTHER)
    rows = {r["id"]: r for r in listed}
    rows[OTHER].update(
        state="exception",
        exception_approved_by="Dana Chief",
        exception_expires=FUTURE,
        compensating_control="Access limited to the backup role",
        note="Vendor reader",
    )
    edited = tmp_path / "edited.csv"
    _write(edited, list(rows.values()))
    code, _, err = _cli(capsys, "nc", "import", "--config", str(config), str(edited))
    assert code == 0, err
    row = _register(capsys, config)[OTHER]
    assert (row["state"], row["exception_approved_by"], row["compensating_control"]) == (
        "exception",
        "Dana Chief",
        "Access limited to the backup role",
    )
    rows[OTHER].update(exception_approved_by="Nobody")
    _write(edited, list(rows.values()))
    code, _, err = _cli(capsys, "nc", "import", "--config", str(config), str(edited))
    assert code == 2 and f"{edited}:{line}: exception_approved_by: 'Nobody' is not one of the attesters" in err


def _export(capsys: pytest.CaptureFixture[str], config: Path, output: Path) -> list[dict[str, str]]:
    code, _out, err = _cli(capsys, "nc", "export", "--config", str(config), "-o", str(output))
    assert code == 0, err
    return list(csv.DictReader(io.StringIO(output.read_text())))


def _write(path: Path, rows: list[dict[str, str]]) -> None:
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def test_csv_round_trip_records_only_changed_editable_cells(
    config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _update(capsys, config, OTHER, "--owner", "=1+1")[0] == 0
    exported = tmp_path / "nc.csv"
    rows = _export(capsys, config, exported)
    by_id = {r["id"]: r for r in rows}
    assert set(by_id) == {FAILING, OTHER, FIXED}
    assert by_id[OTHER]["owner"] == "'=1+1"  # neutralised for spreadsheets
    assert by_id[OTHER]["resource"] == '\'=HYPERLINK("x")'
    before = _runs(config)
    code, out, err = _cli(capsys, "nc", "import", "--config", str(config), str(exported))
    assert (code, out.strip()) == (0, f"{exported}: 3 rows, nothing changed; nothing recorded"), err
    assert _runs(config) == before
    by_id[FAILING].update(owner="Platform team", due="2027-02-28", note="from JIRA-7", rule="edited, ignored")
    by_id[FAILING]["state"] = "in_progress"
    edited = tmp_path / "edited.csv"
    _write(edited, list(by_id.values()))
    code, out, err = _cli(capsys, "nc", "import", "--config", str(config), str(edited))
    assert code == 0, err
    assert out.startswith(f"recorded 1 changed items of 3 rows from {edited}: run ")
    row = _register(capsys, config)[FAILING]
    assert (row["owner"], row["due"], row["state"], row["rule"]) == (
        "Platform team",
        "2027-02-28",
        "in_progress",
        "fake.bucket-encrypted",
    )
    assert _register(capsys, config)[OTHER]["owner"] == "=1+1"


@pytest.mark.parametrize(
    ("edit", "needle"),
    [
        ({"due": "2027-02-30"}, ":3: due: '2027-02-30' is not a date"),
        ({"state": "verified"}, ":3: state: `verified` is computed"),
        ({"state": "done"}, ":3: state: 'done' is not one of"),
        (
            {
                "state": "risk_accepted",
                "risk_id": "R-7",
                "accepted_by": "Nobody",
                "acceptance_expires": FUTURE,
                "note": "n",
            },
            ":3: accepted_by: 'Nobody' is not one of the attesters",
        ),
        ({"id": "NC-ffffffffffff"}, ":3: id: no non-conformity 'NC-ffffffffffff'"),
        ({"accepted_by": "Dana Chief"}, ":3: accepted_by: only with a risk acceptance"),
    ],
)
def test_a_csv_with_a_bad_row_names_file_and_line_and_records_nothing(
    config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], edit: dict[str, str], needle: str
) -> None:
    rows = _export(capsys, config, tmp_path / "nc.csv")
    rows[0]["owner"] = "a good change on line 2"
    rows[1].update(edit)
    bad = tmp_path / "bad.csv"
    _write(bad, rows)
    before = _runs(config)
    code, out, err = _cli(capsys, "nc", "import", "--config", str(config), str(bad))
    assert code == 2 and out == ""
    assert f"{bad}{needle}" in err and err.count("\n") == 1 and "nothing was recorded" in err
    assert _runs(config) == before
    assert all(row["owner"] == "" for row in _register(capsys, config).values())


def test_csv_shape_errors(config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cases = {
        "id,ownr\n": ":1: unknown column 'ownr'",
        "owner\nx\n": ":1: no `id` column",
        "": ":1: empty file",
        f"id,owner\n{FAILING},a,b\n": ":2: 3 cells, the header has 2",
        f"id,owner\n{FAILING},a\n{FAILING.lower()},b\n": f":3: id {FAILING.lower()} is also on line 2",
    }
    for text, needle in cases.items():
        path = tmp_path / "shape.csv"
        path.write_text(text)
        code, _out, err = _cli(capsys, "nc", "import", "--config", str(config), str(path))
        assert code == 2 and f"{path}{needle}" in err, (text, err)
    code, _out, err = _cli(capsys, "nc", "import", "--config", str(config), str(tmp_path / "missing.csv"))
    assert code == 2 and "missing.csv: file not found" in err


@pytest.mark.parametrize(
    "report",
    [
        ["nonconformities", "--format", "json"],
        ["pack", "--from", "2026-08-01", "--to", "2026-08-04", "--output", "pack.zip"],
    ],
)
def test_no_usable_temporary_folder_is_one_line_and_exit_2(
    report: list[str], config: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The register and the pack spill to scratch files; without a folder for them the cron mail
    gets one line naming it, not a traceback."""
    missing = tmp_path / "no-such-tmp"
    monkeypatch.setattr("tempfile.tempdir", str(missing))
    monkeypatch.chdir(tmp_path)
    code, out, err = _cli(capsys, *report, "--config", str(config))
    assert (code, out) == (2, "")
    assert err.startswith(f"annexa: error: {missing}") and len(err.splitlines()) == 1, err
    assert not (tmp_path / "pack.zip").exists()


def test_no_usable_temporary_folder_for_a_report_file_names_that_folder(
    config: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "no-such-tmp"
    monkeypatch.setattr("tempfile.tempdir", str(missing))
    code, out, err = _cli(
        capsys, "nonconformities", "--config", str(config), "--format", "csv", "--output", str(tmp_path / "nc.csv")
    )
    assert (code, out) == (2, "")
    assert err.startswith(f"annexa: error: {missing}") and len(err.splitlines()) == 1, err
    assert not (tmp_path / "nc.csv").exists()
