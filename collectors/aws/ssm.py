"""Systems Manager: patch compliance of every managed instance."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from annexa.collectors.aws.collector import AwsCollector
from annexa.collectors.aws.listing import listed
from annexa.collectors.aws.session import AwsAccount, iso
from annexa.model import CollectionError, Fact

PATCH_COMPLIANCE = "aws.ssm.patch_compliance"


class SsmCollector(AwsCollector):
    """Patch management evidence (A.8.8) for each configured region, from one listing.

    - `aws.ssm.patch_compliance` (`arn:...:ssm:<region>:<account>:managed-instance/<id>`):
      `resource_id`, `resource_type`, `status` (COMPLIANT or
      NON_COMPLIANT), `last_scan` (execution time of the last patch scan), `non_compliant`
      (counts by severity), `compliant_count`.
    """

    name = "aws.ssm"
    kinds = (PATCH_COMPLIANCE,)
    permissions = ("ssm:ListResourceComplianceSummaries",)

    def collect_unit(self, account: AwsAccount, region: str) -> Iterator[Fact | CollectionError]:
        yield from listed(
            account,
            region,
            PATCH_COMPLIANCE,
            "ssm",
            "list_resource_compliance_summaries",
            "ResourceComplianceSummaryItems",
            lambda item: (
                f"arn:{account.partition}:ssm:{region}:{account.account_id}:managed-instance/{item['ResourceId']}"
            ),
            _summary,
            Filters=[{"Key": "ComplianceType", "Values": ["Patch"], "Type": "EQUAL"}],
        )


def _summary(item: dict[str, Any]) -> dict[str, Any]:
    non_compliant = item.get("NonCompliantSummary") or {}
    return {
        "resource_id": item.get("ResourceId"),
        "resource_type": item.get("ResourceType"),
        "status": item.get("Status"),
        "last_scan": iso((item.get("ExecutionSummary") or {}).get("ExecutionTime")),
        "non_compliant": {k: v for k, v in (non_compliant.get("SeveritySummary") or {}).items() if v},
        "compliant_count": (item.get("CompliantSummary") or {}).get("CompliantCount", 0),
    }
