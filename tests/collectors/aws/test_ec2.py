"""aws.ec2: security group ingress, EBS default encryption, volumes."""

from __future__ import annotations

import pytest
from fakes.aws import ACCOUNT
from fakes.aws_api import assert_pages_and_errors

from annexa.collectors.aws.ec2 import Ec2Collector
from annexa.collectors.aws.ingress import normalise_permissions, open_to_world_ports


def _open(*permissions: dict) -> list[int]:
    return open_to_world_ports(normalise_permissions(list(permissions)))


@pytest.mark.parametrize(
    ("permission", "expected"),
    [
        ({"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}, [22]),
        ({"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "10.0.0.0/8"}]}, []),
        (
            {"IpProtocol": "tcp", "FromPort": 3000, "ToPort": 6000, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]},
            [3306, 3389, 5432],
        ),
        ({"IpProtocol": "udp", "FromPort": 3389, "ToPort": 3389, "Ipv6Ranges": [{"CidrIpv6": "::/0"}]}, [3389]),
        (
            {"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]},
            [22, 1433, 1521, 3306, 3389, 5432, 6379, 9200, 27017],
        ),
        ({"IpProtocol": "icmp", "FromPort": -1, "ToPort": -1, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}, []),
        ({"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}, []),
    ],
)
def test_open_to_world_ports(permission, expected):
    assert _open(permission) == expected


def test_security_groups_are_normalised(mocked, run):
    ec2 = mocked.client("ec2")
    group = ec2.create_security_group(GroupName="web", Description="web tier")["GroupId"]
    ec2.authorize_security_group_ingress(
        GroupId=group,
        IpPermissions=[
            {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]},
            {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "Ipv6Ranges": [{"CidrIpv6": "::/0"}]},
        ],
    )
    groups = run(Ec2Collector()).by_resource("aws.ec2.security_group")
    fact = groups[f"arn:aws:ec2:us-east-1:{ACCOUNT}:security-group/{group}"]
    assert fact.data["group_name"] == "web" and fact.data["open_to_world_ports"] == [22]
    assert sorted((r["from_port"], r["cidrs_v4"], r["cidrs_v6"]) for r in fact.data["ingress"]) == [
        (22, ["0.0.0.0/0"], []),
        (443, [], ["::/0"]),
    ]


def test_ebs_default_encryption_per_region(mocked, run):
    [off] = run(Ec2Collector()).of("aws.ec2.ebs_default_encryption")
    assert off.resource == f"{ACCOUNT}:us-east-1" and off.data == {"enabled": False}
    mocked.client("ec2").enable_ebs_encryption_by_default()
    [on] = run(Ec2Collector()).of("aws.ec2.ebs_default_encryption")
    assert on.data == {"enabled": True}


def test_volumes(mocked, run):
    ec2 = mocked.client("ec2")
    plain = ec2.create_volume(AvailabilityZone="us-east-1a", Size=4)["VolumeId"]
    sealed = ec2.create_volume(AvailabilityZone="us-east-1a", Size=4, Encrypted=True)["VolumeId"]
    volumes = run(Ec2Collector()).by_resource("aws.ec2.volume")
    prefix = f"arn:aws:ec2:us-east-1:{ACCOUNT}:volume/"
    assert volumes[prefix + plain].data["encrypted"] is False
    assert volumes[prefix + sealed].data["encrypted"] is True
    assert volumes[prefix + sealed].data["state"] == "available" and volumes[prefix + sealed].data["attachments"] == []


def test_denied_volume_listing_leaves_the_other_kinds(mocked, run, deny):
    deny("ec2", "DescribeVolumes")
    out = run(Ec2Collector())
    [error] = out.errors
    assert (error.kinds, error.operation, error.code) == (("aws.ec2.volume",), "ec2:DescribeVolumes", "AccessDenied")
    assert out.of("aws.ec2.security_group") and out.of("aws.ec2.ebs_default_encryption")


def test_reads_security_groups_ebs_default_encryption_volumes_and_instances() -> None:
    assert Ec2Collector.kinds == (
        "aws.ec2.security_group",
        "aws.ec2.ebs_default_encryption",
        "aws.ec2.volume",
        "aws.ec2.instance",
    )
    assert Ec2Collector.permissions == (
        "ec2:DescribeSecurityGroups",
        "ec2:GetEbsEncryptionByDefault",
        "ec2:DescribeVolumes",
        "ec2:DescribeInstances",
    )


def test_every_page_is_read_and_a_failed_call_is_error_evidence() -> None:
    assert_pages_and_errors(Ec2Collector())
