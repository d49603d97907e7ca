"""aws.findings (collectors/aws/findings.py): GuardDuty threat intelligence sets and open findings, Macie
sensitive-data findings. moto models none of these reads, so the answers are stubbed in the shapes
botocore's model validates (botocore ships no examples for guardduty or macie2)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from botocore.stub import ANY, Stubber
from fakes.aws_api import ACCOUNT, REGION, stubbed_account, verdicts

from annexa.collectors.aws.findings import FindingsCollector
from annexa.model import CollectionError, Fact

NOW = datetime.now(timezone.utc)
RESOURCE = f"{ACCOUNT}:{REGION}"


def _ago(days: int) -> str:
    return (NOW - timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _guardduty_finding(finding_id: str, severity: float, days: int) -> dict:
    return {
        "AccountId": ACCOUNT,
        "Arn": f"arn:aws:guardduty:{REGION}:{ACCOUNT}:detector/d1/finding/{finding_id}",
        "CreatedAt": _ago(days),
        "Id": finding_id,
        "Region": REGION,
        "Resource": {"ResourceType": "Instance"},
        "SchemaVersion": "2.0",
        "Severity": severity,
        "Type": "Recon:EC2/PortProbeUnprotectedPort",
        "UpdatedAt": _ago(days),
    }


def _stub_guardduty(stubber: Stubber, sets: list[str], findings: list[dict]) -> None:
    stubber.add_response("list_detectors", {"DetectorIds": ["d1"]})
    stubber.add_response(
        "list_threat_intel_sets", {"ThreatIntelSetIds": sets[:1], "NextToken": "p2"}, {"DetectorId": "d1"}
    )
    stubber.add_response(
        "list_threat_intel_sets", {"ThreatIntelSetIds": sets[1:]}, {"DetectorId": "d1", "NextToken": "p2"}
    )
    for n, set_id in enumerate(sets):
        status = "ACTIVE" if n == 0 else "INACTIVE"
        stubber.add_response(
            "get_threat_intel_set",
            {"Name": f"feed-{n}", "Format": "TXT", "Location": "https://s3.amazonaws.com/b/k", "Status": status},
            {"DetectorId": "d1", "ThreatIntelSetId": set_id},
        )
    ids = [f["Id"] for f in findings]
    stubber.add_response("list_findings", {"FindingIds": ids}, {"DetectorId": "d1", "FindingCriteria": ANY})
    if ids:
        stubber.add_response("get_findings", {"Findings": findings}, {"DetectorId": "d1", "FindingIds": ids})


def _macie_off(account) -> Stubber:  # type: ignore[no-untyped-def]
    stubber = Stubber(account.client("macie2", REGION))
    stubber.add_client_error("get_macie_session", "AccessDeniedException", "Macie is not enabled", 403)
    stubber.activate()
    return stubber


def test_declares_its_reads() -> None:
    assert FindingsCollector.kinds == (
        "aws.findings.guardduty_threat_intel",
        "aws.findings.guardduty_open",
        "aws.findings.macie_sensitive_data",
    )
    assert "macie2:GetFindings" in FindingsCollector.permissions


def test_threat_intel_sets_every_page_and_findings_triage_age() -> None:
    account, stubber = stubbed_account("guardduty")
    findings = [_guardduty_finding("f-new-high", 8.0, 2), _guardduty_finding("f-old-low", 2.0, 90)]
    _stub_guardduty(stubber, ["s1", "s2"], findings)
    macie = _macie_off(account)
    facts = {f.kind: f for f in FindingsCollector().collect_unit(account, REGION)}
    stubber.assert_no_pending_responses()
    macie.assert_no_pending_responses()
    intel = facts["aws.findings.guardduty_threat_intel"].data
    assert intel["sets"] == [
        {"id": "s1", "name": "feed-0", "format": "TXT", "status": "ACTIVE"},
        {"id": "s2", "name": "feed-1", "format": "TXT", "status": "INACTIVE"},
    ]
    assert [f["id"] for f in facts["aws.findings.guardduty_open"].data["open_findings"]] == ["f-new-high", "f-old-low"]
    assert facts["aws.findings.macie_sensitive_data"].data == {"enabled": False, "open_findings": []}
    statuses = verdicts(list(facts.values()))
    assert statuses[("aws.findings.guardduty-threat-intel", RESOURCE)] == "pass"
    assert statuses[("aws.findings.guardduty-findings-triaged", RESOURCE)] == "pass"  # high but 2 days; low ignored
    assert ("aws.findings.macie-pii-findings-handled", RESOURCE) not in statuses  # Macie off: not applicable


def test_an_old_high_finding_fails_triage() -> None:
    account, stubber = stubbed_account("guardduty")
    _stub_guardduty(stubber, [], [_guardduty_finding("f-stale", 7.5, 12)])
    _macie_off(account)
    facts = [f for f in FindingsCollector().collect_unit(account, REGION) if isinstance(f, Fact)]
    statuses = verdicts(facts)
    assert statuses[("aws.findings.guardduty-findings-triaged", RESOURCE)] == "fail"
    assert statuses[("aws.findings.guardduty-threat-intel", RESOURCE)] == "fail"  # no set at all


def test_macie_personal_data_findings_open_too_long_fail() -> None:
    account, guardduty = stubbed_account("guardduty")
    guardduty.add_response("list_detectors", {"DetectorIds": []})
    macie = Stubber(account.client("macie2", REGION))
    macie.add_response("get_macie_session", {"status": "ENABLED"})
    macie.add_response("list_findings", {"findingIds": ["m1", "m2"]}, {"findingCriteria": ANY})

    def finding(finding_id: str, kind: str, days: int) -> dict:
        return {
            "id": finding_id,
            "type": kind,
            "category": "CLASSIFICATION",
            "createdAt": NOW - timedelta(days=days),
            "severity": {"description": "High", "score": 3},
            "resourcesAffected": {"s3Bucket": {"name": "customer-exports"}},
        }

    found = [
        finding("m1", "SensitiveData:S3Object/Personal", 45),
        finding("m2", "SensitiveData:S3Object/Credentials", 90),
    ]
    macie.add_response("get_findings", {"findings": found}, {"findingIds": ["m1", "m2"]})
    macie.activate()
    facts = {f.kind: f for f in FindingsCollector().collect_unit(account, REGION)}
    macie.assert_no_pending_responses()
    data = facts["aws.findings.macie_sensitive_data"].data
    assert data["open_findings"][0]["bucket"] == "customer-exports" and data["enabled"] is True
    statuses = verdicts(list(facts.values()))
    assert statuses[("aws.findings.macie-pii-findings-handled", RESOURCE)] == "fail"
    assert facts["aws.findings.guardduty_threat_intel"].data == {"detector_id": None, "sets": []}
    assert ("aws.findings.guardduty-findings-triaged", RESOURCE) not in statuses  # no detector: not applicable


def test_a_failed_read_is_error_evidence_for_its_kind_only() -> None:
    account, stubber = stubbed_account("guardduty")
    stubber.add_response("list_detectors", {"DetectorIds": ["d1"]})
    stubber.add_response("list_threat_intel_sets", {"ThreatIntelSetIds": []}, {"DetectorId": "d1"})
    stubber.add_client_error("list_findings", "AccessDeniedException", "not authorised", 403)
    _macie_off(account)
    items = list(FindingsCollector().collect_unit(account, REGION))
    errors = [i for i in items if isinstance(i, CollectionError)]
    assert [(e.kinds, e.resource, e.operation) for e in errors] == [
        (("aws.findings.guardduty_open",), RESOURCE, "guardduty:ListFindings")
    ]
    assert sorted(i.kind for i in items if isinstance(i, Fact)) == [
        "aws.findings.guardduty_threat_intel",
        "aws.findings.macie_sensitive_data",
    ]
