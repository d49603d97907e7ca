"""EC2: security group ingress, EBS encryption by default, and EBS volumes."""

from __future__ import annotations

from collections.abc import Iterator

from annexa.collectors.aws.collector import AwsCollector
from annexa.collectors.aws.errors import AwsCallError
from annexa.collectors.aws.ingress import normalise_permissions, open_to_world_ports
from annexa.collectors.aws.session import AwsAccount, call, paginate, tag_dict
from annexa.model import CollectionError, Fact

SECURITY_GROUP = "aws.ec2.security_group"
EBS_DEFAULT_ENCRYPTION = "aws.ec2.ebs_default_encryption"
VOLUME = "aws.ec2.volume"
INSTANCE = "aws.ec2.instance"


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
    kinds = (SECURITY_GROUP, EBS_DEFAULT_ENCRYPTION, VOLUME, INSTANCE)
    permissions = (
        "ec2:DescribeSecurityGroups",
        "ec2:GetEbsEncryptionByDefault",
        "ec2:DescribeVolumes",
        "ec2:DescribeInstances",
    )

    def collect_unit(self, account: AwsAccount, region: str) -> Iterator[Fact | CollectionError]:
        yield from self._security_groups(account, region)
        yield self._ebs_default_encryption(account, region)
        yield from self._volumes(account, region)
        yield from self._instances(account, region)

    @staticmethod
    def _arn(account: AwsAccount, region: str, resource: str) -> str:
        return f"arn:{account.partition}:ec2:{region}:{account.account_id}:{resource}"

    def _security_groups(self, account: AwsAccount, region: str) -> Iterator[Fact | CollectionError]:
        ec2 = account.client("ec2", region)
        try:
            groups, pages = paginate(ec2, "describe_security_groups", "SecurityGroups")
        except AwsCallError as exc:
            yield exc.to_collection_error((SECURITY_GROUP,), account.scope(region))
            return
        for group in groups:
            ingress = normalise_permissions(group.get("IpPermissions", []))
            yield Fact(
                kind=SECURITY_GROUP,
                resource=self._arn(account, region, f"security-group/{group['GroupId']}"),
                scope=account.scope(region),
                data={
                    "group_id": group["GroupId"],
                    "group_name": group.get("GroupName"),
                    "vpc_id": group.get("VpcId"),
                    "description": group.get("Description"),
                    "ingress": ingress,
                    "open_to_world_ports": open_to_world_ports(ingress),
                    "tags": tag_dict(group.get("Tags")),
                },
                source=account.source(["ec2:DescribeSecurityGroups"], ec2, pages),
            )

    @staticmethod
    def _ebs_default_encryption(account: AwsAccount, region: str) -> Fact | CollectionError:
        ec2 = account.client("ec2", region)
        resource = f"{account.account_id}:{region}"
        try:
            response = call(ec2, "get_ebs_encryption_by_default")
        except AwsCallError as exc:
            return exc.to_collection_error((EBS_DEFAULT_ENCRYPTION,), account.scope(region), resource)
        return Fact(
            kind=EBS_DEFAULT_ENCRYPTION,
            resource=resource,
            scope=account.scope(region),
            data={"enabled": bool(response["EbsEncryptionByDefault"])},
            source=account.source(["ec2:GetEbsEncryptionByDefault"], ec2),
        )

    def _volumes(self, account: AwsAccount, region: str) -> Iterator[Fact | CollectionError]:
        ec2 = account.client("ec2", region)
        try:
            volumes, pages = paginate(ec2, "describe_volumes", "Volumes")
        except AwsCallError as exc:
            yield exc.to_collection_error((VOLUME,), account.scope(region))
            return
        for volume in volumes:
            yield Fact(
                kind=VOLUME,
                resource=self._arn(account, region, f"volume/{volume['VolumeId']}"),
                scope=account.scope(region),
                data={
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
                },
                source=account.source(["ec2:DescribeVolumes"], ec2, pages),
            )

    def _instances(self, account: AwsAccount, region: str) -> Iterator[Fact | CollectionError]:
        ec2 = account.client("ec2", region)
        try:
            reservations, pages = paginate(ec2, "describe_instances", "Reservations")
        except AwsCallError as exc:
            yield exc.to_collection_error((INSTANCE,), account.scope(region))
            return
        for instance in (i for r in reservations for i in r.get("Instances", [])):
            metadata = instance.get("MetadataOptions") or {}
            yield Fact(
                kind=INSTANCE,
                resource=self._arn(account, region, f"instance/{instance['InstanceId']}"),
                scope=account.scope(region),
                data={
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
                },
                source=account.source(["ec2:DescribeInstances"], ec2, pages),
            )
