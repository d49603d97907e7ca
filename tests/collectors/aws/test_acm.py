"""aws.acm (collectors/aws/acm.py): each certificate ListCertificates names, with one DescribeCertificate each (no batch API)."""

from __future__ import annotations

from fakes.aws_api import assert_pages_and_errors

from annexa.collectors.aws.acm import AcmCollector


def test_reads_certificates_and_each_ones_description() -> None:
    assert AcmCollector.kinds == ("aws.acm.certificate",)
    assert AcmCollector.permissions == ("acm:ListCertificates", "acm:DescribeCertificate")


def test_every_page_is_read_and_a_failed_call_is_error_evidence() -> None:
    assert_pages_and_errors(AcmCollector())
