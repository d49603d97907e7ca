"""End to end over real HTTP: moto_server on 127.0.0.1, seeded over HTTP, the real
`annexa collect` as a subprocess with AWS_ENDPOINT_URL, read back via `annexa findings`."""

from __future__ import annotations

import json
from pathlib import Path

import boto3

from annexa.collectors.registry import load_registry
from annexa.demo.aws import MOTO_UNSUPPORTED, Expectation, seed

REGION = "us-east-1"


def test_seeded_account_end_to_end(aws_cli_env: dict[str, str], run_annexa, tmp_path: Path) -> None:
    expectations: list[Expectation] = seed(boto3.Session(region_name=REGION), REGION)
    assert len(expectations) > 20
    modelled = ", ".join(c.name for c in load_registry().for_provider("aws") if c.name not in MOTO_UNSUPPORTED)
    (tmp_path / "annexa.yaml").write_text(
        f"store: ./evidence\ntargets:\n  - aws: {{regions: [{REGION}], collectors: [{modelled}]}}\n"
    )

    collect = run_annexa(aws_cli_env, tmp_path, "collect")
    assert collect.returncode == 0, collect.stderr[-3000:]
    logs = [json.loads(line) for line in collect.stderr.splitlines() if line.startswith("{")]
    assert any(line["event"] == "run_finished" for line in logs)

    findings = run_annexa(aws_cli_env, tmp_path, "findings", "--format", "json")
    assert findings.returncode == 0, findings.stderr
    results = {(f["rule"], f["resource"]): f for f in json.loads(findings.stdout)}
    mismatches = [
        (e.rule, e.resource, e.status, results.get((e.rule, e.resource), {}).get("status"))
        for e in expectations
        if results.get((e.rule, e.resource), {}).get("status") != e.status
    ]
    assert not mismatches, mismatches
    assert not [f for f in results.values() if f["status"] == "error"]
    # every finding names controls, and fails carry remediation for the security team
    for finding in results.values():
        assert finding["controls"] and all(c.startswith("A.") for c in finding["controls"])
        if finding["status"] == "fail":
            assert finding["remediation"]

    soa = run_annexa(aws_cli_env, tmp_path, "soa", "--format", "json")
    statuses = {item["control"]: item["status"] for item in json.loads(soa.stdout)}
    assert statuses["A.8.24"] in ("partial", "not_implemented")

    # secrets seeded into the account never reach the store
    blob = b"".join(p.read_bytes() for p in (tmp_path / "evidence").rglob("*") if p.is_file() and "objects" in p.parts)
    for secret in (b"Demo-Passw0rd-alice", b"Demo-Passw0rd-bob"):
        assert secret not in blob
