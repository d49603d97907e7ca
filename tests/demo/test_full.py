"""The full demo, run once: ninety nights of genuine, signed history on embedded fakes, the SoA and an
audit pack, and a summary whose commands work as printed. The host is a fixture tree so the counts
are exact on any machine; the organisation's dates move with today, so they hold on any day."""

from __future__ import annotations

import json
import shlex
import zipfile
from pathlib import Path

import pytest

from annexa import cli
from annexa.demo.full import DemoResult, Story, run_full_demo, summary

HOST_ROOT = Path(__file__).resolve().parents[1] / "collectors" / "host" / "fixtures" / "hardened"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> DemoResult:
    return run_full_demo(tmp_path_factory.mktemp("full") / "annexa-demo", host_root=HOST_ROOT)


def _cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = cli.main(["--log-format", "json", *argv])
    return code, capsys.readouterr().out


def test_the_soa_of_the_last_night(demo: DemoResult, capsys: pytest.CaptureFixture[str]) -> None:
    assert demo.soa_counts == {
        "partial": 47,
        "documented": 17,
        "implemented": 16,
        "attested": 5,
        "excluded": 6,
        "not_implemented": 2,
    }
    assert demo.evidence_classes == {"document": 71, "automated": 42, "record": 30}
    code, out = _cli(capsys, "soa", "--config", str(demo.config), "--format", "json")
    assert code == 0
    rows = json.loads(out)
    counts: dict[str, int] = {}
    for row in rows:
        counts[row["status"]] = counts.get(row["status"], 0) + 1
    assert counts == demo.soa_counts  # the command judges the run as the demo did


def test_the_history_is_genuine_and_verifies(demo: DemoResult, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = _cli(capsys, "verify", "--config", str(demo.config))
    assert code == 0 and out.startswith("signed by sha256:")
    code, out = _cli(capsys, "runs", "--config", str(demo.config), "--format", "json")
    runs = json.loads(out)
    assert [r["type"] for r in runs].count("collection") == demo.runs == Story().nights - 1
    assert [r["type"] for r in runs].count("attestation") == 8
    nights = {r["started_at"][:10] for r in runs if r["type"] == "collection"}
    assert sorted(nights) == sorted(str(n) for n in demo.nights if n not in demo.missed)
    assert demo.missed == [demo.nights[-1 - Story().missed]]
    # every night starts at 02:00 UTC and takes a minute; the chain is in time order
    assert {r["started_at"][10:] for r in runs if r["type"] == "collection"} == {"T02:00:00Z"}
    assert [r["started_at"] for r in runs] == sorted(r["started_at"] for r in runs)


def test_drift_shows_the_regression_and_a_quiet_last_night(
    demo: DemoResult, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = _cli(capsys, "drift", "--config", str(demo.config), "--format", "json")
    assert code == 0
    last = json.loads(out)
    assert (last["results"], last["controls"]) == ([], [])
    before, opened = demo.regression
    code, out = _cli(capsys, "drift", "--config", str(demo.config), "--from", str(before), "--to", str(opened),
                     "--format", "json")  # fmt: skip
    assert code == 3
    regressed = [
        (r["rule"], r["resource"].split("/")[-1]) for r in json.loads(out)["results"] if r["change"] == "regressed"
    ]
    assert regressed == [("aws.ec2.security-group-database-ports", demo.regression_group)]


def test_reports_are_written(demo: DemoResult, capsys: pytest.CaptureFixture[str]) -> None:
    assert demo.outputs["soa.xlsx"].read_bytes()[:2] == b"PK"
    assert "A.8.24" in demo.outputs["soa.html"].read_text()
    with zipfile.ZipFile(demo.outputs["pack"]) as pack:
        assert pack.testzip() is None
    code, _ = _cli(capsys, "verify", str(demo.outputs["pack"]), "--config", str(demo.config))
    assert code == 0


def test_the_store_holds_no_seeded_secret(demo: DemoResult) -> None:
    written = [*Path(demo.store).rglob("*"), *(demo.folder / "reports").rglob("*")]
    blob = b"".join(p.read_bytes() for p in written if p.is_file() and p.suffix != ".sqlite")
    for planted in (b"Sup3rS3cret!", b"Demo-Passw0rd-alice", b"Demo-Passw0rd-bob", b"ghp_" + b"d" * 36):
        assert planted not in blob
    assert b"db_password" in blob  # the tag's key is kept: an auditor sees a secret is there


def test_store_is_for_the_quick_demo_only(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = cli.main(["demo", "--dir", str(tmp_path / "d"), "--store", str(tmp_path / "s")])
    assert code == 2 and "--store: only with --quick" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_a_folder_the_demo_did_not_write_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    assert cli.main(["demo", "--dir", str(tmp_path)]) == 2
    assert "was not written by `annexa demo`" in capsys.readouterr().err
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]


def test_the_summary_commands_work_as_printed(demo: DemoResult, capsys: pytest.CaptureFixture[str],
                                              monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    monkeypatch.chdir(demo.folder.parent)
    text = summary(demo)
    assert "annexa-demo/reports/soa.html" in text and f"{demo.runs} nightly runs" in text
    commands = [line.split("   (")[0].strip() for line in text.split("explore it:")[1].splitlines() if line.strip()]
    assert len(commands) == 6
    for command in commands:
        argv = shlex.split(command)
        assert Path(argv[0]).name == "annexa"
        code, _ = _cli(capsys, *argv[1:])
        assert code == (3 if argv[1] == "drift" else 0), command
