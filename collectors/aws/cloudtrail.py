"""CloudTrail: every trail the configured regions can see, and an account-level summary."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from annexa.collectors.aws.collector import AwsCollector
from annexa.collectors.aws.errors import AwsCallError
from annexa.collectors.aws.event_selectors import management_events
from annexa.collectors.aws.session import GLOBAL, AwsAccount, call
from annexa.model import CollectionError, Fact

TRAIL = "aws.cloudtrail.trail"
ACCOUNT = "aws.cloudtrail.account"

_OPERATIONS = ("cloudtrail:DescribeTrails", "cloudtrail:GetTrailStatus", "cloudtrail:GetEventSelectors")


class CloudTrailCollector(AwsCollector):
    """Audit logging evidence: which trails exist, where they log and whether they are on.

    DescribeTrails runs in every configured region (shadow copies of multi-region trails
    included, de-duplicated by ARN); GetTrailStatus and GetEventSelectors run in each trail's
    home region.

    - `aws.cloudtrail.trail` (trail ARN, scope = home region): `name`, `home_region`,
      `is_multi_region`, `is_organization_trail`, `log_file_validation`, `kms_key_id`
      (null when logs are not KMS-encrypted), `s3_bucket`, `is_logging`,
      `latest_delivery_error`.
    - `aws.cloudtrail.account` (`<account>:global`): `trails`, the same fields for every
      trail seen, so a rule can ask for "at least one" (an empty list is a real answer).
      It is replaced by an error when any region or trail status could not be read,
      because a partial list could hide the one trail that matters.
    """

    name = "aws.cloudtrail"
    kinds = (TRAIL, ACCOUNT)
    permissions = _OPERATIONS

    per_region = False  # one unit per account: the account summary needs every region's trails

    def collect_unit(self, account: AwsAccount, region: str) -> Iterator[Fact | CollectionError]:
        trails: dict[str, dict[str, Any]] = {}
        complete = True
        for region in account.regions:
            try:
                response = call(account.client("cloudtrail", region), "describe_trails", includeShadowTrails=True)
            except AwsCallError as exc:
                complete = False
                yield exc.to_collection_error((TRAIL,), account.scope(region))
                continue
            for trail in response["trailList"]:
                trails.setdefault(trail["TrailARN"], trail)

        summary = []
        for arn, trail in sorted(trails.items()):
            home = trail.get("HomeRegion") or account.home_region
            client = account.client("cloudtrail", home)
            try:
                status = call(client, "get_trail_status", Name=arn)
                selectors = call(client, "get_event_selectors", TrailName=arn)
            except AwsCallError as exc:
                complete = False
                yield exc.to_collection_error((TRAIL,), account.scope(home), arn)
                continue
            data = {**_trail(trail, status), "management_events": management_events(selectors)}
            summary.append(data)
            yield Fact(
                kind=TRAIL,
                resource=arn,
                scope=account.scope(home),
                data=data,
                source=account.source(_OPERATIONS, client),
            )

        resource = f"{account.account_id}:{GLOBAL}"
        if not complete:
            yield CollectionError(
                kinds=(ACCOUNT,),
                scope=account.scope(GLOBAL),
                message="trail list incomplete: a DescribeTrails, GetTrailStatus or GetEventSelectors call failed "
                "(see the errors of aws.cloudtrail.trail)",
                code="Incomplete",
                resource=resource,
            )
            return
        yield Fact(
            kind=ACCOUNT,
            resource=resource,
            scope=account.scope(GLOBAL),
            data={"regions_read": list(account.regions), "trails": summary},
            source=account.source(_OPERATIONS),
        )


def _trail(trail: dict[str, Any], status: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": trail["Name"],
        "arn": trail["TrailARN"],
        "home_region": trail.get("HomeRegion"),
        "is_multi_region": bool(trail.get("IsMultiRegionTrail")),
        "is_organization_trail": bool(trail.get("IsOrganizationTrail")),
        "log_file_validation": bool(trail.get("LogFileValidationEnabled")),
        "kms_key_id": trail.get("KmsKeyId"),
        "s3_bucket": trail.get("S3BucketName"),
        "is_logging": bool(status.get("IsLogging")),
        "latest_delivery_error": status.get("LatestDeliveryError"),
    }
