"""`annexa import prowler`: Prowler's JSON-OCSF output becomes imported evidence in a normal bundle."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from prowler_sample import SAMPLE, prowler_finding, write_sample

from annexa import cli


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(["--log-format", "json", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_prowler_import_evaluates_and_shows_its_source_in_the_soa(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sample = write_sample(tmp_path / "prowler-output-123456789012.ocsf.json")
    store = str(tmp_path / "evidence")
    code, out, err = _run(capsys, "import", "prowler", str(sample), "--store", store)
    assert code == 0, err
    assert "imported 4 prowler results" in out

    code, out, _ = _run(capsys, "findings", "--store", store, "--format", "json")
    findings = {f["resource"].split("-")[-1]: f for f in json.loads(out)}
    assert {f["rule"] for f in findings.values()} == {"import.prowler.check"}
    assert (findings["logs"]["status"], findings["logs"]["controls"]) == ("pass", ["A.8.24"])
    assert findings["exports"]["status"] == "fail"
    assert findings["root"]["controls"] == ["A.5.15", "A.5.17"]  # Prowler's ISO27001-2022 ids for the check
    assert "account" not in findings  # MANUAL is no evidence either way
    assert all(f["kind"] == "import.prowler.finding" for f in findings.values())
    assert findings["logs"]["collected_at"] == "2026-09-21T14:13:20Z"  # Prowler's scan time, not the import's

    code, out, _ = _run(capsys, "soa", "--store", store, "--format", "json")
    soa = {row["control"]: row for row in json.loads(out)}
    assert soa["A.8.24"]["evidence_sources"] == ["import:prowler"]
    assert soa["A.8.24"]["status"] in ("partial", "stale")  # stale once the sample's scan time is > 7 days old
    assert soa["A.5.5"]["status"] == "no_evidence" and soa["A.5.5"]["evidence_sources"] == []
    code, out, _ = _run(capsys, "soa", "--store", store, "--format", "csv")
    assert "import:prowler" in out


def test_imported_facts_record_tool_version_and_file_hash(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from annexa.evidence_store.store import open_store

    sample = write_sample(tmp_path / "prowler.json")
    store_dir = tmp_path / "evidence"
    assert _run(capsys, "import", "prowler", str(sample), "--store", str(store_dir))[0] == 0
    store = open_store(str(store_dir))
    facts = list(store.facts(store.resolve("latest")))
    assert len(facts) == len(SAMPLE)
    digest = hashlib.sha256(sample.read_bytes()).hexdigest()
    for fact in facts:
        assert fact.source.imported == {"tool": "prowler", "version": "5.4.0", "file": "prowler.json", "sha256": digest}
        assert fact.scope == {
            "provider": "import",
            "tool": "prowler",
            "cloud": "aws",
            "account": "123456789012",
            "region": "eu-west-1",
        }
    manifest = store.manifest(1)
    assert manifest["config"] and manifest["collectors"][0]["collector"] == "import.prowler"


def _finding_without(key: str) -> dict:
    finding = prowler_finding("s3_bucket_default_encryption", "logs", "PASS", ["A.8.24"])
    parent, _, leaf = key.rpartition(".")
    node = finding
    for part in filter(None, parent.split(".")):
        node = node[part]
    del node[leaf]
    return finding


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        ('{"findings": []}', ":1: expected a JSON array of findings"),
        ("[\n" + json.dumps(SAMPLE[0]) + ',\n  {"status_code": ', ":3: not valid JSON"),  # truncated
        (json.dumps([{"metadata": {"product": {"name": "Trivy"}}}]), ":1: not a Prowler finding"),
        ("[\n" + json.dumps(_finding_without("finding_info.uid")) + "]", ":2: finding is missing finding_info.uid"),
        (
            "[" + json.dumps(_finding_without("time")).replace('"time_dt": "2026', '"time_dt": "later') + "]",
            "scan time",
        ),
        ("", ":1: the file is empty"),
    ],
)
def test_bad_prowler_files_exit_2_with_one_line_and_write_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str, needle: str
) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(content)
    store = tmp_path / "evidence"
    code, out, err = _run(capsys, "import", "prowler", str(bad), "--store", str(store))
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and str(bad) in err and needle in err, err
    assert not (store / "manifests").exists() or not any((store / "manifests").iterdir())


def test_generic_mapping_given_to_a_prowler_import_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = _run(
        capsys,
        "import",
        "prowler",
        str(write_sample(tmp_path / "p.json")),
        "--mapping",
        "m.yaml",
        "--store",
        str(tmp_path / "s"),
    )
    assert code == 2 and "--mapping" in err


def test_an_import_target_in_the_config_joins_the_nightly_collection(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sample = write_sample(tmp_path / "prowler.json")
    config = tmp_path / "annexa.yaml"
    config.write_text(f"store: ./evidence\ntargets:\n  - import: {{prowler: {sample}}}\n")
    code, out, err = _run(capsys, "collect", "--config", str(config))
    assert code == 0, err
    sample.write_text("[{")  # the next night the file is broken: error evidence, never a pass
    code, out, err = _run(capsys, "collect", "--config", str(config))
    assert code == 1 and "partial" in out and "BadImportFile" in err
    code, out, _ = _run(capsys, "soa", "--config", str(config), "--format", "json")
    assert {row["control"]: row["status"] for row in json.loads(out)}["A.8.24"] == "error"
