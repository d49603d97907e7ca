"""The AWS collectors' evidence on the demo account, against golden files (tests/golden.py says
why and how to regenerate them; the Organization's is in test_accounts.py).

Besides the clean collection, every operation a collector calls is made to fail once (its first
call: a listing's first page, or the first item's detail), so the errors each failure becomes,
and the facts that still arrive, are pinned for every API call the collectors make.
"""

from __future__ import annotations

from typing import Any

import boto3
import botocore.client
import pytest
from botocore.exceptions import ClientError
from fakes.aws import (
    DEMO_COLLECTORS,
    REGION,
    ApiCalls,
    Collected,
    collect,
    instance,
)
from golden import assert_matches_golden, evidence, identities, results_of

from annexa.collectors.base import Collector, Target

DEMO = Target(provider="aws", options={"regions": [REGION]}, index=0)
AUDIT_BUCKET = "annexa-demo-audit-logs"


def _kinds(collectors: tuple[type[Collector], ...]) -> set[str]:
    return {kind for collector in collectors for kind in collector.kinds}


def _evidence(collected: Collected, collectors: tuple[type[Collector], ...]) -> dict[str, list[str]]:
    results = results_of(collected.facts, collected.errors, _kinds(collectors))
    return evidence(collected.facts, collected.errors, results)


def test_demo_account_evidence_is_unchanged(demo_account: object) -> None:
    scenarios = {"demo": _evidence(collect([instance(c) for c in DEMO_COLLECTORS], DEMO), DEMO_COLLECTORS)}
    s3 = tuple(c for c in DEMO_COLLECTORS if c.name == "aws.s3")
    real = botocore.client.BaseClient._make_api_call

    def deny_encryption(client: Any, name: str, params: dict[str, Any]) -> Any:
        if name == "GetBucketEncryption":
            raise ClientError({"Error": {"Code": "AccessDenied", "Message": "not authorised"}}, name)
        return real(client, name, params)

    with pytest.MonkeyPatch.context() as mp:  # tests/e2e/test_access_denied.py
        mp.setattr(botocore.client.BaseClient, "_make_api_call", deny_encryption)
        scenarios["bucket encryption denied"] = _evidence(collect([instance(c) for c in s3], DEMO), s3)

    client = boto3.client("s3", region_name=REGION)  # tests/e2e/test_nightly_e2e.py
    rules = client.get_bucket_encryption(Bucket=AUDIT_BUCKET)["ServerSideEncryptionConfiguration"]
    client.delete_bucket_encryption(Bucket=AUDIT_BUCKET)
    try:
        scenarios["bucket encryption removed"] = _evidence(collect([instance(c) for c in s3], DEMO), s3)
    finally:
        client.put_bucket_encryption(Bucket=AUDIT_BUCKET, ServerSideEncryptionConfiguration=rules)
    assert_matches_golden("aws-demo", scenarios)


def test_every_operation_failing_once_is_unchanged(demo_account: object) -> None:
    scenarios: dict[str, dict[str, list[str]]] = {}
    for collector in DEMO_COLLECTORS:
        with ApiCalls().installed() as calls:
            collect([instance(collector)], DEMO)
            for operation in dict.fromkeys(calls.made):
                if operation == "sts:GetCallerIdentity":  # the target's identity: every collector's, tested once
                    continue
                calls.fail_first(operation)
                collected = collect([instance(collector)], DEMO)
                results = results_of(collected.facts, collected.errors, set(collector.kinds))
                scenarios[f"{collector.name} {operation}"] = identities(collected.facts, collected.errors, results)
    assert_matches_golden("aws-first-call-fails", scenarios)
