"""aws.ssm (collectors/aws/ssm.py): the patch compliance summary of every managed instance, from one
listing. moto does not model ListResourceComplianceSummaries, so the answers are stubbed in the
shapes botocore's model validates."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from fakes.aws_api import ACCOUNT, PRINCIPAL, REGION, assert_pages_and_errors, stubbed_account, verdicts

from annexa.collectors.aws.ssm import SsmCollector

NOW = datetime.now(timezone.utc)


def test_reads_the_patch_compliance_summaries() -> None:
    assert SsmCollector.kinds == ("aws.ssm.patch_compliance",)
    assert SsmCollector.permissions == ("ssm:ListResourceComplianceSummaries",)


def test_every_page_is_read_and_a_failed_call_is_error_evidence() -> None:
    assert_pages_and_errors(SsmCollector())


def test_ssm_patch_compliance_per_managed_instance():
    account, stubber = stubbed_account("ssm")
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
    statuses = verdicts(facts)
    assert statuses[("aws.ssm.patch-compliant", arn("i-0good"))] == "pass"
    assert statuses[("aws.ssm.patch-compliant", arn("i-0stale"))] == "fail"


def test_a_failed_listing_is_error_evidence_for_the_region():
    account, stubber = stubbed_account("ssm")
    stubber.add_client_error("list_resource_compliance_summaries", "AccessDeniedException", "not authorised")
    [error] = list(SsmCollector().collect_unit(account, REGION))
    assert error.kinds == ("aws.ssm.patch_compliance",)
    assert error.scope == {"provider": "aws", "account": ACCOUNT, "region": REGION}
    assert error.code == "AccessDeniedException"
