"""aws.guardduty (collectors/aws/guardduty.py): one detector fact per region: ListDetectors, then GetDetector for the region's detector, if any."""

from __future__ import annotations

from fakes.aws_api import assert_pages_and_errors

from annexa.collectors.aws.guardduty import GuardDutyCollector


def test_reads_the_regions_detector() -> None:
    assert GuardDutyCollector.kinds == ("aws.guardduty.detector",)
    assert GuardDutyCollector.permissions == ("guardduty:ListDetectors", "guardduty:GetDetector")


def test_every_page_is_read_and_a_failed_call_is_error_evidence() -> None:
    assert_pages_and_errors(GuardDutyCollector())
