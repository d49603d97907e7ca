"""Collectors whose APIs moto does not model, tested with botocore's Stubber.

moto implements neither ssm:ListResourceComplianceSummaries nor CloudFormation's
DriftInformation, so these tests stub the AWS answers (shapes from the botocore models,
which Stubber validates) and check the facts and the rules' verdicts.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import boto3
import pytest
from botocore.stub import Stubber

import annexa
from annexa.collectors.aws.cloudformation import CloudFormationCollector
from annexa.collectors.aws.session import AwsAccount
from annexa.collectors.aws.ssm import SsmCollector
from annexa.collectors.registry import load_registry
from annexa.mappings.catalog import load_catalog
from annexa.mappings.evaluate import evaluate
from annexa.mappings.rules import load_rules
from annexa.model import Fact

REGION = "eu-west-1"
ACCOUNT = "111122223333"
PRINCIPAL = f"arn:aws:sts::{ACCOUNT}:assumed-role/annexa-audit/annexa"
NOW = datetime.now(timezone.utc)


def _account(service: str) -> tuple[AwsAccount, Stubber]:
    session = boto3.Session(aws_access_key_id="x", aws_secret_access_key="x", region_name=REGION)
    account = AwsAccount(session=session, account_id=ACCOUNT, principal=PRINCIPAL, regions=(REGION,))
    client = account.client(service, REGION)
    stubber = Stubber(client)
    stubber.activate()
    return account, stubber


def _verdicts(facts: list[Fact]) -> dict[tuple[str, str], str]:
    registry = load_registry()
    rules = load_rules(
        [Path(annexa.__file__).parent / "mappings/rules/aws.yaml"], registry.kinds(), set(load_catalog().ids())
    )
    return {(r.rule, r.resource): r.status for r in evaluate(facts, [], rules, NOW, registry.kinds())}


def test_ssm_patch_compliance_per_managed_instance():
    account, stubber = _account("ssm")
    summary = {
        "ComplianceType": "Patch",
        "ResourceType": "ManagedInstance",
        "ExecutionSummary": {"ExecutionTime": NOW - timedelta(days=1)},
    }
    stubber.add_response(
        "list_resource_compliance_summaries",
        {
            "ResourceComplianceSummaryItems": [
                {**summary, "ResourceId": "i-0good", "Status": "COMPLIANT", "CompliantSummary": {"CompliantCount": 40}},
                {
                    **summary,
                    "ResourceId": "i-0stale",
                    "Status": "NON_COMPLIANT",
                    "NonCompliantSummary": {
                        "NonCompliantCount": 3,
                        "SeveritySummary": {"CriticalCount": 2, "HighCount": 1, "LowCount": 0},
                    },
                },
            ]
        },
        {"Filters": [{"Key": "ComplianceType", "Values": ["Patch"], "Type": "EQUAL"}]},
    )
    facts = list(SsmCollector().collect_unit(account, REGION))
    stubber.assert_no_pending_responses()
    arn = f"arn:aws:ssm:{REGION}:{ACCOUNT}:managed-instance/{{}}".format
    by_resource = {f.resource: f for f in facts}
    assert by_resource[arn("i-0stale")].data["non_compliant"] == {"CriticalCount": 2, "HighCount": 1}
    assert by_resource[arn("i-0good")].source.operations == ("ssm:ListResourceComplianceSummaries",)
    assert by_resource[arn("i-0good")].source.principal == PRINCIPAL
    verdicts = _verdicts(facts)
    assert verdicts[("aws.ssm.patch-compliant", arn("i-0good"))] == "pass"
    assert verdicts[("aws.ssm.patch-compliant", arn("i-0stale"))] == "fail"


@pytest.mark.parametrize(
    ("drift", "checked_days_ago", "expected"),
    [("IN_SYNC", 3, "pass"), ("DRIFTED", 3, "fail"), ("IN_SYNC", 90, "fail")],
)
def test_cloudformation_drift_result_and_its_age(drift, checked_days_ago, expected):
    account, stubber = _account("cloudformation")
    stack_id = f"arn:aws:cloudformation:{REGION}:{ACCOUNT}:stack/network/1"
    stubber.add_response(
        "describe_stacks",
        {
            "Stacks": [
                {
                    "StackId": stack_id,
                    "StackName": "network",
                    "CreationTime": NOW - timedelta(days=400),
                    "StackStatus": "UPDATE_COMPLETE",
                    "DriftInformation": {
                        "StackDriftStatus": drift,
                        "LastCheckTimestamp": NOW - timedelta(days=checked_days_ago),
                    },
                }
            ]
        },
        {},
    )
    [fact] = list(CloudFormationCollector().collect_unit(account, REGION))
    assert fact.data["drift_status"] == drift
    assert _verdicts([fact])[("aws.cloudformation.no-drift", stack_id)] == expected


def test_a_failed_listing_is_error_evidence_for_the_region():
    account, stubber = _account("ssm")
    stubber.add_client_error("list_resource_compliance_summaries", "AccessDeniedException", "not authorised")
    [error] = list(SsmCollector().collect_unit(account, REGION))
    assert error.kinds == ("aws.ssm.patch_compliance",)
    assert error.scope == {"provider": "aws", "account": ACCOUNT, "region": REGION}
    assert error.code == "AccessDeniedException"
