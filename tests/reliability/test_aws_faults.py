"""Fault injection between annexa and moto_server: for each fault the run finishes, retries
where retrying is right, records `error` where data is missing, never records `pass` for
data it did not see, and exits 1 when evidence is missing.

The same test writes docs/fault-behaviour.md (the table in the docs is its output):
ANNEXA_UPDATE_DOCS=1 regenerates it; otherwise the test fails when it is out of date.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import boto3
import pytest
from fakes.aws import credentials_env, subprocess_env
from fault_proxy import Fault, RequestInfo, fault_proxy

from annexa.demo.aws import seed

ANNEXA = str(Path(sys.executable).with_name("annexa"))
DOC = Path(__file__).resolve().parents[2] / "docs" / "fault-behaviour.md"
REGIONS = ("us-east-1", "eu-west-1")
# The first five collectors cover every API protocol (query, JSON, REST-XML) and paging; the rest
# share their client plumbing, and leaving them out keeps this test under a minute.
COLLECTORS = ("aws.iam", "aws.s3", "aws.kms", "aws.ec2", "aws.cloudtrail")
BULK_POLICIES = 250  # enough for three pages of iam:ListPolicies
CALL_TIMEOUT = 2  # seconds; the proxy hangs for longer than this
MAX_ATTEMPTS = 3  # fewer than the default 5, so persistent faults give up sooner


@dataclass(frozen=True)
class Scenario:
    name: str
    fault: str
    faults: tuple[Fault, ...]
    recovers: bool  # retries are expected to recover: results identical to the clean run
    missing_kinds: tuple[str, ...] = ()  # kinds whose evidence must show as error


def op(name: str) -> object:
    return lambda info: info.operation == name


def rest(method: str, marker: str) -> object:
    return lambda info: info.operation.startswith(f"{method} ") and marker in info.path


def region(name: str) -> object:
    return lambda info: info.region == name


def nth_call_on(name: str, n: int) -> object:
    """The n-th request for operation `name` and every one after it (so its retries fail too)."""
    calls: list[int] = []

    def match(info: RequestInfo) -> bool:
        if info.operation != name:
            return False
        calls.append(info.number)
        return len(calls) >= n

    return match


SCENARIOS = (
    Scenario(
        "throttling-burst",
        "2 × 400 ThrottlingException on kms:ListKeys",
        (Fault(op("ListKeys"), "status", 400, "ThrottlingException", times=2),),
        recovers=True,
    ),
    Scenario(
        "server-error-burst",
        "2 × 503 on iam:GetAccountSummary",
        (Fault(op("GetAccountSummary"), "status", 503, "ServiceUnavailable", times=2),),
        recovers=True,
    ),
    Scenario(
        "connection-reset-once",
        "1 connection reset on ec2:DescribeSecurityGroups",
        (Fault(op("DescribeSecurityGroups"), "reset", times=1),),
        recovers=True,
    ),
    Scenario(
        "timeout-once",
        f"1 kms:ListKeys hangs past the {CALL_TIMEOUT}s call timeout",
        (Fault(op("ListKeys"), "hang", times=1),),
        recovers=True,
    ),
    Scenario(
        "timeout-persistent",
        f"every cloudtrail:DescribeTrails hangs past the {CALL_TIMEOUT}s call timeout",
        (Fault(op("DescribeTrails"), "hang"),),
        recovers=False,
        missing_kinds=("aws.cloudtrail.trail", "aws.cloudtrail.account"),
    ),
    Scenario(
        "server-error-persistent",
        "500 on every s3:GetBucketVersioning",
        (Fault(rest("GET", "versioning"), "status", 500, "InternalError"),),
        recovers=False,
        missing_kinds=("aws.s3.bucket",),
    ),
    Scenario(
        "connection-reset-persistent",
        "every ec2:DescribeVolumes connection reset",
        (Fault(op("DescribeVolumes"), "reset"),),
        recovers=False,
        missing_kinds=("aws.ec2.volume",),
    ),
    Scenario(
        "truncated-json",
        "kms:DescribeKey body cut in half",
        (Fault(op("DescribeKey"), "truncate"),),
        recovers=False,
        missing_kinds=("aws.kms.key",),
    ),
    Scenario(
        "malformed-xml",
        "iam:GetAccountPasswordPolicy body garbled",
        (Fault(op("GetAccountPasswordPolicy"), "garble"),),
        recovers=False,
        missing_kinds=("aws.iam.password_policy",),
    ),
    Scenario(
        "pagination-fails-page-3",
        "iam:ListPolicies fails from page 3 on (250 policies)",
        (Fault(nth_call_on("ListPolicies", 3), "status", 500, "InternalError"),),
        recovers=False,
        missing_kinds=("aws.iam.policy",),
    ),
    Scenario(
        "access-denied-one-region",
        "403 AccessDenied for every eu-west-1 call",
        (Fault(region("eu-west-1"), "status", 403, "AccessDenied"),),
        recovers=False,
        missing_kinds=("aws.ec2.security_group", "aws.ec2.volume", "aws.kms.key"),
    ),
    Scenario(
        "credentials-expire-mid-run",
        "403 ExpiredToken for every call after the identity check",
        (Fault(lambda info: info.operation != "GetCallerIdentity", "status", 403, "ExpiredToken"),),
        recovers=False,
        missing_kinds=("aws.iam.user", "aws.s3.bucket", "aws.kms.key", "aws.ec2.volume"),
    ),
)


@pytest.fixture(scope="module")
def upstream(moto_endpoint: str) -> str:
    """One seeded account for every scenario: collection is read-only, so it never changes."""
    _seed(moto_endpoint, BULK_POLICIES)
    return moto_endpoint


def _seed(upstream: str, extra_policies: int) -> None:
    session = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name=REGIONS[0])
    os.environ["AWS_ENDPOINT_URL"] = upstream
    try:
        seed(session, REGIONS[0])
        iam = session.client("iam")
        for number in range(extra_policies):
            iam.create_policy(
                PolicyName=f"bulk-{number:03d}",
                PolicyDocument=json.dumps(
                    {
                        "Version": "2012-10-17",
                        "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}],
                    }
                ),
            )
    finally:
        del os.environ["AWS_ENDPOINT_URL"]


def _collect(upstream: str, faults: tuple[Fault, ...], workdir: Path) -> tuple[int, dict[tuple[str, str], str], str]:
    """Collect through a proxy of its own (scenarios run in parallel) and read the findings back."""
    with fault_proxy(upstream) as proxy:
        proxy.hang_seconds = CALL_TIMEOUT * 2
        proxy.reset(list(faults))
        env = subprocess_env(credentials_env(proxy.url))
        workdir.mkdir(parents=True, exist_ok=True)
        (workdir / "annexa.yaml").write_text(
            "store: ./evidence\ntargets:\n"
            f"  - aws: {{regions: [{', '.join(REGIONS)}], call_timeout: {CALL_TIMEOUT}, "
            f"max_attempts: {MAX_ATTEMPTS}, collectors: [{', '.join(COLLECTORS)}]}}\n"
        )
        collect = subprocess.run([ANNEXA, "collect"], cwd=workdir, env=env, capture_output=True, text=True, timeout=600)
        findings = subprocess.run(
            [ANNEXA, "findings", "--format", "json"], cwd=workdir, env=env, capture_output=True, text=True, timeout=120
        )
    assert "Traceback" not in collect.stderr, collect.stderr[-3000:]
    assert findings.returncode == 0, findings.stderr
    return collect.returncode, {(f["rule"], f["resource"]): f for f in json.loads(findings.stdout)}, collect.stderr


def _behaviour(scenario: Scenario, results: dict, baseline: dict) -> str:
    if scenario.recovers:
        attempts = sum(f.hits for f in scenario.faults) + 1
        return f"retried ({attempts} attempts in all); every result identical to a clean run"
    errors = [f for f in results.values() if f["status"] == "error"]
    kinds = sorted({f["kind"] for f in errors})
    lost = sum(
        1 for key, f in baseline.items() if f["status"] == "pass" and results.get(key, {}).get("status") != "pass"
    )
    return (
        f"bundle written, marked partial; {len(errors)} results `error` over {', '.join(kinds)}; "
        f"{lost} passes of the clean run not claimed; no `pass` for unseen data"
    )


def _check(scenario: Scenario, code: int, results: dict, stderr: str, baseline: dict) -> str:
    assert any(f.hits for f in scenario.faults), f"{scenario.name}: the fault never fired"
    for key, finding in results.items():
        if finding["status"] == "pass":
            assert baseline.get(key, {}).get("status") == "pass", f"{scenario.name}: pass without evidence {key}"
    if scenario.recovers:
        assert code == 0, f"{scenario.name}: {stderr[-2000:]}"
        assert {k: f["status"] for k, f in results.items()} == {k: f["status"] for k, f in baseline.items()}
    else:
        assert code == 1, f"{scenario.name}: exit {code}: {stderr[-2000:]}"
        error_kinds = {f["kind"] for f in results.values() if f["status"] == "error"}
        assert set(scenario.missing_kinds) <= error_kinds, (scenario.name, error_kinds)
    return f"| {scenario.name} | {scenario.fault} | {code} | {_behaviour(scenario, results, baseline)} |"


def test_faults_never_turn_into_passes(upstream: str, tmp_path: Path) -> None:
    code, baseline, stderr = _collect(upstream, (), tmp_path / "baseline")
    assert code == 0, stderr[-2000:]
    with ThreadPoolExecutor(max_workers=4) as pool:
        runs = list(
            pool.map(
                lambda n: _collect(upstream, SCENARIOS[n].faults, tmp_path / SCENARIOS[n].name), range(len(SCENARIOS))
            )
        )
    rows = [_check(scenario, *run, baseline) for scenario, run in zip(SCENARIOS, runs, strict=True)]

    table = "\n".join(
        [
            "# Behaviour under faults",
            "",
            "Produced by `tests/reliability/test_aws_faults.py`: annexa collects a seeded moto_server account "
            "(two regions) through a fault-injecting proxy on 127.0.0.1. Regenerate with "
            "`ANNEXA_UPDATE_DOCS=1 make test`.",
            "",
            "| scenario | fault | exit code | observed behaviour |",
            "|---|---|---|---|",
            *rows,
            "",
        ]
    )
    if os.environ.get("ANNEXA_UPDATE_DOCS"):
        DOC.parent.mkdir(exist_ok=True)
        DOC.write_text(table)
    assert DOC.exists() and DOC.read_text() == table, "docs/fault-behaviour.md is out of date (ANNEXA_UPDATE_DOCS=1)"
