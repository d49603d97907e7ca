"""AWS Backup: backup plans (what is backed up, how often, for how long) and backup vaults."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from annexa.collectors.aws.collector import AwsCollector
from annexa.collectors.aws.errors import AwsCallError
from annexa.collectors.aws.listing import listed
from annexa.collectors.aws.session import AwsAccount, call, iso, paginate
from annexa.model import CollectionError, Fact

PLAN = "aws.backup.plan"
VAULT = "aws.backup.vault"


class BackupCollector(AwsCollector):
    """Backup evidence (A.8.13, A.5.30) for each configured region.

    - `aws.backup.plan` (plan ARN): `name`, `rules` (per rule: `name`, `vault`,
      `schedule`, `delete_after_days` (null = kept forever), `move_to_cold_after_days`,
      `copy_to` (destination vault ARNs, e.g. another region or account)).
    - `aws.backup.vault` (vault ARN): `name`, `encryption_key_arn`, `recovery_points`,
      `locked` (Vault Lock), `min_retention_days`, `max_retention_days`, `lock_date`.
    """

    name = "aws.backup"
    kinds = (PLAN, VAULT)
    permissions = ("backup:ListBackupPlans", "backup:GetBackupPlan", "backup:ListBackupVaults")

    def collect_unit(self, account: AwsAccount, region: str) -> Iterator[Fact | CollectionError]:
        yield from self._plans(account, region)
        yield from listed(
            account,
            region,
            VAULT,
            "backup",
            "list_backup_vaults",
            "BackupVaultList",
            lambda v: v["BackupVaultArn"],
            _vault,
        )

    @staticmethod
    def _plans(account: AwsAccount, region: str) -> Iterator[Fact | CollectionError]:
        backup = account.client("backup", region)
        try:
            plans, pages = paginate(backup, "list_backup_plans", "BackupPlansList")
        except AwsCallError as exc:
            yield exc.to_collection_error((PLAN,), account.scope(region))
            return
        for plan in plans:
            try:  # ListBackupPlans has no rules: one GetBackupPlan per plan (no batch API)
                detail = call(backup, "get_backup_plan", BackupPlanId=plan["BackupPlanId"])["BackupPlan"]
            except AwsCallError as exc:
                yield exc.to_collection_error((PLAN,), account.scope(region), plan["BackupPlanArn"])
                continue
            yield Fact(
                kind=PLAN,
                resource=plan["BackupPlanArn"],
                scope=account.scope(region),
                data={"name": plan.get("BackupPlanName"), "rules": [_rule(r) for r in detail.get("Rules", [])]},
                source=account.source(["backup:ListBackupPlans", "backup:GetBackupPlan"], backup, pages),
            )


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
