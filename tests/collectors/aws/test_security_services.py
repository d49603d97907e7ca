"""aws.security_services (collectors/aws/security_services.py): one fact per region for each of Security Hub, Inspector, Macie and AWS Config's recorders."""

from __future__ import annotations

from fakes.aws_api import REGION, assert_pages_and_errors, stubbed_account, verdicts

from annexa.collectors.aws.security_services import SecurityServicesCollector
from annexa.collectors.aws.spec import Unit


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


def test_security_hub_never_enabled_is_a_failing_fact(mocked, run):
    """moto answers as AWS does: InvalidAccessException "Account is not subscribed to AWS Security Hub"."""
    out = run(SecurityServicesCollector())
    [hub] = out.of("aws.security_services.security_hub")
    assert hub.data == {"enabled": False, "subscribed_at": None, "auto_enable_controls": None}
    assert verdicts(out.facts)[("aws.security_services.security-hub-enabled", hub.resource)] == "fail"


def test_security_hub_refusing_for_another_reason_is_an_error() -> None:
    account, stubber = stubbed_account("securityhub")
    stubber.add_client_error(
        "describe_hub", "InvalidAccessException", "The request was rejected because this account is suspended"
    )
    collector = SecurityServicesCollector()
    items = list(collector.specs[0].collect(Unit(account, REGION)))
    assert [(type(i).__name__, i.code, i.operation) for i in items] == [
        ("CollectionError", "InvalidAccessException", "securityhub:DescribeHub")
    ]
