"""aws.snapshots (collectors/aws/snapshots.py): EBS, RDS and RDS cluster snapshots the account owns, whether
they are encrypted and whether anyone (`all`) may restore them."""

from __future__ import annotations

import dataclasses

from fakes.aws import REGION
from fakes.aws_api import assert_pages_and_errors, verdicts

from annexa.collectors.aws.snapshots import SnapshotsCollector


def test_reads_owned_snapshots_and_who_may_restore_them() -> None:
    assert SnapshotsCollector.kinds == ("aws.snapshots.ebs", "aws.snapshots.rds", "aws.snapshots.rds_cluster")
    assert SnapshotsCollector.permissions == (
        "ec2:DescribeSnapshots",
        "ec2:DescribeSnapshotAttribute",
        "rds:DescribeDBSnapshots",
        "rds:DescribeDBSnapshotAttributes",
        "rds:DescribeDBClusterSnapshots",
        "rds:DescribeDBClusterSnapshotAttributes",
    )


class _EveryOwner(SnapshotsCollector):
    """The modelled answers name no real owner: paging is checked without the owner selection, which
    test_public_and_unencrypted_ebs_snapshots checks on moto."""

    specs = tuple(dataclasses.replace(spec, select=None) for spec in SnapshotsCollector.specs)


def test_every_page_is_read_and_a_failed_call_is_error_evidence() -> None:
    assert_pages_and_errors(_EveryOwner())


def test_public_and_unencrypted_ebs_snapshots(mocked, run):
    ec2 = mocked.client("ec2")
    zone = f"{REGION}a"
    plain = ec2.create_volume(AvailabilityZone=zone, Size=8)["VolumeId"]
    sealed = ec2.create_volume(AvailabilityZone=zone, Size=8, Encrypted=True)["VolumeId"]
    public = ec2.create_snapshot(VolumeId=plain, Description="public and plain")["SnapshotId"]
    ec2.modify_snapshot_attribute(
        SnapshotId=public, Attribute="createVolumePermission", OperationType="add", GroupNames=["all"]
    )
    private = ec2.create_snapshot(VolumeId=sealed, Description="private and encrypted")["SnapshotId"]
    out = run(SnapshotsCollector())
    assert out.errors == []
    facts = {f.data["snapshot_id"]: f for f in out.of("aws.snapshots.ebs")}
    assert set(facts) == {public, private}  # not moto's AMI snapshots, owned by another account
    assert (facts[public].data["public"], facts[public].data["encrypted"]) == (True, False)
    assert (facts[private].data["public"], facts[private].data["encrypted"]) == (False, True)
    found = verdicts(out.facts)
    assert found[("aws.snapshots.ebs-not-public", facts[public].resource)] == "fail"
    assert found[("aws.snapshots.ebs-encrypted", facts[public].resource)] == "fail"
    assert found[("aws.snapshots.ebs-not-public", facts[private].resource)] == "pass"
    assert found[("aws.snapshots.ebs-encrypted", facts[private].resource)] == "pass"


def test_public_rds_snapshot(mocked, run):
    rds = mocked.client("rds")
    rds.create_db_instance(
        DBInstanceIdentifier="orders",
        DBInstanceClass="db.t3.micro",
        Engine="postgres",
        MasterUsername="admin",
        MasterUserPassword="Passw0rd-Passw0rd",
        AllocatedStorage=20,
        StorageEncrypted=True,
    )
    rds.create_db_snapshot(DBInstanceIdentifier="orders", DBSnapshotIdentifier="orders-shared")
    rds.modify_db_snapshot_attribute(
        DBSnapshotIdentifier="orders-shared", AttributeName="restore", ValuesToAdd=["all", "444455556666"]
    )
    rds.create_db_snapshot(DBInstanceIdentifier="orders", DBSnapshotIdentifier="orders-private")
    out = run(SnapshotsCollector())
    assert out.errors == []
    facts = {f.data["identifier"]: f for f in out.of("aws.snapshots.rds")}
    assert facts["orders-shared"].data["public"] is True
    assert facts["orders-shared"].data["shared_with"] == ["444455556666"]
    assert facts["orders-private"].data["public"] is False
    found = verdicts(out.facts)
    assert found[("aws.snapshots.rds-not-public", facts["orders-shared"].resource)] == "fail"
    assert found[("aws.snapshots.rds-not-public", facts["orders-private"].resource)] == "pass"
    assert found[("aws.snapshots.rds-encrypted", facts["orders-private"].resource)] == "pass"
