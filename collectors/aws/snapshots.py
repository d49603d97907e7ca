"""Snapshots the account owns (EBS, RDS instance and cluster): whether encrypted, who may restore them."""

from __future__ import annotations

from typing import Any

from annexa.collectors.aws.collector import AwsCollector
from annexa.collectors.aws.session import iso
from annexa.collectors.aws.spec import Detail, Listing, arn

EBS_SNAPSHOT = "aws.snapshots.ebs"
RDS_SNAPSHOT = "aws.snapshots.rds"
RDS_CLUSTER_SNAPSHOT = "aws.snapshots.rds_cluster"


def _ebs(snapshot: dict[str, Any], permissions: list[dict[str, Any]] | None) -> dict[str, Any]:
    # createVolumePermission: Group "all" makes the snapshot public; UserId entries share it with accounts.
    permissions = permissions or []
    return {
        "snapshot_id": snapshot["SnapshotId"],
        "volume_id": snapshot.get("VolumeId"),
        "encrypted": bool(snapshot.get("Encrypted")),
        "kms_key_id": snapshot.get("KmsKeyId"),
        "started": iso(snapshot.get("StartTime")),
        "public": any(p.get("Group") == "all" for p in permissions),
        "shared_with": sorted(p["UserId"] for p in permissions if p.get("UserId")),
    }


def _restore(attributes: list[dict[str, Any]] | None) -> list[str]:
    """Who may restore an RDS snapshot: the `restore` attribute's values (`all` = public, else account ids)."""
    restore = next((a for a in attributes or [] if a.get("AttributeName") == "restore"), {})
    return sorted(restore.get("AttributeValues") or [])


def _rds(
    identifier: str, encrypted: str, snapshot: dict[str, Any], attributes: list[dict[str, Any]] | None
) -> dict[str, Any]:
    """`encrypted` names the flag: DBSnapshot says `Encrypted`, DBClusterSnapshot `StorageEncrypted`."""
    restorers = _restore(attributes)
    return {
        "identifier": snapshot[identifier],
        "snapshot_type": snapshot.get("SnapshotType"),
        "engine": snapshot.get("Engine"),
        "encrypted": bool(snapshot.get(encrypted)),
        "kms_key_id": snapshot.get("KmsKeyId"),
        "created": iso(snapshot.get("SnapshotCreateTime")),
        "public": "all" in restorers,
        "shared_with": [r for r in restorers if r != "all"],
    }


class SnapshotsCollector(AwsCollector):
    """Backup copies that can leak data (A.8.12, A.8.24), for each configured region.

    - `aws.snapshots.ebs` (snapshot ARN): EBS snapshots the account owns (DescribeSnapshots
      OwnerIds=self) with `snapshot_id`, `volume_id`, `encrypted`, `kms_key_id`, `started`,
      `public` (createVolumePermission names the group `all`) and `shared_with` (account ids),
      read per snapshot with DescribeSnapshotAttribute.
    - `aws.snapshots.rds` and `aws.snapshots.rds_cluster` (snapshot ARN): `identifier`,
      `snapshot_type`, `engine`, `encrypted`, `kms_key_id`, `created`, `public` (the `restore`
      attribute holds `all`) and `shared_with`, read per snapshot with
      DescribeDB(Cluster)SnapshotAttributes.
    """

    name = "aws.snapshots"
    specs = (
        Listing(
            EBS_SNAPSHOT,
            "ec2",
            "DescribeSnapshots",
            "Snapshots",
            arn("ec2", "snapshot/{SnapshotId}"),
            _ebs,
            params={"OwnerIds": ["self"]},
            # Only the account's own snapshots: OwnerIds=self asks for them, and an answer that holds
            # others (moto lists its AMIs' snapshots) must not make them this account's evidence.
            select=lambda snapshot, unit: snapshot.get("OwnerId") == unit.account_id,
            details=(
                Detail(
                    "DescribeSnapshotAttribute",
                    lambda s: {"SnapshotId": s["SnapshotId"], "Attribute": "createVolumePermission"},
                    key="CreateVolumePermissions",
                ),
            ),
        ),
        Listing(
            RDS_SNAPSHOT,
            "rds",
            "DescribeDBSnapshots",
            "DBSnapshots",
            "DBSnapshotArn",
            lambda s, attributes: _rds("DBSnapshotIdentifier", "Encrypted", s, attributes),
            details=(
                Detail(
                    "DescribeDBSnapshotAttributes",
                    lambda s: {"DBSnapshotIdentifier": s["DBSnapshotIdentifier"]},
                    key="DBSnapshotAttributesResult.DBSnapshotAttributes",
                ),
            ),
        ),
        Listing(
            RDS_CLUSTER_SNAPSHOT,
            "rds",
            "DescribeDBClusterSnapshots",
            "DBClusterSnapshots",
            "DBClusterSnapshotArn",
            lambda s, attributes: _rds("DBClusterSnapshotIdentifier", "StorageEncrypted", s, attributes),
            details=(
                Detail(
                    "DescribeDBClusterSnapshotAttributes",
                    lambda s: {"DBClusterSnapshotIdentifier": s["DBClusterSnapshotIdentifier"]},
                    key="DBClusterSnapshotAttributesResult.DBClusterSnapshotAttributes",
                ),
            ),
        ),
    )
