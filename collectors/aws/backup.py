"""AWS Backup: backup plans (what is backed up, how often, for how long) and backup vaults."""

from __future__ import annotations

from typing import Any

from annexa.collectors.aws.collector import AwsCollector
from annexa.collectors.aws.session import iso
from annexa.collectors.aws.spec import Detail, Listing

PLAN = "aws.backup.plan"
VAULT = "aws.backup.vault"


def _rule(rule: dict[str, Any]) -> dict[str, Any]:
    lifecycle = rule.get("Lifecycle") or {}
    return {
        "name": rule.get("RuleName"),
        "vault": rule.get("TargetBackupVaultName"),
        "schedule": rule.get("ScheduleExpression"),
        "delete_after_days": lifecycle.get("DeleteAfterDays"),
        "move_to_cold_after_days": lifecycle.get("MoveToColdStorageAfterDays"),
        "copy_to": [c.get("DestinationBackupVaultArn") for c in rule.get("CopyActions", [])],
    }


def _vault(vault: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": vault.get("BackupVaultName"),
        "encryption_key_arn": vault.get("EncryptionKeyArn"),
        "recovery_points": vault.get("NumberOfRecoveryPoints", 0),
        "locked": bool(vault.get("Locked")),
        "min_retention_days": vault.get("MinRetentionDays"),
        "max_retention_days": vault.get("MaxRetentionDays"),
        "lock_date": iso(vault.get("LockDate")),
    }


class BackupCollector(AwsCollector):
    """Backup evidence (A.8.13, A.5.30) for each configured region.

    ListBackupPlans has no rules: one GetBackupPlan per plan (no batch API).

    - `aws.backup.plan` (plan ARN): `name`, `rules` (per rule: `name`, `vault`,
      `schedule`, `delete_after_days` (null = kept forever), `move_to_cold_after_days`,
      `copy_to` (destination vault ARNs, e.g. another region or account)).
    - `aws.backup.vault` (vault ARN): `name`, `encryption_key_arn`, `recovery_points`,
      `locked` (Vault Lock), `min_retention_days`, `max_retention_days`, `lock_date`.
    """

    name = "aws.backup"
    specs = (
        Listing(
            PLAN,
            "backup",
            "ListBackupPlans",
            "BackupPlansList",
            resource="BackupPlanArn",
            details=(Detail("GetBackupPlan", lambda p: {"BackupPlanId": p["BackupPlanId"]}, key="BackupPlan"),),
            data=lambda plan, detail: {
                "name": plan.get("BackupPlanName"),
                "rules": [_rule(r) for r in detail.get("Rules", [])],
            },
        ),
        Listing(VAULT, "backup", "ListBackupVaults", "BackupVaultList", resource="BackupVaultArn", data=_vault),
    )
