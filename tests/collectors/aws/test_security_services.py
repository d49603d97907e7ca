"""aws.security_services (collectors/aws/security_services.py): one fact per region for each of Security Hub, Inspector, Macie and AWS Config's recorders."""

from __future__ import annotations

from fakes.aws_api import assert_pages_and_errors

from annexa.collectors.aws.security_services import SecurityServicesCollector


def test_reads_the_regions_security_services() -> None:
    assert SecurityServicesCollector.kinds == (
        "aws.security_services.security_hub",
        "aws.security_services.inspector",
        "aws.security_services.macie",
        "aws.security_services.config_recorder",
    )
    assert SecurityServicesCollector.permissions == (
        "securityhub:DescribeHub",
        "inspector2:BatchGetAccountStatus",
        "macie2:GetMacieSession",
        "config:DescribeConfigurationRecorders",
        "config:DescribeConfigurationRecorderStatus",
    )


def test_every_page_is_read_and_a_failed_call_is_error_evidence() -> None:
    assert_pages_and_errors(SecurityServicesCollector())
