"""Systems Manager: patch compliance of every managed instance."""

from __future__ import annotations

from typing import Any

from annexa.collectors.aws.collector import AwsCollector
from annexa.collectors.aws.session import iso
from annexa.collectors.aws.spec import Listing, arn

PATCH_COMPLIANCE = "aws.ssm.patch_compliance"


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


class SsmCollector(AwsCollector):
    """Patch management evidence (A.8.8) for each configured region, from one listing.

    - `aws.ssm.patch_compliance` (`arn:...:ssm:<region>:<account>:managed-instance/<id>`):
      `resource_id`, `resource_type`, `status` (COMPLIANT or
      NON_COMPLIANT), `last_scan` (execution time of the last patch scan), `non_compliant`
      (counts by severity), `compliant_count`.
    """

    name = "aws.ssm"
    kinds = (PATCH_COMPLIANCE,)
    specs = (
        Listing(
            PATCH_COMPLIANCE,
            "ssm",
            "ListResourceComplianceSummaries",
            "ResourceComplianceSummaryItems",
            params={"Filters": [{"Key": "ComplianceType", "Values": ["Patch"], "Type": "EQUAL"}]},
            resource=arn("ssm", "managed-instance/{ResourceId}"),
            data=_summary,
        ),
    )
