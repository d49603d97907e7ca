"""DynamoDB: tables with their encryption and point-in-time recovery settings."""

from __future__ import annotations

from collections.abc import Iterator

from annexa.collectors.aws.collector import AwsCollector
from annexa.collectors.aws.errors import AwsCallError
from annexa.collectors.aws.session import AwsAccount, call, paginate
from annexa.model import CollectionError, Fact

TABLE = "aws.dynamodb.table"
_OPERATIONS = ("dynamodb:ListTables", "dynamodb:DescribeTable", "dynamodb:DescribeContinuousBackups")


class DynamoDbCollector(AwsCollector):
    """Table protection evidence (A.8.13, A.8.24) for each configured region.

    DynamoDB has no batch describe: one DescribeTable and one DescribeContinuousBackups
    per table.

    - `aws.dynamodb.table` (table ARN): `name`, `status`, `sse_type` (KMS, or null
      for the AWS-owned default key), `kms_key_arn`, `pitr_enabled` (point-in-time
      recovery), `earliest_restorable`, `deletion_protection`, `billing_mode`.
    """

    name = "aws.dynamodb"
    kinds = (TABLE,)
    permissions = ("dynamodb:ListTables", "dynamodb:DescribeTable", "dynamodb:DescribeContinuousBackups")

    def collect_unit(self, account: AwsAccount, region: str) -> Iterator[Fact | CollectionError]:
        dynamodb = account.client("dynamodb", region)
        try:
            names, pages = paginate(dynamodb, "list_tables", "TableNames")
        except AwsCallError as exc:
            yield exc.to_collection_error((TABLE,), account.scope(region))
            return
        for name in names:
            arn = f"arn:{account.partition}:dynamodb:{region}:{account.account_id}:table/{name}"
            try:
                table = call(dynamodb, "describe_table", TableName=name)["Table"]
                backups = call(dynamodb, "describe_continuous_backups", TableName=name)
            except AwsCallError as exc:
                yield exc.to_collection_error((TABLE,), account.scope(region), arn)
                continue
            pitr = backups["ContinuousBackupsDescription"].get("PointInTimeRecoveryDescription") or {}
            sse = table.get("SSEDescription") or {}
            yield Fact(
                kind=TABLE,
                resource=table.get("TableArn", arn),
                scope=account.scope(region),
                data={
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
                },
                source=account.source(_OPERATIONS, dynamodb, pages),
            )
