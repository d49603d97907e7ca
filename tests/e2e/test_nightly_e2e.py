"""The nightly loop end to end over real HTTP: moto_server on 127.0.0.1, the real `annexa`
command as a subprocess: collect, break a setting, collect, drift (exit 3), fix, drift (exit 0);
an alert reaches a local webhook; two collects at once on one store: exactly one runs."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import boto3
import pytest
from servers import webhook_receiver

from annexa.collectors.registry import load_registry
from annexa.demo.aws import MOTO_UNSUPPORTED, seed

ANNEXA = str(Path(sys.executable).with_name("annexa"))
REGION = "us-east-1"
BUCKET = "annexa-demo-audit-logs"  # seeded with AES256 default encryption


@pytest.fixture
def aws(aws_cli_env: dict[str, str]) -> tuple[dict[str, str], boto3.Session]:
    session = boto3.Session(region_name=REGION)
    seed(session, REGION)
    return aws_cli_env, session


def _verify_chain(store: Path) -> list[int]:
    """What `annexa verify` checks of the chain: contiguous slots, each naming its predecessor's sha256."""
    manifests = sorted((store / "manifests").glob("*.json"))
    sequences = [int(p.stem) for p in manifests]
    assert sequences == list(range(1, len(manifests) + 1))
    for earlier, later in zip(manifests, manifests[1:], strict=False):
        assert json.loads(later.read_bytes())["previous"]["sha256"] == hashlib.sha256(earlier.read_bytes()).hexdigest()
    for obj in (store / "objects").rglob("*"):
        if obj.is_file():
            assert hashlib.sha256(obj.read_bytes()).hexdigest() == obj.name
    return sequences


def test_drift_names_the_regression_and_then_the_fix(
    aws: tuple[dict[str, str], boto3.Session], run_annexa, tmp_path: Path
) -> None:
    env, session = aws
    s3 = session.client("s3")
    with webhook_receiver("ok") as (hook, received):
        (tmp_path / "annexa.yaml").write_text(
            f"store: ./evidence\ntargets:\n  - aws: {{regions: [{REGION}], collectors: [aws.s3]}}\n"
            f"notify:\n  when: regressions\n  timeout: 5s\n  webhooks:\n    - {{format: json, url: '{hook}'}}\n"
        )
        assert run_annexa(env, tmp_path, "collect").returncode == 0

        s3.delete_bucket_encryption(Bucket=BUCKET)
        collect = run_annexa(env, tmp_path, "collect")
        assert collect.returncode == 0, collect.stderr[-2000:]
        (alert,) = received  # the alert went out with the run
        assert any(r["rule"] == "aws.s3.bucket-encryption" and r["change"] == "regressed" for r in alert["results"])

    drift = run_annexa(env, tmp_path, "drift", "--format", "json")
    assert drift.returncode == 3, drift.stderr
    report = json.loads(drift.stdout)
    resource = f"arn:aws:s3:::{BUCKET}"
    regressed = [(r["rule"], r["resource"]) for r in report["results"] if r["regression"]]
    assert regressed == [("aws.s3.bucket-encryption", resource)]  # exactly that regression
    (fact,) = [f for f in report["facts"] if f["resource"] == resource]
    (field,) = fact["fields"]
    assert (field["op"], field["path"], field["new"]) == ("replace", "/data/encryption_rules", None)
    assert field["old"][0]["ApplyServerSideEncryptionByDefault"] == {"SSEAlgorithm": "AES256"}
    table = run_annexa(env, tmp_path, "drift")
    assert (
        table.returncode == 3
        and "aws.s3.bucket-encryption" in table.stdout
        and "/data/encryption_rules" in table.stdout
    )

    s3.put_bucket_encryption(
        Bucket=BUCKET,
        ServerSideEncryptionConfiguration={
            "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]
        },
    )
    assert run_annexa(env, tmp_path, "collect").returncode == 0
    fixed = run_annexa(env, tmp_path, "drift", "--format", "json")
    assert fixed.returncode == 0, fixed.stdout
    changes = [(r["rule"], r["resource"], r["change"]) for r in json.loads(fixed.stdout)["results"]]
    assert changes == [("aws.s3.bucket-encryption", resource, "fixed")]
    assert _verify_chain(tmp_path / "evidence") == [1, 2, 3]


def test_two_collects_at_once_exactly_one_runs(aws: tuple[dict[str, str], boto3.Session], tmp_path: Path) -> None:
    env, _ = aws
    # Every collector moto can serve (aws.ssm's API is not modelled: it would only add errors).
    modelled = ", ".join(c.name for c in load_registry().for_provider("aws") if c.name not in MOTO_UNSUPPORTED)
    (tmp_path / "annexa.yaml").write_text(
        f"store: ./evidence\ntargets:\n  - aws: {{regions: [{REGION}], collectors: [{modelled}]}}\n"
    )
    racers = [
        subprocess.Popen(
            [ANNEXA, "collect"], cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for _ in range(2)
    ]
    outcomes = [(p.wait(timeout=300), p.stderr.read() if p.stderr else "") for p in racers]
    codes = sorted(code for code, _ in outcomes)
    assert codes == [0, 2], outcomes
    (refusal,) = [err for code, err in outcomes if code == 2]
    assert "another collection is running on this store: pid" in refusal and "this run was not started" in refusal
    assert len(refusal.strip().splitlines()) == 1  # one clear line, no traceback
    assert _verify_chain(tmp_path / "evidence") == [1]
