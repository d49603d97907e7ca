"""EC2: security group ingress, EBS encryption by default, EBS volumes and instances."""

from __future__ import annotations

from typing import Any

from annexa.collectors.aws.collector import AwsCollector
from annexa.collectors.aws.ingress import normalise_permissions, open_to_world_ports
from annexa.collectors.aws.session import tag_dict
from annexa.collectors.aws.spec import Detail, Listing, Setting, arn

SECURITY_GROUP = "aws.ec2.security_group"
EBS_DEFAULT_ENCRYPTION = "aws.ec2.ebs_default_encryption"
VOLUME = "aws.ec2.volume"
INSTANCE = "aws.ec2.instance"


def _security_group(group: dict[str, Any]) -> dict[str, Any]:
    ingress = normalise_permissions(group.get("IpPermissions", []))
    return {
        "group_id": group["GroupId"],
        "group_name": group.get("GroupName"),
        "vpc_id": group.get("VpcId"),
        "description": group.get("Description"),
        "ingress": ingress,
        "open_to_world_ports": open_to_world_ports(ingress),
        "tags": tag_dict(group.get("Tags")),
    }


def _volume(volume: dict[str, Any]) -> dict[str, Any]:
    return {
        "volume_id": volume["VolumeId"],
        "encrypted": bool(volume.get("Encrypted")),
        "kms_key_id": volume.get("KmsKeyId"),
        "state": volume.get("State"),
        "size_gib": volume.get("Size"),
        "volume_type": volume.get("VolumeType"),
        "availability_zone": volume.get("AvailabilityZone"),
        "attachments": [
            {"instance_id": a.get("InstanceId"), "device": a.get("Device"), "state": a.get("State")}
            for a in volume.get("Attachments", [])
        ],
        "tags": tag_dict(volume.get("Tags")),
    }


def _instance(instance: dict[str, Any]) -> dict[str, Any]:
    metadata = instance.get("MetadataOptions") or {}
    return {
        "instance_id": instance["InstanceId"],
        "state": (instance.get("State") or {}).get("Name"),
        "image_id": instance.get("ImageId"),
        "http_tokens": metadata.get("HttpTokens"),
        "http_endpoint": metadata.get("HttpEndpoint"),
        "public_ip": instance.get("PublicIpAddress"),
        "vpc_id": instance.get("VpcId"),
        "subnet_id": instance.get("SubnetId"),
        "iam_instance_profile": (instance.get("IamInstanceProfile") or {}).get("Arn"),
        "tags": tag_dict(instance.get("Tags")),
    }


class Ec2Collector(AwsCollector):
    """Network and storage evidence for EC2 in each configured region.

    - `aws.ec2.security_group` (group ARN): `group_id`, `group_name`, `vpc_id`,
      `description`, `ingress` (per permission: protocol, from/to port with null = all
      ports, IPv4/IPv6 CIDRs, prefix lists, source groups), `open_to_world_ports`
      (which of 22, 3389, 3306, 5432, 1433, 1521, 27017, 6379, 9200 are reachable from
      0.0.0.0/0 or ::/0, port ranges and "all traffic" included) and `tags`.
    - `aws.ec2.ebs_default_encryption` (`<account>:<region>`): `enabled`, whether new
      volumes in the region are encrypted by default.
    - `aws.ec2.volume` (volume ARN): `volume_id`, `encrypted`, `kms_key_id`, `state`,
      `size_gib`, `volume_type`, `availability_zone`, `attachments` and `tags`.
    - `aws.ec2.instance` (instance ARN): `instance_id`, `state`, `image_id`,
      `http_tokens` (`required` = IMDSv2 only), `http_endpoint`, `public_ip`, `vpc_id`,
      `subnet_id`, `iam_instance_profile` and `tags`.
    """

    name = "aws.ec2"
    specs = (
        Listing(
            SECURITY_GROUP,
            "ec2",
            "DescribeSecurityGroups",
            "SecurityGroups",
            arn("ec2", "security-group/{GroupId}"),
            _security_group,
        ),
        Setting(
            EBS_DEFAULT_ENCRYPTION,
            "ec2",
            (Detail("GetEbsEncryptionByDefault", key="EbsEncryptionByDefault"),),
            data=lambda enabled: {"enabled": bool(enabled)},
        ),
        Listing(VOLUME, "ec2", "DescribeVolumes", "Volumes", arn("ec2", "volume/{VolumeId}"), _volume),
        Listing(
            INSTANCE,
            "ec2",
            "DescribeInstances",
            "Reservations[].Instances[]",
            arn("ec2", "instance/{InstanceId}"),
            _instance,
        ),
    )
