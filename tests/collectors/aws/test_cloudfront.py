"""aws.cloudfront (collectors/aws/cloudfront.py): every distribution, once per account (CloudFront is global), from ListDistributions alone."""

from __future__ import annotations

from fakes.aws_api import assert_pages_and_errors

from annexa.collectors.aws.cloudfront import CloudFrontCollector


def test_reads_distributions() -> None:
    assert CloudFrontCollector.kinds == ("aws.cloudfront.distribution",)
    assert CloudFrontCollector.permissions == ("cloudfront:ListDistributions",)


def test_every_page_is_read_and_a_failed_call_is_error_evidence() -> None:
    assert_pages_and_errors(CloudFrontCollector())
