"""aws.backup (collectors/aws/backup.py): backup plans (with one GetBackupPlan each: the listing has no rules) and backup vaults."""

from __future__ import annotations

from fakes.aws_api import assert_pages_and_errors

from annexa.collectors.aws.backup import BackupCollector


def test_reads_plans_with_their_rules_and_the_vaults() -> None:
    assert BackupCollector.kinds == ("aws.backup.plan", "aws.backup.vault")
    assert BackupCollector.permissions == ("backup:ListBackupPlans", "backup:GetBackupPlan", "backup:ListBackupVaults")


def test_every_page_is_read_and_a_failed_call_is_error_evidence() -> None:
    assert_pages_and_errors(BackupCollector())
