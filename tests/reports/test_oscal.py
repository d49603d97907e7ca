"""`annexa export oscal` validates against NIST's OSCAL 1.2.1 assessment-results schema and is reproducible."""

from __future__ import annotations

import hashlib
import json
import re
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from fakes import run_cli
from prowler_sample import prowler_finding, write_sample

from annexa.evidence_store.store import Store
from annexa.mappings.catalog import load_catalog
from annexa.reports.oscal import OSCAL_VERSION, assessment_results, assessment_results_chunks

SCHEMA = Path(__file__).resolve().parent.parent / "data" / "oscal" / "oscal_assessment-results_schema.json"
# NIST's OSCAL v1.2.1 release asset, unmodified (tests/data/oscal/README.md says where it comes from).
SCHEMA_SHA256 = "4f9e277a177adbcca9527612ce450a33dc6096773fa229d413d801d196c61985"


def _python_patterns(node: Any) -> Any:
    """The schema with `\\p{L}`/`\\p{N}` (which Python's re lacks) rewritten to re's Unicode classes."""
    if isinstance(node, dict):
        # `pattern` is also a property name in 1.2 (include-controls' glob): only string values are regexes.
        return {
            k: (_translate(v) if k == "pattern" and isinstance(v, str) else _python_patterns(v))
            for k, v in node.items()
        }
    if isinstance(node, list):
        return [_python_patterns(v) for v in node]
    return node


def _translate(pattern: str) -> str:
    return pattern.replace("\\p{L}", "[^\\W\\d_]").replace("\\p{N}", "\\d")


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft7Validator:
    schema = _python_patterns(json.loads(SCHEMA.read_text()))
    jsonschema.Draft7Validator.check_schema(schema)
    return jsonschema.Draft7Validator(schema, format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER)


pytestmark = pytest.mark.usefixtures("fake_collector_installed")


def test_the_vendored_schema_is_nists_release_and_the_export_claims_its_version() -> None:
    assert hashlib.sha256(SCHEMA.read_bytes()).hexdigest() == SCHEMA_SHA256
    assert (
        json.loads(SCHEMA.read_text())["$id"] == f"http://csrc.nist.gov/ns/oscal/{OSCAL_VERSION}/oscal-ar-schema.json"
    )
    assert OSCAL_VERSION == "1.2.1"


def test_a_history_with_hostile_resource_names_exports_valid_oscal(
    signed_store: Store, validator: jsonschema.Draft7Validator
) -> None:
    for run in signed_store.runs():
        document = assessment_results(signed_store, run, load_catalog())
        errors = sorted(validator.iter_errors(document), key=lambda e: list(e.path))
        assert [f"{list(e.path)}: {e.message}" for e in errors[:3]] == []
        (result,) = document["assessment-results"]["results"]
        remarks = {o["props"][0]["value"]: o.get("remarks") for o in result["observations"]}
        assert remarks["fake.bucket-encrypted"] == "27002:2022 8.24 asks that cryptography protect stored information."
        assert remarks["fake.bucket-versioned"] is None  # a rule without rationale adds no remarks
        titles = {o["subjects"][0]["title"] for o in result["observations"] if "subjects" in o}
        assert {"<script>alert(1)</script>", "=cmd|' /C calc'!A0", "../../etc/passwd"} <= titles


@pytest.fixture
def config(tmp_path: Path, fake_rules_file: Path, capsys: pytest.CaptureFixture[str]) -> str:
    scanned = int(time.time()) - 3600  # an hour ago: fresh evidence
    sample = write_sample(
        tmp_path / "prowler.json",
        [
            prowler_finding("s3_bucket_default_encryption", "logs", "PASS", ["A.8.24"], time=scanned),
            prowler_finding("s3_bucket_default_encryption", "exports", "FAIL", ["A.8.24"], time=scanned),
        ],
    )
    path = tmp_path / "annexa.yaml"
    path.write_text(
        f"store: ./evidence\nmappings: [{fake_rules_file}]\n"
        "scope:\n  A.7.4: {applicable: false, justification: Fully remote}\n  A.8.13: {max_age: 2d}\n"
        "targets:\n"
        "  - fake: {buckets: {good: {encrypted: true, versioning: Enabled}, bad: {encrypted: false}}}\n"
        f"  - import: {{prowler: {sample}}}\n"
    )
    code, _, err = run_cli(capsys, "collect", "--config", str(path))
    assert code == 0, err
    return str(path)


