"""aws.cloudformation (collectors/aws/cloudformation.py): every stack with the result of its last drift
detection (annexa never starts one). moto does not model DriftInformation, so the answers are
stubbed in the shapes botocore's model validates."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from fakes.aws_api import ACCOUNT, REGION, assert_pages_and_errors, stubbed_account, verdicts

from annexa.collectors.aws.cloudformation import CloudFormationCollector

NOW = datetime.now(timezone.utc)


def test_reads_the_stacks() -> None:
    assert CloudFormationCollector.kinds == ("aws.cloudformation.stack",)
    assert CloudFormationCollector.permissions == ("cloudformation:DescribeStacks",)


def test_every_page_is_read_and_a_failed_call_is_error_evidence() -> None:
    assert_pages_and_errors(CloudFormationCollector())


@pytest.mark.parametrize(
    ("drift", "checked_days_ago", "expected"),
    [("IN_SYNC", 3, "pass"), ("DRIFTED", 3, "fail"), ("IN_SYNC", 90, "fail")],
)
def test_cloudformation_drift_result_and_its_age(drift, checked_days_ago, expected):
    account, stubber = stubbed_account("cloudformation")
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
    assert verdicts([fact])[("aws.cloudformation.no-drift", stack_id)] == expected
