"""aws.lambda (collectors/aws/lambda_functions.py): every function and its runtime, from ListFunctions alone."""

from __future__ import annotations

from fakes.aws_api import assert_pages_and_errors

from annexa.collectors.aws.lambda_functions import LambdaCollector


def test_reads_functions() -> None:
    assert LambdaCollector.kinds == ("aws.lambda.function",)
    assert LambdaCollector.permissions == ("lambda:ListFunctions",)


def test_every_page_is_read_and_a_failed_call_is_error_evidence() -> None:
    assert_pages_and_errors(LambdaCollector())