def test_oscal_export_validates_against_the_official_schema(
    config: str, validator: jsonschema.Draft7Validator, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run_cli(capsys, "export", "oscal", "--config", config)
    assert code == 0, err
    document = json.loads(out)
    errors = sorted(validator.iter_errors(document), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors[:5])
    broken = json.loads(out)
    del broken["assessment-results"]["results"][0]["observations"][0]["methods"]
    assert any("'methods' is a required property" in e.message for e in validator.iter_errors(broken))

    (result,) = document["assessment-results"]["results"]
    selection = result["reviewed-controls"]["control-selections"][0]
    assert len(selection["include-controls"]) == 92 and selection["exclude-controls"] == [{"control-id": "A.7.4"}]
    findings = {f["target"]["target-id"]: f for f in result["findings"]}
    props = {f: {p["name"]: p["value"] for p in findings[f]["props"]} for f in findings}
    # A.8.24: the fake bucket rule fails on one bucket and Prowler reports one FAIL: partial -> not-satisfied
    assert props["A.8.24"]["annexa-status"] == "partial"
    assert findings["A.8.24"]["target"]["status"]["state"] == "not-satisfied"
    assert props["A.5.1"]["annexa-status"] == "no_evidence"
    assert findings["A.5.1"]["target"]["status"]["state"] == "not-satisfied"

    observations = {o["uuid"]: o for o in result["observations"]}
    linked = [observations[r["observation-uuid"]] for r in findings["A.8.24"]["related-observations"]]
    assert {o["props"][4]["value"] for o in linked} == {"fake", "import:prowler"}  # evidence-source
    imported = next(o for o in linked if o["props"][4]["value"] == "import:prowler")
    collected = datetime.fromisoformat(imported["collected"].replace("Z", "+00:00"))
    assert imported["expires"] == (collected + timedelta(days=7)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert imported["origins"][0]["actors"][0]["type"] == "tool"
    evidence = imported["relevant-evidence"][0]
    assert re.fullmatch(r"objects/([0-9a-f]{2})/\1[0-9a-f]{62}", evidence["href"])
    store = Path(config).parent / "evidence"
    assert (store / evidence["href"]).is_file()  # the link resolves inside the store
    versioned = next(o for o in observations.values() if any(p["value"] == "fake.bucket-versioned" for p in o["props"]))
    assert versioned["expires"][:10] > versioned["collected"][:10]  # A.8.13's max_age: 2d is the strictest


def test_oscal_export_is_reproducible(config: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    first, second = tmp_path / "a.json", tmp_path / "b.json"
    assert run_cli(capsys, "export", "oscal", "--config", config, "-o", str(first))[0] == 0
    assert run_cli(capsys, "export", "oscal", "--config", config, "--run", "latest", "-o", str(second))[0] == 0
    assert first.read_bytes() == second.read_bytes()


OCSF_REQUIRED = (
    # base_event and finding: required attributes; compliance_finding adds `compliance`
    "activity_id",
    "category_uid",
    "class_uid",
    "metadata",
    "severity_id",
    "time",
    "type_uid",
    "finding_info",
    "compliance",
)


def test_ocsf_export_has_the_required_fields_of_compliance_finding(
    config: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run_cli(capsys, "export", "ocsf", "--config", config)
    assert code == 0, err
    events = [json.loads(line) for line in out.splitlines()]
    assert events
    for event in events:
        assert all(key in event for key in OCSF_REQUIRED)
        assert (event["class_uid"], event["category_uid"], event["type_uid"]) == (2003, 2, 200301)
        assert event["metadata"]["version"] and event["metadata"]["product"]["vendor_name"] == "annexa"
        assert event["finding_info"]["uid"] and event["finding_info"]["title"]
        assert event["compliance"]["standards"] == ["ISO/IEC 27001:2022"]
        assert all(re.fullmatch(r"A\.[5-8]\.\d+", c) for c in event["compliance"]["requirements"])
        assert isinstance(event["time"], int)
    by_status = {(e["compliance"]["control"], e["resources"][0]["uid"]): e["compliance"]["status_id"] for e in events}
    assert by_status[("fake.bucket-encrypted", "arn:fake:bucket/bad")] == 3
    assert by_status[("fake.bucket-encrypted", "arn:fake:bucket/good")] == 1
    assert len({e["finding_info"]["uid"] for e in events}) == len(events)


def test_the_streamed_text_is_the_documents_own_indented_dump(signed_store: Store) -> None:
    """Written in pieces (spill files, Streamed arrays), the text is what json.dumps(indent=2) of
    the whole document would be: each array of the document streamed somewhere inside it."""
    for run in signed_store.runs():
        text = "".join(assessment_results_chunks(signed_store, run, load_catalog()))
        (result,) = json.loads(text)["assessment-results"]["results"]
        assert {"observations", "findings", "local-definitions"} <= set(result)
        assert any("related-observations" in finding for finding in result["findings"])
        assert text == json.dumps(json.loads(text), indent=2, ensure_ascii=False) + "\n"
