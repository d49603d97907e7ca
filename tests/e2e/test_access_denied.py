"""A denied API call is evidence: its rules are `error`, the bundle is written, `collect` exits 1."""

from __future__ import annotations

import json
from pathlib import Path

import boto3
import botocore.client
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from annexa import cli
from annexa.collectors.registry import load_registry
from annexa.demo.aws import MOTO_UNSUPPORTED, seed

DENIED = "GetBucketEncryption"


@pytest.fixture
def seeded_account(fake_aws_credentials: None, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    with mock_aws():
        expectations = seed(boto3.Session(region_name="us-east-1"))
        real = botocore.client.BaseClient._make_api_call

        def deny_one_operation(self, operation_name, api_params):  # type: ignore[no-untyped-def]
            if operation_name == DENIED:
                raise ClientError({"Error": {"Code": "AccessDenied", "Message": "not authorised"}}, operation_name)
            return real(self, operation_name, api_params)

        monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", deny_one_operation)
        yield expectations


def test_access_denied_becomes_error_evidence(
    seeded_account,
    tmp_path: Path,  # type: ignore[no-untyped-def]
    capsys: pytest.CaptureFixture[str],
) -> None:
    config = tmp_path / "annexa.yaml"
    modelled = ", ".join(c.name for c in load_registry().for_provider("aws") if c.name not in MOTO_UNSUPPORTED)
    config.write_text(f"store: ./evidence\ntargets:\n  - aws: {{regions: [us-east-1], collectors: [{modelled}]}}\n")
    assert cli.main(["--log-format", "json", "collect", "--config", str(config)]) == 1
    out, err = capsys.readouterr()
    assert "partial" in out and '"code": "AccessDenied"' in err
    assert len(list((tmp_path / "evidence/manifests").glob("*.json"))) == 1

    assert cli.main(["findings", "--config", str(config), "--format", "json"]) == 0
    findings = json.loads(capsys.readouterr().out)
    bucket_rules = {f["rule"] for f in findings if f["kind"] == "aws.s3.bucket"}
    assert bucket_rules
    # the trail rules that read the trail's bucket (a join on aws.s3.bucket) cannot be judged either
    joins_buckets = {"aws.cloudtrail.trail-bucket-object-lock", "aws.cloudtrail.trail-bucket-expires-logs"}
    for finding in findings:
        if finding["kind"] == "aws.s3.bucket":
            assert finding["status"] == "error", finding
            assert "AccessDenied" in finding["message"]
        elif finding["rule"] in joins_buckets:
            assert finding["status"] == "error", finding
            assert finding["message"] == "aws.s3.bucket could not be collected, so this cannot be checked against it"
        else:
            assert finding["status"] != "error", finding  # other kinds are unaffected
    assert {f["rule"] for f in findings if f["rule"] in joins_buckets} == joins_buckets

    assert cli.main(["soa", "--config", str(config), "--format", "json"]) == 0
    rows = {c["control"]: c for c in json.loads(capsys.readouterr().out)}
    soa = {control: row["status"] for control, row in rows.items()}
    # encryption evidence missing: never `implemented`; the account's known encryption failures decide
    # (a fresh failure is never hidden behind `error`), and the unreadable buckets count as errors
    assert soa["A.8.24"] == "partial" and rows["A.8.24"]["results"]["error"] >= 1
    assert rows["A.8.24"]["results"]["fail"] >= 1
