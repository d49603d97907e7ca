"""CloudFormation: stacks and their last drift detection result (change evidence)."""

from __future__ import annotations

from typing import Any

from annexa.collectors.aws.collector import AwsCollector
from annexa.collectors.aws.session import iso
from annexa.collectors.aws.spec import Listing

STACK = "aws.cloudformation.stack"


def _stack(stack: dict[str, Any]) -> dict[str, Any]:
    drift = stack.get("DriftInformation") or {}
    return {
        "name": stack["StackName"],
        "status": stack.get("StackStatus"),
        "created": iso(stack.get("CreationTime")),
        "last_updated": iso(stack.get("LastUpdatedTime")),
        "drift_status": drift.get("StackDriftStatus", "NOT_CHECKED"),
        "drift_checked": iso(drift.get("LastCheckTimestamp")),
        "termination_protection": bool(stack.get("EnableTerminationProtection")),
    }


class CloudFormationCollector(AwsCollector):
    """Change management evidence (A.8.32) for each configured region.

    annexa is read-only, so it never starts drift detection (DetectStackDrift); it reports
    the result of the last detection someone ran, and when.

    - `aws.cloudformation.stack` (stack ARN): `name`, `status`, `created`, `last_updated`,
      `drift_status` (IN_SYNC, DRIFTED, NOT_CHECKED or UNKNOWN), `drift_checked`
      (timestamp of the last detection, null if never), `termination_protection`.
    """

    name = "aws.cloudformation"
    specs = (Listing(STACK, "cloudformation", "DescribeStacks", "Stacks", resource="StackId", data=_stack),)
