"""The CLI contract, in process: exit codes, one-line errors, output fields."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from fakes import run_cli

from annexa import cli

pytestmark = pytest.mark.usefixtures("fake_collector_installed")


def _config(tmp_path: Path, rules_file: Path, targets: str) -> Path:
    path = tmp_path / "annexa.yaml"
    path.write_text(f"store: ./evidence\nmappings: [{rules_file}]\ntargets:\n{targets}")
    return path


BUCKETS = "  - fake: {buckets: {good: {encrypted: true, versioning: Enabled}, '=HYPERLINK(1)': {encrypted: false}}}\n"


def test_collect_then_findings_soa_runs(
    tmp_path: Path, fake_rules_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = str(_config(tmp_path, fake_rules_file, BUCKETS))
    code, out, err = run_cli(capsys, "collect", "--config", config)
    assert code == 0, err
    assert "complete: 2 facts" in out
    assert '"event": "run_finished"' in err  # JSON log lines for cron

    code, out, _ = run_cli(capsys, "findings", "--config", config, "--format", "json")
    findings = json.loads(out)
    assert code == 0
    for item in findings:
        assert {"rule", "controls", "kind", "resource", "scope", "status", "collected_at", "message"} <= set(item)
    by_key = {(f["rule"], f["resource"]): f for f in findings}
    assert by_key[("fake.bucket-encrypted", "arn:fake:bucket/good")]["status"] == "pass"
    bad = by_key[("fake.bucket-encrypted", "arn:fake:bucket/=HYPERLINK(1)")]
    assert bad["status"] == "fail" and bad["controls"] == ["A.8.24"] and bad["remediation"]

    code, out, _ = run_cli(capsys, "findings", "--config", config, "--format", "csv")
    cells = [cell for row in csv.reader(io.StringIO(out)) for cell in row]
    assert "arn:fake:bucket/=HYPERLINK(1)" in cells
    assert not any(cell.startswith(("=", "+", "@")) for cell in cells)

    code, out, _ = run_cli(capsys, "soa", "--config", config, "--format", "json")
    soa = {item["control"]: item for item in json.loads(out)}
    assert len(soa) == 93
    assert {"control", "title", "theme", "applicable", "status", "last_evidence_at"} <= set(soa["A.8.24"])
    assert soa["A.8.24"]["status"] == "partial" and soa["A.5.1"]["status"] == "no_evidence"

    code, out, _ = run_cli(capsys, "runs", "--config", config, "--format", "json")
    assert [r["sequence"] for r in json.loads(out)] == [1]


def test_failed_collection_exits_1_and_still_writes(
    tmp_path: Path, fake_rules_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = str(_config(tmp_path, fake_rules_file, "  - fake: {fail: true}\n"))
    code, out, err = run_cli(capsys, "collect", "--config", config)
    assert code == 1 and "partial" in out and '"code": "AccessDenied"' in err
    code, out, _ = run_cli(capsys, "findings", "--config", config, "--format", "json")
    assert {f["status"] for f in json.loads(out)} == {"error"}


@pytest.mark.parametrize(
    ("bad", "needle"),
    [
        ("targets:\n  - fake: {buckets: 3}\n", "annexa.yaml:2: fake option 'buckets' must be a dict"),
        ("targets:\n  - fake: {}\nstorre: x\n", "annexa.yaml:3: unknown key 'storre'"),
    ],
)
def test_bad_config_is_one_line_exit_2_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], bad: str, needle: str
) -> None:
    path = tmp_path / "annexa.yaml"
    path.write_text(bad)
    code, out, err = run_cli(capsys, "collect", "--config", str(path))
    assert code == 2 and out == ""
    assert err.strip().count("\n") == 0 and needle in err and "Traceback" not in err
    assert not (tmp_path / "evidence").exists()


def test_bad_rule_file_is_exit_2(tmp_path: Path, fake_rules_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    fake_rules_file.write_text(fake_rules_file.read_text().replace("A.8.24]", "A.9.1]", 1))
    config = str(_config(tmp_path, fake_rules_file, BUCKETS))
    for command in ("check", "collect"):
        code, _, err = run_cli(capsys, command, "--config", config)
        assert code == 2 and "fake-rules.yaml:4: unknown Annex A 2022 control id 'A.9.1'" in err
    assert not (tmp_path / "evidence").exists()


def test_check_reports_what_it_validated(
    tmp_path: Path, fake_rules_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run_cli(capsys, "check", "--config", str(_config(tmp_path, fake_rules_file, BUCKETS)))
    assert code == 0 and out.startswith("ok: ") and "of 93 controls" in out


def test_bad_arguments_are_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        cli.main(["findings", "--format", "xml"])
    err = capsys.readouterr().err
    assert info.value.code == 2 and err.count("\n") == 1 and "--format" in err


def test_reading_an_empty_store_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "empty").mkdir()
    code, _, err = run_cli(capsys, "findings", "--store", str(tmp_path / "empty"), "--config", str(tmp_path / "x.yaml"))
    assert code == 2 and "no runs yet" in err


READING_COMMANDS = (
    ["runs"],
    ["findings"],
    ["soa"],
    ["drift"],
    ["verify"],
    ["pack", "--from", "2026-01-01", "--to", "2026-01-31", "-o", "PACK"],
    ["export", "oscal"],
    ["nonconformities"],
    ["head"],
    ["reindex"],
)


@pytest.mark.parametrize("command", READING_COMMANDS, ids=lambda c: c[0])
def test_reading_commands_refuse_a_store_that_does_not_exist(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: list[str]
) -> None:
    missing = tmp_path / "evidense"  # a typo for ./evidence
    argv = [str(tmp_path / "pack.zip") if a == "PACK" else a for a in command]
    code, out, err = run_cli(capsys, *argv, "--store", str(missing), "--config", str(tmp_path / "none.yaml"))
    assert code == 2
    assert out == ""
    assert err == (
        f"annexa: error: {missing}: no evidence store here (the folder does not exist); check --store or `store:`\n"
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == []  # nothing created: no store, no index, no pack


def test_reading_commands_refuse_a_folder_that_is_not_a_store(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "notes.txt").write_text("a project folder, not a store")
    code, _, err = run_cli(capsys, "runs", "--store", str(tmp_path), "--config", str(tmp_path / "none.yaml"))
    assert code == 2
    assert err == (
        f"annexa: error: {tmp_path}: not an evidence store (no manifests/ or objects/ folder); "
        "check --store or `store:`\n"
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


def test_controls_lists_the_catalog(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(capsys, "controls", "--format", "json")
    assert code == 0 and len(json.loads(out)) == 93


def test_every_command_has_help_and_is_in_the_readme(capsys: pytest.CaptureFixture[str]) -> None:
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    for command in cli.COMMANDS:
        with pytest.raises(SystemExit) as info:
            cli.main([command.NAME, "--help"])
        assert info.value.code == 0
        assert command.HELP.split(";")[0] in capsys.readouterr().out
        assert f"annexa {command.NAME}" in readme, f"README does not document `annexa {command.NAME}`"


def test_help_lists_every_command_even_before_a_command_name(capsys: pytest.CaptureFixture[str]) -> None:
    """cli.py imports only the command being run; asked for help, it lists them all."""
    import re

    for argv in (["--help"], ["--help", "verify"]):
        with pytest.raises(SystemExit):
            cli.main(argv)
        out = capsys.readouterr().out
        assert [c.NAME for c in cli.COMMANDS if not re.search(rf"^    {c.NAME}\b", out, re.M)] == []


def test_every_exit_code_is_documented_in_help_and_readme(capsys: pytest.CaptureFixture[str]) -> None:
    import re

    with pytest.raises(SystemExit):
        cli.main(["--help"])
    help_text = capsys.readouterr().out
    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    for code in (0, 1, 2, 3, 4, 5, 70, 130, 143):
        assert re.search(rf"^  {code}\s+\S", help_text, re.M), code
        assert f"| `{code}` |" in readme, code
    assert set(cli.EXIT_CODES) == {0, 1, 2, 3, 4, 5, 70, 130, 143}


def test_check_warns_once_per_applicable_control_without_reasons(
    tmp_path: Path, fake_rules_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    scope = (
        "scope:\n  A.7.4: {applicable: false, justification: none}\n"
        "  A.8.24: {reasons: {contractual: DPA}}\n  A.8.13: {owner: CTO}\n"
    )
    path = _config(tmp_path, fake_rules_file, BUCKETS)
    path.write_text(path.read_text() + scope)
    code, out, err = run_cli(capsys, "check", "--config", str(path))
    assert code == 0 and out.startswith("ok: ")
    warnings = err.strip().splitlines()
    lacking = [w for w in warnings if "is applicable but has no `reasons:`" in w]
    assert len(lacking) == 91  # 93 controls, one excluded, one with reasons
    assert f"warning: {path}: A.8.13 is applicable but has no `reasons:`" in "\n".join(lacking)
    assert not any("A.8.24 " in w or "A.7.4 " in w for w in lacking)
    assert (
        warnings[-1]
        == f"warning: {path}: no `soa: {{version, approved_by, approved_at}}`: the SoA records no approval (6.1.3 f)"
    )
    assert len(warnings) == 92


def test_pack_refuses_a_name_that_is_not_a_zip(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_cli(
        capsys, "pack", "--from", "2026-01-01", "--to", "2026-01-31", "-o", str(tmp_path / "p.tar")
    )
    assert (code, out) == (2, "")
    assert (
        err
        == f"annexa: error: --output {tmp_path / 'p.tar'}: an audit pack is a zip file; give a name ending in .zip\n"
    )
    assert list(tmp_path.iterdir()) == []
