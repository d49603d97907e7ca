"""DynamoDB: tables with their encryption and point-in-time recovery settings."""

from __future__ import annotations

from typing import Any

from annexa.collectors.aws.collector import AwsCollector
from annexa.collectors.aws.spec import Detail, Listing

TABLE = "aws.dynamodb.table"


def _table(name: str, table: dict[str, Any], backups: dict[str, Any]) -> dict[str, Any]:
    pitr = backups.get("PointInTimeRecoveryDescription") or {}
    sse = table.get("SSEDescription") or {}
    return {
        "name": name,
        "status": table.get("TableStatus"),
        "sse_type": sse.get("SSEType"),
        "kms_key_arn": sse.get("KMSMasterKeyArn"),
        "pitr_enabled": pitr.get("PointInTimeRecoveryStatus") == "ENABLED",
        "earliest_restorable": str(pitr["EarliestRestorableDateTime"])
        if pitr.get("EarliestRestorableDateTime")
        else None,
        "deletion_protection": bool(table.get("DeletionProtectionEnabled")),
        "billing_mode": (table.get("BillingModeSummary") or {}).get("BillingMode"),
    }


class DynamoDbCollector(AwsCollector):
    """Table protection evidence (A.8.13, A.8.24) for each configured region.

    DynamoDB has no batch describe: one DescribeTable and one DescribeContinuousBackups
    per table.

    - `aws.dynamodb.table` (table ARN): `name`, `status`, `sse_type` (KMS, or null
      for the AWS-owned default key), `kms_key_arn`, `pitr_enabled` (point-in-time
      recovery), `earliest_restorable`, `deletion_protection`, `billing_mode`.
    """

    name = "aws.dynamodb"
    specs = (
        Listing(
            TABLE,
            "dynamodb",
            "ListTables",
            "TableNames",
            resource=lambda name, unit: unit.arn("dynamodb", f"table/{name}"),
            details=(
                Detail("DescribeTable", lambda name: {"TableName": name}, key="Table"),
                Detail(
                    "DescribeContinuousBackups", lambda name: {"TableName": name}, key="ContinuousBackupsDescription"
                ),
            ),
            data=_table,
        ),
    )
