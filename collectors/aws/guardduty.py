"""GuardDuty: whether threat detection and malware protection are on in each region."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from annexa.collectors.aws.collector import AwsCollector
from annexa.collectors.aws.errors import AwsCallError
from annexa.collectors.aws.session import AwsAccount, call, paginate
from annexa.model import CollectionError, Fact

DETECTOR = "aws.guardduty.detector"


def _malware_protection(detector: dict[str, Any]) -> bool:
    """EBS malware scanning, from the current `Features` list or the older `DataSources` shape."""
    for feature in detector.get("Features") or []:
        if feature.get("Name") == "EBS_MALWARE_PROTECTION":
            return feature.get("Status") == "ENABLED"
    sources = detector.get("DataSources") or {}
    ebs = ((sources.get("MalwareProtection") or {}).get("ScanEc2InstanceWithFindings") or {}).get("EbsVolumes") or {}
    return ebs.get("Status") == "ENABLED"


class GuardDutyCollector(AwsCollector):
    """Threat detection evidence (A.8.16, A.8.7) for each configured region.

    - `aws.guardduty.detector` (`<account>:<region>`): `enabled` (a detector exists and
      is ENABLED), `detector_id` (null when GuardDuty was never turned on),
      `finding_frequency`, `malware_protection` (EBS malware scanning on), `features`
      (each protection plan's name and status).
    """

    name = "aws.guardduty"
    kinds = (DETECTOR,)
    permissions = ("guardduty:ListDetectors", "guardduty:GetDetector")

    def collect_unit(self, account: AwsAccount, region: str) -> Iterator[Fact | CollectionError]:
        guardduty = account.client("guardduty", region)
        resource = f"{account.account_id}:{region}"
        try:
            detector_ids, _ = paginate(guardduty, "list_detectors", "DetectorIds")
            # A region has at most one detector.
            detector = call(guardduty, "get_detector", DetectorId=detector_ids[0]) if detector_ids else {}
        except AwsCallError as exc:
            yield exc.to_collection_error((DETECTOR,), account.scope(region), resource)
            return
        yield Fact(
            kind=DETECTOR,
            resource=resource,
            scope=account.scope(region),
            data={
                "enabled": detector.get("Status") == "ENABLED",
                "detector_id": detector_ids[0] if detector_ids else None,
                "finding_frequency": detector.get("FindingPublishingFrequency"),
                "malware_protection": _malware_protection(detector),
                "features": [
                    {"name": f.get("Name"), "status": f.get("Status")} for f in detector.get("Features") or []
                ],
            },
            source=account.source(
                ["guardduty:ListDetectors"] + (["guardduty:GetDetector"] if detector_ids else []), guardduty
            ),
        )
