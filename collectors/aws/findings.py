"""Findings that show detection being operated: GuardDuty threat intelligence and open findings, Macie
sensitive-data findings. moto models none of these reads (demo/aws.py MOTO_UNSUPPORTED)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from annexa.collectors.aws.collector import AwsCollector
from annexa.collectors.aws.errors import AwsCallError
from annexa.collectors.aws.session import AwsAccount, call, iso, paginate
from annexa.model import CollectionError, Fact

THREAT_INTEL = "aws.findings.guardduty_threat_intel"
GUARDDUTY_OPEN = "aws.findings.guardduty_open"
MACIE_SENSITIVE = "aws.findings.macie_sensitive_data"
_BATCH = 50  # GetFindings takes at most 50 ids (GuardDuty and Macie API References)
# Macie answers these when it was never enabled in the region (as aws.security_services reads it).
_MACIE_OFF = ("AccessDeniedException", "ResourceNotFoundException")
# Open (not archived) findings: GuardDuty's `service.archived`, Macie's `archived` criterion.
_GUARDDUTY_OPEN = {"Criterion": {"service.archived": {"Equals": ["false"]}}}
_MACIE_OPEN = {"criterion": {"archived": {"eq": ["false"]}, "category": {"eq": ["CLASSIFICATION"]}}}


def _batches(ids: list[str]) -> Iterator[list[str]]:
    for start in range(0, len(ids), _BATCH):
        yield ids[start : start + _BATCH]


class FindingsCollector(AwsCollector):
    """Threat intelligence and the handling of findings, one fact of each kind per region
    (`<account>:<region>`).

    - `aws.findings.guardduty_threat_intel` (A.5.7): `detector_id` (null without GuardDuty) and
      `sets`: each threat intelligence set's `id`, `name`, `format` and `status` (ACTIVE when in use).
    - `aws.findings.guardduty_open` (A.5.25): `detector_id` and `open_findings`, every finding not
      archived (every page of ListFindings): `id`, `type`, `severity` (0.1-8.9; 7+ is high),
      `created_at`.
    - `aws.findings.macie_sensitive_data` (A.5.34): `enabled` (a Macie session exists) and
      `open_findings`, every sensitive-data (CLASSIFICATION) finding not archived: `id`, `type`
      (e.g. `SensitiveData:S3Object/Personal`), `severity`, `created_at`, `bucket`.

    Findings are read by id in batches of 50 (GetFindings); the affected resources beyond the
    bucket name are not stored.
    """

    name = "aws.findings"
    kinds = (THREAT_INTEL, GUARDDUTY_OPEN, MACIE_SENSITIVE)
    permissions = (
        "guardduty:ListDetectors",
        "guardduty:ListThreatIntelSets",
        "guardduty:GetThreatIntelSet",
        "guardduty:ListFindings",
        "guardduty:GetFindings",
        "macie2:GetMacieSession",
        "macie2:ListFindings",
        "macie2:GetFindings",
    )

    def collect_unit(self, account: AwsAccount, region: str) -> Iterator[Fact | CollectionError]:
        resource = f"{account.account_id}:{region}"
        scope = account.scope(region)
        guardduty = account.client("guardduty", region)
        try:
            detectors, _ = paginate(guardduty, "list_detectors", "DetectorIds")
        except AwsCallError as exc:
            yield exc.to_collection_error((THREAT_INTEL, GUARDDUTY_OPEN), scope, resource)
        else:
            detector = detectors[0] if detectors else None  # a region has at most one detector
            for kind, read in ((THREAT_INTEL, self._threat_intel), (GUARDDUTY_OPEN, self._guardduty_open)):
                try:
                    data, operations = read(guardduty, detector)
                except AwsCallError as exc:
                    yield exc.to_collection_error((kind,), scope, resource)
                    continue
                source = account.source(("guardduty:ListDetectors", *operations), guardduty)
                yield Fact(kind=kind, resource=resource, scope=scope, data=data, source=source)
        macie = account.client("macie2", region)
        try:
            data, operations = self._macie(macie)
        except AwsCallError as exc:
            yield exc.to_collection_error((MACIE_SENSITIVE,), scope, resource)
            return
        yield Fact(
            kind=MACIE_SENSITIVE, resource=resource, scope=scope, data=data, source=account.source(operations, macie)
        )

    @staticmethod
    def _threat_intel(guardduty: Any, detector: str | None) -> tuple[dict[str, Any], tuple[str, ...]]:
        if detector is None:
            return {"detector_id": None, "sets": []}, ()
        ids, _ = paginate(guardduty, "list_threat_intel_sets", "ThreatIntelSetIds", DetectorId=detector)
        sets = []
        for set_id in ids:
            answer = call(guardduty, "get_threat_intel_set", DetectorId=detector, ThreatIntelSetId=set_id)
            sets.append(
                {
                    "id": set_id,
                    "name": answer.get("Name"),
                    "format": answer.get("Format"),
                    "status": answer.get("Status"),
                }
            )
        return {"detector_id": detector, "sets": sets}, ("guardduty:ListThreatIntelSets", "guardduty:GetThreatIntelSet")

    @staticmethod
    def _guardduty_open(guardduty: Any, detector: str | None) -> tuple[dict[str, Any], tuple[str, ...]]:
        if detector is None:
            return {"detector_id": None, "open_findings": []}, ()
        ids, _ = paginate(
            guardduty, "list_findings", "FindingIds", DetectorId=detector, FindingCriteria=_GUARDDUTY_OPEN
        )
        found = []
        for batch in _batches(ids):
            for finding in call(guardduty, "get_findings", DetectorId=detector, FindingIds=batch)["Findings"]:
                found.append(
                    {
                        "id": finding["Id"],
                        "type": finding.get("Type"),
                        "severity": finding.get("Severity"),
                        "created_at": finding.get("CreatedAt"),
                    }
                )
        return {"detector_id": detector, "open_findings": found}, ("guardduty:ListFindings", "guardduty:GetFindings")

    @staticmethod
    def _macie(macie: Any) -> tuple[dict[str, Any], tuple[str, ...]]:
        try:
            session = call(macie, "get_macie_session")
        except AwsCallError as exc:
            if any(exc.means(code) for code in _MACIE_OFF):
                return {"enabled": False, "open_findings": []}, ("macie2:GetMacieSession",)
            raise
        if session.get("status") != "ENABLED":  # PAUSED: no new findings are produced
            return {"enabled": False, "open_findings": []}, ("macie2:GetMacieSession",)
        ids, _ = paginate(macie, "list_findings", "findingIds", findingCriteria=_MACIE_OPEN)
        found = []
        for batch in _batches(ids):
            for finding in call(macie, "get_findings", findingIds=batch)["findings"]:
                bucket = ((finding.get("resourcesAffected") or {}).get("s3Bucket") or {}).get("name")
                found.append(
                    {
                        "id": finding["id"],
                        "type": finding.get("type"),
                        "severity": (finding.get("severity") or {}).get("description"),
                        "created_at": iso(finding.get("createdAt")),
                        "bucket": bucket,
                    }
                )
        operations = ("macie2:GetMacieSession", "macie2:ListFindings", "macie2:GetFindings")
        return {"enabled": True, "open_findings": found}, operations
