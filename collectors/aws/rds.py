"""RDS: database instances and Aurora clusters, with their resilience and encryption settings."""

from __future__ import annotations

from typing import Any

from annexa.collectors.aws.collector import AwsCollector
from annexa.collectors.aws.session import iso
from annexa.collectors.aws.spec import Detail, Listing

INSTANCE = "aws.rds.instance"
CLUSTER = "aws.rds.cluster"
# The parameter that makes the engine refuse connections without TLS (Amazon RDS User Guide: "Requiring an
# SSL/TLS connection" for PostgreSQL and SQL Server, require_secure_transport for MySQL and MariaDB).
# Oracle uses an option group and Aurora the cluster's parameter group: not read here, so unknown.
_TLS_PARAMETER = {
    "postgres": "rds.force_ssl",
    "sqlserver": "rds.force_ssl",
    "mysql": "require_secure_transport",
    "mariadb": "require_secure_transport",
}


def _tls_name(db: dict[str, Any]) -> str | None:
    if db.get("DBClusterIdentifier"):
        return None
    engine = str(db.get("Engine") or "")
    return next((name for prefix, name in _TLS_PARAMETER.items() if engine.startswith(prefix)), None)


def _tls(db: dict[str, Any], parameters: list[dict[str, Any]] | None) -> dict[str, Any]:
    """`tls_parameter` (name, value, source) when the instance's parameter group states the value; left out
    when it does not (the engine default is version-dependent: rds.force_ssl is on from PostgreSQL 15), so a
    rule reading it says `error` rather than guess."""
    name = _tls_name(db)
    found = next((p for p in parameters or [] if p.get("ParameterName") == name and "ParameterValue" in p), None)
    if found is None:
        return {}
    return {"tls_parameter": {"name": name, "value": found["ParameterValue"], "source": found.get("Source")}}


def _instance(db: dict[str, Any], parameters: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {
        **_tls(db, parameters),
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
      `auto_minor_version_upgrade`, `iam_auth`, and `tls_parameter` (`name`, `value`,
      `source`: `rds.force_ssl` or `require_secure_transport` from the instance's DB
      parameter group, read with DescribeDBParameters for a standalone PostgreSQL, SQL
      Server, MySQL or MariaDB instance; left out when the group states no value).
    - `aws.rds.cluster` (cluster ARN): the same protection settings for Aurora and
      Multi-AZ DB clusters (`multi_az`, `storage_encrypted`, `backup_retention_days`,
      `deletion_protection`, `members`).
    """

    name = "aws.rds"
    specs = (
        Listing(
            INSTANCE,
            "rds",
            "DescribeDBInstances",
            "DBInstances",
            resource="DBInstanceArn",
            data=_instance,
            details=(
                Detail(
                    "DescribeDBParameters",
                    lambda db: {"DBParameterGroupName": db["DBParameterGroups"][0]["DBParameterGroupName"]},
                    key="Parameters",
                    when=lambda db: _tls_name(db) is not None and bool(db.get("DBParameterGroups")),
                ),
            ),
        ),
        Listing(CLUSTER, "rds", "DescribeDBClusters", "DBClusters", resource="DBClusterArn", data=_cluster),
    )
