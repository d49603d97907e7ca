"""RDS: database instances and Aurora clusters, with their resilience and encryption settings."""

from __future__ import annotations

from typing import Any

from annexa.collectors.aws.collector import AwsCollector
from annexa.collectors.aws.session import iso
from annexa.collectors.aws.spec import Listing

INSTANCE = "aws.rds.instance"
CLUSTER = "aws.rds.cluster"


def _instance(db: dict[str, Any]) -> dict[str, Any]:
    return {
        "identifier": db["DBInstanceIdentifier"],
        "engine": db.get("Engine"),
        "engine_version": db.get("EngineVersion"),
        "cluster": db.get("DBClusterIdentifier"),
        "storage_encrypted": bool(db.get("StorageEncrypted")),
        "kms_key_id": db.get("KmsKeyId"),
        "backup_retention_days": db.get("BackupRetentionPeriod", 0),
        "latest_restorable_time": iso(db.get("LatestRestorableTime")),
        "multi_az": bool(db.get("MultiAZ")),
        "publicly_accessible": bool(db.get("PubliclyAccessible")),
        "deletion_protection": bool(db.get("DeletionProtection")),
        "auto_minor_version_upgrade": bool(db.get("AutoMinorVersionUpgrade")),
        "iam_auth": bool(db.get("IAMDatabaseAuthenticationEnabled")),
    }


def _cluster(cluster: dict[str, Any]) -> dict[str, Any]:
    return {
        "identifier": cluster["DBClusterIdentifier"],
        "engine": cluster.get("Engine"),
        "storage_encrypted": bool(cluster.get("StorageEncrypted")),
        "kms_key_id": cluster.get("KmsKeyId"),
        "backup_retention_days": cluster.get("BackupRetentionPeriod", 0),
        "multi_az": bool(cluster.get("MultiAZ")),
        "deletion_protection": bool(cluster.get("DeletionProtection")),
        "members": sorted(m["DBInstanceIdentifier"] for m in cluster.get("DBClusterMembers", [])),
    }


class RdsCollector(AwsCollector):
    """Database evidence (A.8.13, A.8.14, A.8.24, A.8.20) for each configured region.

    - `aws.rds.instance` (instance ARN): `identifier`, `engine`, `engine_version`,
      `cluster` (null for a standalone instance), `storage_encrypted`, `kms_key_id`,
      `backup_retention_days` (0 = automated backups and point-in-time recovery off),
      `latest_restorable_time`, `multi_az`, `publicly_accessible`, `deletion_protection`,
      `auto_minor_version_upgrade`, `iam_auth`.
    - `aws.rds.cluster` (cluster ARN): the same protection settings for Aurora and
      Multi-AZ DB clusters (`multi_az`, `storage_encrypted`, `backup_retention_days`,
      `deletion_protection`, `members`).
    """

    name = "aws.rds"
    specs = (
        Listing(INSTANCE, "rds", "DescribeDBInstances", "DBInstances", resource="DBInstanceArn", data=_instance),
        Listing(CLUSTER, "rds", "DescribeDBClusters", "DBClusters", resource="DBClusterArn", data=_cluster),
    )
