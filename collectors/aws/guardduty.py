"""GuardDuty: whether threat detection and malware protection are on in each region."""

from __future__ import annotations

from typing import Any

from annexa.collectors.aws.collector import AwsCollector
from annexa.collectors.aws.spec import Detail, Setting

DETECTOR = "aws.guardduty.detector"


def _malware_protection(detector: dict[str, Any]) -> bool:
    """EBS malware scanning, from the current `Features` list or the older `DataSources` shape."""
    for feature in detector.get("Features") or []:
        if feature.get("Name") == "EBS_MALWARE_PROTECTION":
            return feature.get("Status") == "ENABLED"
    sources = detector.get("DataSources") or {}
    ebs = ((sources.get("MalwareProtection") or {}).get("ScanEc2InstanceWithFindings") or {}).get("EbsVolumes") or {}
    return ebs.get("Status") == "ENABLED"


def _detector(detector_ids: list[str], detector: dict[str, Any] | None) -> dict[str, Any]:
    detector = detector or {}
    return {
        "enabled": detector.get("Status") == "ENABLED",
        "detector_id": detector_ids[0] if detector_ids else None,
        "finding_frequency": detector.get("FindingPublishingFrequency"),
        "malware_protection": _malware_protection(detector),
        "features": [{"name": f.get("Name"), "status": f.get("Status")} for f in detector.get("Features") or []],
    }


class GuardDutyCollector(AwsCollector):
    """Threat detection evidence (A.8.16, A.8.7) for each configured region.

    - `aws.guardduty.detector` (`<account>:<region>`): `enabled` (a detector exists and
      is ENABLED), `detector_id` (null when GuardDuty was never turned on),
      `finding_frequency`, `malware_protection` (EBS malware scanning on), `features`
      (each protection plan's name and status).
    """

    name = "aws.guardduty"
    specs = (
        Setting(
            DETECTOR,
            "guardduty",
            (
                Detail("ListDetectors", key="DetectorIds"),
                # A region has at most one detector.
                Detail("GetDetector", lambda _, ids: {"DetectorId": ids[0]}, when=lambda _, ids: bool(ids)),
            ),
            data=_detector,
        ),
    )
