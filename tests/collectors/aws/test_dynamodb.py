"""aws.dynamodb (collectors/aws/dynamodb.py): every table, with one DescribeTable and one DescribeContinuousBackups each (no batch API)."""

from __future__ import annotations

from fakes.aws_api import assert_pages_and_errors

from annexa.collectors.aws.dynamodb import DynamoDbCollector


def test_reads_tables_with_their_description_and_backups() -> None:
    assert DynamoDbCollector.kinds == ("aws.dynamodb.table",)
    assert DynamoDbCollector.permissions == (
        "dynamodb:ListTables",
        "dynamodb:DescribeTable",
        "dynamodb:DescribeContinuousBackups",
    )


def test_every_page_is_read_and_a_failed_call_is_error_evidence() -> None:
    assert_pages_and_errors(DynamoDbCollector())
