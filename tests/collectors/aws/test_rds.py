"""aws.rds (collectors/aws/rds.py): every database instance and every DB cluster."""

from __future__ import annotations

from fakes.aws_api import assert_pages_and_errors

from annexa.collectors.aws.rds import RdsCollector


def test_reads_instances_and_clusters() -> None:
    assert RdsCollector.kinds == ("aws.rds.instance", "aws.rds.cluster")
    assert RdsCollector.permissions == ("rds:DescribeDBInstances", "rds:DescribeDBClusters")


def test_every_page_is_read_and_a_failed_call_is_error_evidence() -> None:
    assert_pages_and_errors(RdsCollector())
