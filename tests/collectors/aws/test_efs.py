"""aws.efs (collectors/aws/efs.py): every file system and whether it is encrypted, from DescribeFileSystems alone."""

from __future__ import annotations

from fakes.aws_api import assert_pages_and_errors

from annexa.collectors.aws.efs import EfsCollector


def test_reads_file_systems() -> None:
    assert EfsCollector.kinds == ("aws.efs.file_system",)
    assert EfsCollector.permissions == ("elasticfilesystem:DescribeFileSystems",)


def test_every_page_is_read_and_a_failed_call_is_error_evidence() -> None:
    assert_pages_and_errors(EfsCollector())
