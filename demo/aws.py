"""A fake AWS account for `annexa demo` and the tests: a realistic mix of good and bad settings.

`seed(session)` creates the resources through ordinary boto3 calls, so it works both
in-process under `moto.mock_aws()` and against a `moto_server` reached through
`AWS_ENDPOINT_URL`. It returns, for every seeded resource, the status each rule of
`mappings/rules/aws.yaml` must produce, so tests and the demo can check the whole flow.

Never point this at a real account: it creates users, keys and open security groups.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Literal

import boto3

from annexa.demo.aws_services import seed_services

__all__ = ["Expectation", "MOTO_UNSUPPORTED", "seed"]

# Collectors whose APIs moto does not model (SSM compliance summaries; GuardDuty threat intelligence sets
# and findings, Macie findings): the demo and the moto-backed tests leave them out; their tests
# (tests/collectors/aws/test_ssm.py, test_findings.py) cover them with Stubber. moto models Auto Scaling,
# but a group created in one mock_aws session changes the ids moto hands out in the next sessions of the
# same process, so two demos in one process would drift: test_capacity.py covers it on botocore's examples.
MOTO_UNSUPPORTED = ("aws.ssm", "aws.findings", "aws.autoscaling")

Status = Literal["pass", "fail"]


@dataclass(frozen=True)
class Expectation:
    """The status `rule` must give `resource` after collecting the seeded account."""

    rule: str
    resource: str
    status: Status


class _Expectations(list[Expectation]):
    def add(self, resource: str, statuses: dict[str, Status]) -> None:
        self.extend(Expectation(rule, resource, status) for rule, status in statuses.items())


def seed(session: boto3.Session, region: str = "us-east-1") -> list[Expectation]:
    """Create the demo resources in the account `session` reaches and return the expected results."""
    identity = session.client("sts", region_name=region).get_caller_identity()
    account, partition = identity["Account"], identity["Arn"].split(":")[1]
    expected = _Expectations()
    _seed_iam(session.client("iam", region_name=region), account, expected)
    key_arn = _seed_kms(session.client("kms", region_name=region), expected)
    audit_bucket, legacy_bucket = _seed_s3(
        session.client("s3", region_name=region), region, account, partition, expected
    )
    cloudtrail = session.client("cloudtrail", region_name=region)
    _seed_cloudtrail(cloudtrail, audit_bucket, legacy_bucket, key_arn, account, expected)
    _seed_ec2(session.client("ec2", region_name=region), region, account, partition, key_arn, expected)
    seed_services(session, region, account, expected, trail_name="org-audit", key_arn=key_arn)
    return list(expected)


def _seed_iam(iam: Any, account: str, expected: _Expectations) -> None:
    iam.update_account_password_policy(MinimumPasswordLength=8, RequireSymbols=False)
    expected.add(
        f"{account}:global",
        {"aws.iam.password-policy-min-length": "fail", "aws.iam.password-policy-reuse-prevention": "fail"},
    )
    expected.add(
        f"{account}:root",
        {"aws.iam.root-mfa": "fail", "aws.iam.root-no-access-keys": "pass", "aws.iam.root-not-used": "pass"},
    )

    alice = iam.create_user(UserName="alice")["User"]["Arn"]  # console user without MFA
    iam.create_login_profile(UserName="alice", Password="Demo-Passw0rd-alice")
    expected.add(
        alice,
        {
            "aws.iam.console-users-mfa": "fail",
            "aws.iam.inactive-console-passwords": "pass",
            "aws.iam.no-star-inline-policies": "pass",
        },
    )

    bob = iam.create_user(UserName="bob")["User"]["Arn"]  # console user with a virtual MFA device
    iam.create_login_profile(UserName="bob", Password="Demo-Passw0rd-bob")
    serial = iam.create_virtual_mfa_device(VirtualMFADeviceName="bob")["VirtualMFADevice"]["SerialNumber"]
    iam.enable_mfa_device(
        UserName="bob", SerialNumber=serial, AuthenticationCode1="123456", AuthenticationCode2="654321"
    )
    expected.add(
        bob,
        {
            "aws.iam.console-users-mfa": "pass",
            "aws.iam.inactive-console-passwords": "pass",
            "aws.iam.no-star-inline-policies": "pass",
        },
    )

    ci = iam.create_user(UserName="ci-deploy")["User"]["Arn"]  # programmatic user with a fresh key
    iam.create_access_key(UserName="ci-deploy")
    everything = {"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"}}
    iam.put_user_policy(UserName="ci-deploy", PolicyName="deploy-anything", PolicyDocument=json.dumps(everything))
    expected.add(
        ci,
        {
            "aws.iam.access-keys-rotated": "pass",
            "aws.iam.unused-access-keys": "pass",
            "aws.iam.no-star-inline-policies": "fail",
        },
    )

    admin = iam.create_policy(
        PolicyName="AdminEverything",
        PolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
        ),
    )["Policy"]["Arn"]
    iam.attach_user_policy(UserName="alice", PolicyArn=admin)
    expected.add(admin, {"aws.iam.no-star-admin-policies": "fail"})

    reports = iam.create_policy(
        PolicyName="ReportsReadOnly",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": "arn:aws:s3:::annexa-demo-records/*"}
                ],
            }
        ),
    )["Policy"]["Arn"]
    iam.attach_user_policy(UserName="bob", PolicyArn=reports)
    expected.add(reports, {"aws.iam.no-star-admin-policies": "pass"})


def _seed_kms(kms: Any, expected: _Expectations) -> str:
    rotated = kms.create_key(Description="annexa demo: records encryption")["KeyMetadata"]["Arn"]
    kms.enable_key_rotation(KeyId=rotated)
    expected.add(rotated, {"aws.kms.key-rotation": "pass"})
    unrotated = kms.create_key(Description="annexa demo: legacy key, never rotated")["KeyMetadata"]["Arn"]
    expected.add(unrotated, {"aws.kms.key-rotation": "fail"})
    return rotated


def _create_bucket(s3: Any, name: str, region: str, **options: Any) -> None:
    if region == "us-east-1":  # us-east-1 rejects an explicit LocationConstraint
        s3.create_bucket(Bucket=name, **options)
    else:
        s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": region}, **options)


def _tag(s3: Any, bucket: str, **tags: str) -> None:
    s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": [{"Key": k, "Value": v} for k, v in tags.items()]})


_OWNED = {"owner": "platform-team", "data-classification": "confidential"}


_BLOCK_ALL = {
    "BlockPublicAcls": True,
    "IgnorePublicAcls": True,
    "BlockPublicPolicy": True,
    "RestrictPublicBuckets": True,
}


def _seed_s3(s3: Any, region: str, account: str, partition: str, expected: _Expectations) -> tuple[str, str]:
    arn = f"arn:{partition}:s3:::{{}}".format
    audit = "annexa-demo-audit-logs"  # receives access logs and CloudTrail logs; is not itself logged
    _create_bucket(s3, audit, region, ObjectLockEnabledForBucket=True)
    s3.put_bucket_policy(
        Bucket=audit,
        Policy=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"Service": "logging.s3.amazonaws.com"},
                        "Action": ["s3:PutObject"],
                        "Resource": f"{arn(audit)}/*",
                        "Condition": {"StringEquals": {"aws:SourceAccount": account}},
                    },
                    {  # the S3 User Guide's "enforce encryption in transit" statement
                        "Sid": "DenyInsecureTransport",
                        "Effect": "Deny",
                        "Principal": "*",
                        "Action": "s3:*",
                        "Resource": [arn(audit), f"{arn(audit)}/*"],
                        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                    },
                ],
            }
        ),
    )
    # Logs are kept 400 days, locked against deletion for that long, then expired.
    s3.put_object_lock_configuration(
        Bucket=audit,
        ObjectLockConfiguration={
            "ObjectLockEnabled": "Enabled",
            "Rule": {"DefaultRetention": {"Mode": "COMPLIANCE", "Days": 400}},
        },
    )
    s3.put_bucket_lifecycle_configuration(
        Bucket=audit,
        LifecycleConfiguration={
            "Rules": [{"ID": "expire-logs", "Status": "Enabled", "Filter": {"Prefix": ""}, "Expiration": {"Days": 400}}]
        },
    )
    _tag(s3, audit, **_OWNED)
    _encrypt(s3, audit, "AES256")
    s3.put_public_access_block(Bucket=audit, PublicAccessBlockConfiguration=_BLOCK_ALL)
    s3.put_bucket_versioning(Bucket=audit, VersioningConfiguration={"Status": "Enabled"})
    expected.add(
        arn(audit),
        {
            **_bucket_statuses(encryption="pass", block="pass", versioning="pass", logging="fail"),
            **_inventory_statuses(tls="pass", owner="pass", classification="pass"),
            "aws.s3.log-bucket-object-lock": "pass",
            "aws.s3.log-bucket-expires-logs": "pass",
        },
    )

    records = "annexa-demo-records"  # the compliant one
    _create_bucket(s3, records, region)
    _encrypt(s3, records, "aws:kms")
    s3.put_public_access_block(Bucket=records, PublicAccessBlockConfiguration=_BLOCK_ALL)
    s3.put_bucket_versioning(Bucket=records, VersioningConfiguration={"Status": "Enabled"})
    s3.put_bucket_logging(
        Bucket=records, BucketLoggingStatus={"LoggingEnabled": {"TargetBucket": audit, "TargetPrefix": f"{records}/"}}
    )
    _tag(s3, records, **_OWNED)
    expected.add(
        arn(records),
        {
            **_bucket_statuses(encryption="pass", block="pass", versioning="pass", logging="pass"),
            **_inventory_statuses(tls="fail", owner="pass", classification="pass"),
        },
    )

    legacy = "annexa-demo-legacy-exports"  # nothing configured; a secret-looking tag tests central redaction
    _create_bucket(s3, legacy, region)
    s3.put_bucket_tagging(
        Bucket=legacy,
        Tagging={"TagSet": [{"Key": "owner", "Value": "data-team"}, {"Key": "db_password", "Value": "Sup3rS3cret!"}]},
    )
    expected.add(
        arn(legacy),
        {
            **_bucket_statuses(encryption="fail", block="fail", versioning="fail", logging="fail"),
            **_inventory_statuses(tls="fail", owner="pass", classification="fail"),
        },
    )

    assets = "annexa-demo-web-assets"  # half-done: public policies still allowed, versioning suspended
    _create_bucket(s3, assets, region)
    _encrypt(s3, assets, "AES256")
    s3.put_public_access_block(
        Bucket=assets,
        PublicAccessBlockConfiguration={**_BLOCK_ALL, "BlockPublicPolicy": False, "RestrictPublicBuckets": False},
    )
    s3.put_bucket_versioning(Bucket=assets, VersioningConfiguration={"Status": "Enabled"})
    s3.put_bucket_versioning(Bucket=assets, VersioningConfiguration={"Status": "Suspended"})
    expected.add(
        arn(assets),
        {
            **_bucket_statuses(encryption="pass", block="fail", versioning="fail", logging="fail"),
            **_inventory_statuses(tls="fail", owner="fail", classification="fail"),
        },
    )

    # No account-level public access block: every bucket relies on its own settings.
    expected.add(f"{account}:global", {"aws.s3.account-public-access-block": "fail"})
    return audit, legacy


def _encrypt(s3: Any, bucket: str, algorithm: str) -> None:
    s3.put_bucket_encryption(
        Bucket=bucket,
        ServerSideEncryptionConfiguration={
            "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": algorithm}}]
        },
    )


def _inventory_statuses(tls: Status, owner: Status, classification: Status) -> dict[str, Status]:
    return {
        "aws.s3.bucket-tls-only": tls,
        "aws.s3.bucket-owner-tag": owner,
        "aws.s3.bucket-classification-tag": classification,
    }


def _bucket_statuses(encryption: Status, block: Status, versioning: Status, logging: Status) -> dict[str, Status]:
    return {
        "aws.s3.bucket-encryption": encryption,
        "aws.s3.bucket-public-access-block": block,
        "aws.s3.bucket-versioning": versioning,
        "aws.s3.bucket-access-logging": logging,
    }


def _seed_cloudtrail(
    cloudtrail: Any, bucket: str, legacy_bucket: str, key_arn: str, account: str, expected: _Expectations
) -> None:
    audit = cloudtrail.create_trail(
        Name="org-audit", S3BucketName=bucket, IsMultiRegionTrail=True, EnableLogFileValidation=True, KmsKeyId=key_arn
    )["TrailARN"]
    cloudtrail.start_logging(Name="org-audit")
    # AWS gives a new trail a selector for all management events; moto gives none, so set it as AWS does.
    selector = {"ReadWriteType": "All", "IncludeManagementEvents": True, "DataResources": []}
    cloudtrail.put_event_selectors(TrailName="org-audit", EventSelectors=[selector])
    expected.add(audit, _trail_statuses("pass"))
    # never started, and delivering to the legacy bucket: no Object Lock, no expiry
    legacy = cloudtrail.create_trail(Name="legacy-trail", S3BucketName=legacy_bucket)["TrailARN"]
    expected.add(legacy, _trail_statuses("fail"))
    expected.add(f"{account}:global", {"aws.cloudtrail.multi-region-trail": "pass"})


def _trail_statuses(status: Status) -> dict[str, Status]:
    return {
        "aws.cloudtrail.trail-log-validation": status,
        "aws.cloudtrail.trail-kms-encryption": status,
        "aws.cloudtrail.trail-logging": status,
        "aws.cloudtrail.trail-bucket-object-lock": status,
        "aws.cloudtrail.trail-bucket-expires-logs": status,
    }


def _seed_ec2(ec2: Any, region: str, account: str, partition: str, key_arn: str, expected: _Expectations) -> None:
    arn = f"arn:{partition}:ec2:{region}:{account}:{{}}".format
    vpc = ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"][0]["VpcId"]

    def group(name: str, permissions: list[dict[str, Any]]) -> str:
        group_id = ec2.create_security_group(GroupName=name, Description=f"annexa demo: {name}", VpcId=vpc)["GroupId"]
        ec2.authorize_security_group_ingress(GroupId=group_id, IpPermissions=permissions)
        return arn(f"security-group/{group_id}")

    def tcp(from_port: int, to_port: int, cidr: str) -> dict[str, Any]:
        return {"IpProtocol": "tcp", "FromPort": from_port, "ToPort": to_port, "IpRanges": [{"CidrIp": cidr}]}

    ssh = group("bastion-ssh-open", [tcp(22, 22, "0.0.0.0/0"), tcp(443, 443, "0.0.0.0/0")])
    expected.add(ssh, _port_statuses(admin="fail", database="pass"))
    db = group("db-internal", [tcp(5432, 5432, "10.0.0.0/16")])
    expected.add(db, _port_statuses(admin="pass", database="pass"))
    mongo = group("analytics-mongo", [tcp(27000, 28000, "0.0.0.0/0")])  # a range that covers 27017
    expected.add(mongo, _port_statuses(admin="pass", database="fail"))
    anything = group("legacy-allow-all-v6", [{"IpProtocol": "-1", "Ipv6Ranges": [{"CidrIpv6": "::/0"}]}])
    expected.add(anything, _port_statuses(admin="fail", database="fail"))

    expected.add(f"{account}:{region}", {"aws.ec2.ebs-default-encryption": "fail"})  # off unless enabled
    zone = f"{region}a"
    plain = ec2.create_volume(AvailabilityZone=zone, Size=8, VolumeType="gp3")["VolumeId"]
    expected.add(
        arn(f"volume/{plain}"),
        {
            "aws.ec2.volume-encryption": "fail",
            "aws.ec2.volume-owner-tag": "fail",
            "aws.ec2.volume-classification-tag": "fail",
        },
    )
    tags = [{"ResourceType": "volume", "Tags": [{"Key": k, "Value": v} for k, v in _OWNED.items()]}]
    sealed = ec2.create_volume(
        AvailabilityZone=zone, Size=8, VolumeType="gp3", Encrypted=True, KmsKeyId=key_arn, TagSpecifications=tags
    )["VolumeId"]
    expected.add(
        arn(f"volume/{sealed}"),
        {
            "aws.ec2.volume-encryption": "pass",
            "aws.ec2.volume-owner-tag": "pass",
            "aws.ec2.volume-classification-tag": "pass",
        },
    )
    leaked = ec2.create_snapshot(VolumeId=plain, Description="annexa demo: shared with everyone")["SnapshotId"]
    ec2.modify_snapshot_attribute(
        SnapshotId=leaked, Attribute="createVolumePermission", OperationType="add", GroupNames=["all"]
    )
    expected.add(
        arn(f"snapshot/{leaked}"), {"aws.snapshots.ebs-not-public": "fail", "aws.snapshots.ebs-encrypted": "fail"}
    )
    kept = ec2.create_snapshot(VolumeId=sealed, Description="annexa demo: private, encrypted")["SnapshotId"]
    expected.add(
        arn(f"snapshot/{kept}"), {"aws.snapshots.ebs-not-public": "pass", "aws.snapshots.ebs-encrypted": "pass"}
    )


def _port_statuses(admin: Status, database: Status) -> dict[str, Status]:
    return {"aws.ec2.security-group-admin-ports": admin, "aws.ec2.security-group-database-ports": database}
