"""Annexa's AWS rules judged on another scanner's test scenarios.

Prowler (github.com/prowler-cloud/prowler, mirror at commit 3e000faa) tests each AWS check with moto:
`tests/providers/aws/services/<service>/<check>/<check>_test.py` builds resources and asserts PASS or
FAIL. Each scenario below rebuilds the resources one such test creates, runs annexa's real collector
over moto and evaluates annexa's built-in rule with the same meaning; the verdict must be Prowler's.
Scenarios name their source as `<check>::<test function>`.

Where Prowler's test sets a value on its service object instead of in moto (the credential report
rows of IAM users), the scenario puts the same value into the credential report moto returns, so
annexa's own parsing still runs. Where annexa and Prowler disagree, `expected` is annexa's verdict
and `why` gives the documented reason (annexa errs toward fail, never toward pass).

Not ported, because moto cannot model them: the root user's MFA and access keys (Prowler overrides
the `<root_account>` credential report row, which moto's report does not have; annexa reads
GetAccountSummary for both), Prowler's "access denied" tests (its service object set to None; annexa's
own fault tests cover denied calls), and the `scan_unused_services`/muting variants (Prowler options).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

import boto3
import pytest
import structlog
from botocore.client import BaseClient
from fakes.aws import ACCOUNT, collect, instance

from annexa.collectors.aws.cloudtrail import CloudTrailCollector
from annexa.collectors.aws.dynamodb import DynamoDbCollector
from annexa.collectors.aws.ec2 import Ec2Collector
from annexa.collectors.aws.efs import EfsCollector
from annexa.collectors.aws.eks import EksCollector
from annexa.collectors.aws.guardduty import GuardDutyCollector
from annexa.collectors.aws.iam import IamCollector
from annexa.collectors.aws.kms import KmsCollector
from annexa.collectors.aws.logs import LogsCollector
from annexa.collectors.aws.rds import RdsCollector
from annexa.collectors.aws.s3 import S3Collector
from annexa.collectors.aws.snapshots import SnapshotsCollector
from annexa.collectors.aws.vpc import VpcCollector
from annexa.collectors.base import Collector, Context, Target
from annexa.collectors.registry import load_registry
from annexa.mappings.catalog import load_catalog
from annexa.mappings.evaluate import evaluate
from annexa.mappings.rules import builtin_rule_files, load_rules

US, EU = "us-east-1", "eu-west-1"
PROWLER = "tests/providers/aws/services"
Seed = Callable[[boto3.Session, pytest.MonkeyPatch], str]


@dataclass(frozen=True)
class Scenario:
    source: str  # Prowler's `<check>::<test function>`
    rule: str  # annexa's rule with the same meaning
    collector: type[Collector]
    seed: Seed  # builds Prowler's resources; returns text naming the resource judged
    prowler: str  # Prowler's expected status, lower case
    expected: str | None = None  # annexa's verdict where it differs from Prowler's
    why: str = ""  # the documented reason annexa differs
    regions: tuple[str, ...] = (US,)


def _judge(scenario: Scenario, session: boto3.Session, monkeypatch: pytest.MonkeyPatch) -> str:
    """Seed moto, collect with annexa's collector and return the rule's status on the resource named."""
    needle = scenario.seed(session, monkeypatch)
    target = Target("aws", {"regions": list(scenario.regions)}, 0)
    out = collect([instance(scenario.collector)], target, Context(run_id="test", log=structlog.get_logger()))
    registry = load_registry()
    files = [path for path in builtin_rule_files() if path.name == "aws.yaml"]
    rules = [r for r in load_rules(files, registry.kinds(), set(load_catalog().ids())) if r.id == scenario.rule]
    assert rules, f"no rule {scenario.rule}"
    results = evaluate(out.facts, out.errors, rules, datetime.now(timezone.utc), set(scenario.collector.kinds))
    judged = [r for r in results if needle in (r.resource or "")]
    if not judged and [(r.resource, r.status) for r in results] == [("-", "not_applicable")]:
        return "not_applicable"  # nothing in scope of the rule: one result for the whole rule
    assert len(judged) == 1, f"{scenario.rule} on {needle!r}: {[(r.resource, r.status) for r in results]}"
    return judged[0].status


# --- helpers that build what Prowler's tests build ----------------------------------------------------


def _days_ago(days: int) -> str:
    return (datetime.now(timezone.utc) - timedelta(days=days)).replace(microsecond=0).isoformat()


def _report_says(monkeypatch: pytest.MonkeyPatch, user: str, **columns: str) -> None:
    """The credential report moto returns, with `user`'s row columns set as Prowler's test sets them
    on its parsed report (moto's report has no login or key usage history to set them from)."""
    real = BaseClient._make_api_call

    def make_api_call(client: BaseClient, name: str, params: dict[str, Any]) -> Any:
        answer = real(client, name, params)
        if name != "GetCredentialReport":
            return answer
        rows = list(csv.DictReader(io.StringIO(answer["Content"].decode("utf-8"))))
        for row in rows:
            if row["user"] == user:
                row.update(columns)
        text = io.StringIO()
        writer = csv.DictWriter(text, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        return {**answer, "Content": text.getvalue().encode("utf-8")}

    monkeypatch.setattr(BaseClient, "_make_api_call", make_api_call)


def _user(session: boto3.Session, monkeypatch: pytest.MonkeyPatch, **columns: str) -> str:
    iam = session.client("iam")
    arn = iam.create_user(UserName="test-user")["User"]["Arn"]
    iam.tag_user(UserName="test-user", Tags=[{"Key": "Name", "Value": "test-user"}])
    _report_says(monkeypatch, "test-user", **columns)
    return arn


def _password_policy(**policy: int) -> Seed:
    def seed(session: boto3.Session, _: pytest.MonkeyPatch) -> str:
        session.client("iam").update_account_password_policy(**policy)
        return f"{ACCOUNT}:global"

    return seed


BLOCK_ALL = {
    "BlockPublicAcls": True,
    "IgnorePublicAcls": True,
    "BlockPublicPolicy": True,
    "RestrictPublicBuckets": True,
}
BLOCK_NONE = dict.fromkeys(BLOCK_ALL, False)


def _bucket_blocks(bucket: dict[str, bool], account: dict[str, bool]) -> Seed:
    def seed(session: boto3.Session, _: pytest.MonkeyPatch) -> str:
        s3 = session.client("s3")
        s3.create_bucket(Bucket="bucket_test_us")
        s3.put_public_access_block(Bucket="bucket_test_us", PublicAccessBlockConfiguration=bucket)
        session.client("s3control").put_public_access_block(AccountId=ACCOUNT, PublicAccessBlockConfiguration=account)
        return "arn:aws:s3:::bucket_test_us"

    return seed


def _account_block(account: dict[str, bool]) -> Seed:
    def seed(session: boto3.Session, _: pytest.MonkeyPatch) -> str:
        session.client("s3control").put_public_access_block(AccountId=ACCOUNT, PublicAccessBlockConfiguration=account)
        return ACCOUNT

    return seed


def _bucket(configure: Callable[[BaseClient], None] = lambda s3: None, **create: Any) -> Seed:
    def seed(session: boto3.Session, _: pytest.MonkeyPatch) -> str:
        s3 = session.client("s3")
        s3.create_bucket(Bucket="bucket_test_us", **create)
        configure(s3)
        return "arn:aws:s3:::bucket_test_us"

    return seed


def _encrypt(s3: BaseClient) -> None:
    s3.put_bucket_encryption(
        Bucket="bucket_test_us",
        ServerSideEncryptionConfiguration={
            "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": "12345678"}}]
        },
    )


def _log_to_itself(s3: BaseClient) -> None:
    owner = s3.get_bucket_acl(Bucket="bucket_test_us")["Owner"]
    log_delivery = {"URI": "http://acs.amazonaws.com/groups/s3/LogDelivery", "Type": "Group"}
    s3.put_bucket_acl(
        Bucket="bucket_test_us",
        AccessControlPolicy={
            "Grants": [
                {"Grantee": log_delivery, "Permission": "WRITE"},
                {"Grantee": log_delivery, "Permission": "READ_ACP"},
                {"Grantee": {"Type": "CanonicalUser", "ID": owner["ID"]}, "Permission": "FULL_CONTROL"},
            ],
            "Owner": owner,
        },
    )
    s3.put_bucket_logging(
        Bucket="bucket_test_us",
        BucketLoggingStatus={"LoggingEnabled": {"TargetBucket": "bucket_test_us", "TargetPrefix": "bucket_test_us/"}},
    )


def _deny_plain_http(statement: dict[str, Any]) -> Callable[[BaseClient], None]:
    """Prowler's bucket policy: one Deny on `bucket_test_us/*` when aws:SecureTransport is false."""
    policy = {
        "Version": "2012-10-17",
        "Id": "PutObjPolicy",
        "Statement": [
            {
                "Sid": "s3-bucket-ssl-requests-only",
                "Effect": "Deny",
                "Principal": "*",
                "Resource": "arn:aws:s3:::bucket_test_us/*",
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                **statement,
            }
        ],
    }
    return lambda s3: s3.put_bucket_policy(Bucket="bucket_test_us", Policy=json.dumps(policy))


# CloudTrail API Reference, EventSelector: "By default, trails created without specific event selectors will be
# configured to log all read and write management events, and no data events." GetEventSelectors on a real new
# trail returns that selector; moto returns none, so the scenarios put it where AWS would have it.
DEFAULT_SELECTOR = {"ReadWriteType": "All", "IncludeManagementEvents": True, "DataResources": []}


def _trails(
    *trails: dict[str, Any], logging: tuple[str, ...] = (), aws_default_selector: bool = True
) -> Callable[..., str]:
    """Trails as Prowler creates them: each in its region with its own bucket; `logging` started."""

    def seed(session: boto3.Session, _: pytest.MonkeyPatch, needle: str) -> str:
        for spec in trails:
            trail = dict(spec)
            region = trail.pop("region", US)
            bucket = f"bucket_test_{region[:2]}"
            s3 = session.client("s3", region_name=region)
            s3.create_bucket(
                Bucket=bucket, **({} if region == US else {"CreateBucketConfiguration": {"LocationConstraint": region}})
            )
            cloudtrail = session.client("cloudtrail", region_name=region)
            cloudtrail.create_trail(S3BucketName=bucket, **trail)
            if aws_default_selector:
                cloudtrail.put_event_selectors(TrailName=trail["Name"], EventSelectors=[DEFAULT_SELECTOR])
            if trail["Name"] in logging:
                cloudtrail.start_logging(Name=trail["Name"])
        return needle

    return seed


def _trail_seed(
    needle: str, *trails: dict[str, Any], logging: tuple[str, ...] = (), aws_default_selector: bool = True
) -> Seed:
    build = _trails(*trails, logging=logging, aws_default_selector=aws_default_selector)
    return lambda session, monkeypatch: build(session, monkeypatch, needle)


def _kms_trail(session: boto3.Session, monkeypatch: pytest.MonkeyPatch) -> str:
    key = session.client("kms").create_key()["KeyMetadata"]["Arn"]
    build = _trails({"Name": "trail_test_us", "IsMultiRegionTrail": False, "KmsKeyId": key})
    return build(session, monkeypatch, "trail/trail_test_us")


def _key(rotate: bool) -> Seed:
    def seed(session: boto3.Session, _: pytest.MonkeyPatch) -> str:
        kms = session.client("kms")
        key = kms.create_key()["KeyMetadata"]
        if rotate:
            kms.enable_key_rotation(KeyId=key["KeyId"])
        return key["KeyId"]

    return seed


def _default_sg_allows(*permissions: dict[str, Any]) -> Seed:
    """Prowler's security group tests: a new VPC, and ingress added to the region's default group."""

    def seed(session: boto3.Session, _: pytest.MonkeyPatch) -> str:
        ec2 = session.client("ec2")
        ec2.create_vpc(CidrBlock="10.0.0.0/16")
        group = ec2.describe_security_groups(GroupNames=["default"])["SecurityGroups"][0]["GroupId"]
        if permissions:
            ec2.authorize_security_group_ingress(GroupId=group, IpPermissions=list(permissions))
        return group

    return seed


def _tcp(from_port: int, to_port: int, v4: tuple[str, ...] = (), v6: tuple[str, ...] = (), protocol: str = "tcp"):
    return {
        "IpProtocol": protocol,
        "FromPort": from_port,
        "ToPort": to_port,
        "IpRanges": [{"CidrIp": cidr} for cidr in v4],
        "Ipv6Ranges": [{"CidrIpv6": cidr} for cidr in v6],
    }


def _ebs_default(enable: bool, region: str) -> Seed:
    def seed(session: boto3.Session, _: pytest.MonkeyPatch) -> str:
        if enable:
            session.client("ec2", region_name=US).enable_ebs_encryption_by_default()
        return f"{ACCOUNT}:{region}"

    return seed


def _volume(**options: Any) -> Seed:
    def seed(session: boto3.Session, _: pytest.MonkeyPatch) -> str:
        return session.client("ec2").create_volume(Size=80, AvailabilityZone=f"{US}a", **options)["VolumeId"]

    return seed


def _db(**options: Any) -> Seed:
    def seed(session: boto3.Session, _: pytest.MonkeyPatch) -> str:
        session.client("rds").create_db_instance(
            DBInstanceIdentifier="db-master-1",
            AllocatedStorage=10,
            Engine="postgres",
            DBName="staging-postgres",
            DBInstanceClass="db.m1.small",
            **options,
        )
        return ":db:db-master-1"

    return seed


def _public_db_in_public_subnet(session: boto3.Session, _: pytest.MonkeyPatch) -> str:
    ec2 = session.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    group = ec2.describe_security_groups(
        Filters=[{"Name": "vpc-id", "Values": [vpc]}, {"Name": "group-name", "Values": ["default"]}]
    )["SecurityGroups"][0]["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=group, IpPermissions=[_tcp(5432, 5432, v4=("0.0.0.0/0",))])
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.0.0/16", AvailabilityZone=f"{US}a")["Subnet"]["SubnetId"]
    gateway = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=gateway, VpcId=vpc)
    table = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    ec2.associate_route_table(RouteTableId=table, SubnetId=subnet)
    ec2.create_route(RouteTableId=table, DestinationCidrBlock="0.0.0.0/0", GatewayId=gateway)
    rds = session.client("rds")
    rds.create_db_subnet_group(
        DBSubnetGroupName="subnet-group", DBSubnetGroupDescription="subnet-group", SubnetIds=[subnet]
    )
    return _db(PubliclyAccessible=True, DBSubnetGroupName="subnet-group", VpcSecurityGroupIds=[group])(session, _)


def _vpc(flow_logs: bool) -> Seed:
    def seed(session: boto3.Session, _: pytest.MonkeyPatch) -> str:
        ec2 = session.client("ec2")
        vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
        if flow_logs:
            ec2.create_flow_logs(
                ResourceType="VPC",
                ResourceIds=[vpc],
                TrafficType="ALL",
                LogDestinationType="cloud-watch-logs",
                LogGroupName="test_logs",
                DeliverLogsPermissionArn=f"arn:aws:iam::{ACCOUNT}:role/test-role",
            )
        return vpc

    return seed


def _vpc_in_use(session: boto3.Session, _: pytest.MonkeyPatch) -> str:
    ec2 = session.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.0.0/18")["Subnet"]["SubnetId"]
    ec2.create_network_interface(SubnetId=subnet)
    return vpc


def _detector(enable: bool) -> Seed:
    def seed(session: boto3.Session, _: pytest.MonkeyPatch) -> str:
        session.client("guardduty", region_name=EU).create_detector(Enable=enable)
        return f"{ACCOUNT}:{EU}"

    return seed


def _log_group(retention: int | None) -> Seed:
    def seed(session: boto3.Session, _: pytest.MonkeyPatch) -> str:
        logs = session.client("logs")
        logs.create_log_group(logGroupName="test", tags={"test": "test"})
        if retention is not None:
            logs.put_retention_policy(logGroupName="test", retentionInDays=retention)
        return "log-group:test"

    return seed


def _cluster(**vpc_config: Any) -> Seed:
    def seed(session: boto3.Session, _: pytest.MonkeyPatch) -> str:
        ec2 = session.client("ec2")
        vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
        subnets = [
            ec2.create_subnet(VpcId=vpc, CidrBlock=cidr, AvailabilityZone=f"{US}{zone}")["Subnet"]["SubnetId"]
            for cidr, zone in (("10.0.1.0/24", "a"), ("10.0.2.0/24", "b"))
        ]
        session.client("eks").create_cluster(
            name="test-cluster",
            roleArn=f"arn:aws:iam::{ACCOUNT}:role/eks-service-role",
            resourcesVpcConfig={"subnetIds": subnets, **vpc_config},
        )
        return "cluster/test-cluster"

    return seed


def _policy_document(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


ADMIN = {"Effect": "Allow", "Action": "*", "Resource": "*"}
ROLE_TRUST = _policy_document(
    {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}
)


def _attached_policy(statement: dict[str, Any]) -> Seed:
    """Prowler's customer-attached policy tests: a role with one customer-managed policy attached."""

    def seed(session: boto3.Session, _: pytest.MonkeyPatch) -> str:
        iam = session.client("iam")
        iam.create_role(RoleName="my-role", AssumeRolePolicyDocument=ROLE_TRUST)
        arn = iam.create_policy(PolicyName="policy1", PolicyDocument=_policy_document(statement))["Policy"]["Arn"]
        iam.attach_role_policy(PolicyArn=arn, RoleName="my-role")
        return arn

    return seed


def _inline(principal: str, *statements: dict[str, Any]) -> Seed:
    """Prowler's inline policy tests: a group, role or user with inline policies (one per statement)."""

    def seed(session: boto3.Session, _: pytest.MonkeyPatch) -> str:
        iam = session.client("iam")
        name = f"test_{principal}"
        if principal == "group":
            arn = iam.create_group(GroupName=name)["Group"]["Arn"]
        elif principal == "role":
            arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=ROLE_TRUST)["Role"]["Arn"]
        else:
            arn = iam.create_user(UserName=name)["User"]["Arn"]
        for index, statement in enumerate(statements):
            put = getattr(iam, f"put_{principal}_policy")
            put(
                **{f"{principal.capitalize()}Name": name},
                PolicyName=f"policy{index}",
                PolicyDocument=_policy_document(statement),
            )
        return arn

    return seed


def _instance(**metadata: str) -> Seed:
    def seed(session: boto3.Session, _: pytest.MonkeyPatch) -> str:
        [created] = session.client("ec2").run_instances(
            ImageId="ami-12c6146b", MinCount=1, MaxCount=1, MetadataOptions=metadata
        )["Instances"]
        return created["InstanceId"]

    return seed


def _table(pitr: bool) -> Seed:
    def seed(session: boto3.Session, _: pytest.MonkeyPatch) -> str:
        dynamodb = session.client("dynamodb")
        dynamodb.create_table(
            TableName="test1",
            AttributeDefinitions=[
                {"AttributeName": "client", "AttributeType": "S"},
                {"AttributeName": "app", "AttributeType": "S"},
            ],
            KeySchema=[{"AttributeName": "client", "KeyType": "HASH"}, {"AttributeName": "app", "KeyType": "RANGE"}],
            BillingMode="PAY_PER_REQUEST",
        )
        if pitr:
            dynamodb.update_continuous_backups(
                TableName="test1", PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True}
            )
        return "table/test1"

    return seed


def _file_system(encrypted: bool) -> Seed:
    def seed(session: boto3.Session, _: pytest.MonkeyPatch) -> str:
        return session.client("efs").create_file_system(CreationToken="fs-123", Encrypted=encrypted)["FileSystemId"]

    return seed


def _snapshot(encrypted: bool, public: bool) -> Seed:
    def seed(session: boto3.Session, _: pytest.MonkeyPatch) -> str:
        ec2 = session.client("ec2")
        volume = ec2.create_volume(Size=80, AvailabilityZone=f"{US}a", Encrypted=encrypted)["VolumeId"]
        snapshot = ec2.create_snapshot(VolumeId=volume, Description="testsnap")["SnapshotId"]
        if public:
            ec2.modify_snapshot_attribute(
                SnapshotId=snapshot, Attribute="createVolumePermission", OperationType="add", GroupNames=["all"]
            )
        return snapshot

    return seed


def _subnet(map_public_ip: bool) -> Seed:
    def seed(session: boto3.Session, _: pytest.MonkeyPatch) -> str:
        ec2 = session.client("ec2")
        vpc = ec2.create_vpc(CidrBlock="172.28.7.0/24", InstanceTenancy="default")["Vpc"]["VpcId"]
        subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="172.28.7.192/26", AvailabilityZone=f"{US}a")["Subnet"]
        ec2.modify_subnet_attribute(SubnetId=subnet["SubnetId"], MapPublicIpOnLaunch={"Value": map_public_ip})
        return subnet["SubnetId"]

    return seed


def _network_acl(entry: dict[str, Any] | None) -> Seed:
    """A new VPC's own network ACL with one inbound entry (None: the default ACL of a new VPC)."""

    def seed(session: boto3.Session, _: pytest.MonkeyPatch) -> str:
        ec2 = session.client("ec2")
        vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
        if entry is None:
            [acl] = ec2.describe_network_acls(
                Filters=[{"Name": "vpc-id", "Values": [vpc]}, {"Name": "default", "Values": ["true"]}]
            )["NetworkAcls"]
            return acl["NetworkAclId"]
        acl_id = ec2.create_network_acl(VpcId=vpc)["NetworkAcl"]["NetworkAclId"]
        ec2.create_network_acl_entry(NetworkAclId=acl_id, RuleNumber=100, RuleAction="allow", Egress=False, **entry)
        return acl_id

    return seed


# --- the scenarios --------------------------------------------------------------------------------------

SCENARIOS = [
    # IAM password policy
    Scenario(
        "iam_password_policy_minimum_length_14::test_iam_password_policy_minimum_length_equal_14",
        "aws.iam.password-policy-min-length",
        IamCollector,
        _password_policy(MinimumPasswordLength=14),
        "pass",
    ),
    Scenario(
        "iam_password_policy_minimum_length_14::test_iam_password_policy_minimum_length_greater_14",
        "aws.iam.password-policy-min-length",
        IamCollector,
        _password_policy(MinimumPasswordLength=20),
        "pass",
    ),
    Scenario(
        "iam_password_policy_minimum_length_14::test_iam_password_policy_minimum_length_less_14",
        "aws.iam.password-policy-min-length",
        IamCollector,
        _password_policy(MinimumPasswordLength=10),
        "fail",
    ),
    Scenario(
        "iam_password_policy_reuse_24::test_iam_password_policy_reuse_prevention_equal_24",
        "aws.iam.password-policy-reuse-prevention",
        IamCollector,
        _password_policy(PasswordReusePrevention=24),
        "pass",
    ),
    Scenario(
        "iam_password_policy_reuse_24::test_iam_password_policy_reuse_prevention_less_24",
        "aws.iam.password-policy-reuse-prevention",
        IamCollector,
        _password_policy(PasswordReusePrevention=20),
        "fail",
    ),
    # IAM users (credential report)
    Scenario(
        "iam_user_mfa_enabled_console_access::test_user_password_console_and_mfa_enabled",
        "aws.iam.console-users-mfa",
        IamCollector,
        lambda s, mp: _user(s, mp, password_enabled="true", mfa_active="true"),
        "pass",
    ),
    Scenario(
        "iam_user_mfa_enabled_console_access::test_user_password_console_enabled_and_mfa_not_enabled",
        "aws.iam.console-users-mfa",
        IamCollector,
        lambda s, mp: _user(s, mp, password_enabled="true", mfa_active="false"),
        "fail",
    ),
    Scenario(
        "iam_user_mfa_enabled_console_access::test_user_not_password_console_enabled",
        "aws.iam.console-users-mfa",
        IamCollector,
        lambda s, mp: _user(s, mp, password_enabled="false"),
        "pass",
        expected="not_applicable",
        why="annexa's rule applies only to users with a console password (`where: password_enabled`); "
        "Prowler reports such a user as PASS.",
    ),
    Scenario(
        "iam_rotate_access_key_90_days::test_user_no_access_keys",
        "aws.iam.access-keys-rotated",
        IamCollector,
        lambda s, mp: _user(s, mp),
        "pass",
        expected="not_applicable",
        why="annexa's rule applies only to users with an active key; Prowler reports PASS.",
    ),
    Scenario(
        "iam_rotate_access_key_90_days::test_user_access_key_1_not_rotated",
        "aws.iam.access-keys-rotated",
        IamCollector,
        lambda s, mp: _user(s, mp, access_key_1_active="true", access_key_1_last_rotated=_days_ago(100)),
        "fail",
    ),
    Scenario(
        "iam_rotate_access_key_90_days::test_user_access_key_2_not_rotated",
        "aws.iam.access-keys-rotated",
        IamCollector,
        lambda s, mp: _user(s, mp, access_key_2_active="true", access_key_2_last_rotated=_days_ago(100)),
        "fail",
    ),
    Scenario(
        "iam_rotate_access_key_90_days::test_user_both_access_keys_rotated",
        "aws.iam.access-keys-rotated",
        IamCollector,
        lambda s, mp: _user(
            s,
            mp,
            access_key_1_active="true",
            access_key_1_last_rotated=_days_ago(10),
            access_key_2_active="true",
            access_key_2_last_rotated=_days_ago(10),
        ),
        "pass",
    ),
    Scenario(
        "iam_user_accesskey_unused::test_user_access_key_1_not_used",
        "aws.iam.unused-access-keys",
        IamCollector,
        lambda s, mp: _user(s, mp, access_key_1_active="true", access_key_1_last_used_date=_days_ago(100)),
        "fail",
    ),
    Scenario(
        "iam_user_accesskey_unused::test_user_both_access_keys_not_used",
        "aws.iam.unused-access-keys",
        IamCollector,
        lambda s, mp: _user(
            s,
            mp,
            access_key_1_active="true",
            access_key_1_last_used_date=_days_ago(100),
            access_key_2_active="true",
            access_key_2_last_used_date=_days_ago(100),
        ),
        "fail",
    ),
    Scenario(
        "iam_user_accesskey_unused::test_user_both_access_keys_used",
        "aws.iam.unused-access-keys",
        IamCollector,
        lambda s, mp: _user(
            s,
            mp,
            access_key_1_active="true",
            access_key_1_last_used_date=_days_ago(10),
            access_key_2_active="true",
            access_key_2_last_used_date=_days_ago(10),
        ),
        "pass",
    ),
    Scenario(
        "iam_user_console_access_unused::test_iam_user_logged_2_days_ago",
        "aws.iam.inactive-console-passwords",
        IamCollector,
        lambda s, mp: _user(s, mp, password_enabled="true", password_last_used=_days_ago(2)),
        "pass",
    ),
    Scenario(
        "iam_user_console_access_unused::test_iam_user_not_logged_45_days",
        "aws.iam.inactive-console-passwords",
        IamCollector,
        lambda s, mp: _user(s, mp, password_enabled="true", password_last_used=_days_ago(60)),
        "fail",
    ),
    # S3
    Scenario(
        "s3_bucket_default_encryption::test_bucket_no_encryption",
        "aws.s3.bucket-encryption",
        S3Collector,
        _bucket(),
        "fail",
    ),
    Scenario(
        "s3_bucket_default_encryption::test_bucket_kms_encryption",
        "aws.s3.bucket-encryption",
        S3Collector,
        _bucket(_encrypt, ObjectOwnership="BucketOwnerEnforced"),
        "pass",
    ),
    Scenario(
        "s3_bucket_level_public_access_block::test_bucket_without_public_block",
        "aws.s3.bucket-public-access-block",
        S3Collector,
        _bucket_blocks(BLOCK_NONE, BLOCK_NONE),
        "fail",
    ),
    Scenario(
        "s3_bucket_level_public_access_block::test_bucket_public_block",
        "aws.s3.bucket-public-access-block",
        S3Collector,
        _bucket_blocks(BLOCK_ALL, BLOCK_NONE),
        "pass",
    ),
    Scenario(
        "s3_bucket_level_public_access_block::test_bucket_public_block_at_account",
        "aws.s3.bucket-public-access-block",
        S3Collector,
        _bucket_blocks(BLOCK_NONE, BLOCK_ALL),
        "pass",
    ),
    Scenario(
        "s3_account_level_public_access_blocks::test_bucket_account_public_block",
        "aws.s3.account-public-access-block",
        S3Collector,
        _account_block(BLOCK_ALL),
        "pass",
    ),
    Scenario(
        "s3_account_level_public_access_blocks::test_bucket_without_account_public_block",
        "aws.s3.account-public-access-block",
        S3Collector,
        _account_block(BLOCK_NONE),
        "fail",
    ),
    Scenario(
        "s3_bucket_object_versioning::test_bucket_no_object_versioning",
        "aws.s3.bucket-versioning",
        S3Collector,
        _bucket(),
        "fail",
    ),
    Scenario(
        "s3_bucket_object_versioning::test_bucket_object_versioning_enabled",
        "aws.s3.bucket-versioning",
        S3Collector,
        _bucket(
            lambda s3: s3.put_bucket_versioning(Bucket="bucket_test_us", VersioningConfiguration={"Status": "Enabled"}),
            ObjectOwnership="BucketOwnerEnforced",
        ),
        "pass",
    ),
    Scenario(
        "s3_bucket_server_access_logging_enabled::test_bucket_no_logging",
        "aws.s3.bucket-access-logging",
        S3Collector,
        _bucket(),
        "fail",
    ),
    Scenario(
        "s3_bucket_server_access_logging_enabled::test_bucket_with_logging",
        "aws.s3.bucket-access-logging",
        S3Collector,
        _bucket(_log_to_itself),
        "pass",
    ),
    Scenario(
        "s3_bucket_server_access_logging_enabled::test_bucket_logging_config_missing_loggingenabled_key",
        "aws.s3.bucket-access-logging",
        S3Collector,
        _bucket(lambda s3: s3.put_bucket_logging(Bucket="bucket_test_us", BucketLoggingStatus={})),
        "fail",
    ),
    Scenario(
        "s3_bucket_secure_transport_policy::test_bucket_no_policy",
        "aws.s3.bucket-tls-only",
        S3Collector,
        _bucket(),
        "fail",
    ),
    Scenario(
        "s3_bucket_secure_transport_policy::test_bucket_comply_policy",
        "aws.s3.bucket-tls-only",
        S3Collector,
        _bucket(_deny_plain_http({"Action": "s3:PutObject"})),
        "pass",
        expected="fail",
        why="the Deny covers only s3:PutObject on the objects, so GetObject over plain HTTP is still allowed; "
        "the S3 User Guide's TLS-only policy and AWS Config's s3-bucket-ssl-requests-only deny s3:* on the "
        "bucket and its objects, which annexa's rule asks for.",
    ),
    Scenario(
        "s3_bucket_secure_transport_policy::test_bucket_uncomply_policy",
        "aws.s3.bucket-tls-only",
        S3Collector,
        _bucket(_deny_plain_http({"Action": "s3:GetObject"})),
        "fail",
    ),
    Scenario(
        "s3_bucket_secure_transport_policy::test_bucket_uncomply_policy_without_action",
        "aws.s3.bucket-tls-only",
        S3Collector,
        _bucket(_deny_plain_http({})),
        "fail",
    ),
    # CloudTrail. Prowler judges multi-region logging per audited region; annexa once per account.
    Scenario(
        "cloudtrail_multi_region_enabled::test_no_trails",
        "aws.cloudtrail.multi-region-trail",
        CloudTrailCollector,
        _trail_seed(f"{ACCOUNT}:global"),
        "fail",
        regions=(US, EU),
    ),
    Scenario(
        "cloudtrail_multi_region_enabled::test_various_trails_no_logging",
        "aws.cloudtrail.multi-region-trail",
        CloudTrailCollector,
        _trail_seed(
            f"{ACCOUNT}:global",
            {"Name": "trail_test_us", "IsMultiRegionTrail": False},
            {"Name": "trail_test_eu", "IsMultiRegionTrail": False, "region": EU},
        ),
        "fail",
        regions=(US, EU),
    ),
    Scenario(
        "cloudtrail_multi_region_enabled::test_various_trails_with_and_without_logging",
        "aws.cloudtrail.multi-region-trail",
        CloudTrailCollector,
        _trail_seed(
            f"{ACCOUNT}:global",
            {"Name": "trail_test_us", "IsMultiRegionTrail": False},
            {"Name": "trail_test_eu", "IsMultiRegionTrail": False, "region": EU},
            logging=("trail_test_us",),
        ),
        "pass",  # for us-east-1, where the single-region trail logs (eu-west-1: FAIL)
        expected="fail",
        why="a single-region trail covers one region only; CIS AWS Foundations 3.1 (the source of annexa's "
        "thresholds) asks for a multi-region trail, and annexa judges the account, where eu-west-1 is unlogged.",
        regions=(US, EU),
    ),
    Scenario(
        "cloudtrail_multi_region_enabled::test_trail_multiregion_logging_and_single_region_not_logging",
        "aws.cloudtrail.multi-region-trail",
        CloudTrailCollector,
        _trail_seed(
            f"{ACCOUNT}:global",
            {"Name": "trail_test_us", "IsMultiRegionTrail": True},
            {"Name": "aaaaa", "IsMultiRegionTrail": False, "region": EU},
            logging=("trail_test_us",),
        ),
        "pass",
        regions=(US, EU),
    ),
    Scenario(
        "cloudtrail_multi_region_enabled::test_trail_multiregion_logging_and_single_region_not_logging",
        "aws.cloudtrail.multi-region-trail",
        CloudTrailCollector,
        _trail_seed(
            f"{ACCOUNT}:global",
            {"Name": "trail_test_us", "IsMultiRegionTrail": True},
            {"Name": "aaaaa", "IsMultiRegionTrail": False, "region": EU},
            logging=("trail_test_us",),
            aws_default_selector=False,
        ),
        "pass",
        expected="fail",
        why='as moto answers it, GetEventSelectors lists no selector ("the event selectors that are configured '
        "for the trail\", botocore's model): nothing shows the trail records management events, and annexa "
        "counts only what the selectors say; Prowler does not read selectors for this check.",
        regions=(US, EU),
    ),
    Scenario(
        "cloudtrail_multi_region_enabled::test_trail_multi_region_auditing_other_region",
        "aws.cloudtrail.multi-region-trail",
        CloudTrailCollector,
        _trail_seed(f"{ACCOUNT}:global", {"Name": "trail_test_us", "IsMultiRegionTrail": True}),
        "fail",
        regions=(EU,),
    ),
    Scenario(
        "cloudtrail_log_file_validation_enabled::test_no_logging_validation",
        "aws.cloudtrail.trail-log-validation",
        CloudTrailCollector,
        _trail_seed("trail/trail_test_us", {"Name": "trail_test_us", "IsMultiRegionTrail": False}),
        "fail",
    ),
    Scenario(
        "cloudtrail_log_file_validation_enabled::test_various_trails_with_and_without_logging_validation",
        "aws.cloudtrail.trail-log-validation",
        CloudTrailCollector,
        _trail_seed(
            "trail/trail_test_us",
            {"Name": "trail_test_us", "IsMultiRegionTrail": False, "EnableLogFileValidation": True},
            {"Name": "trail_test_eu", "IsMultiRegionTrail": False, "region": EU},
        ),
        "pass",
        regions=(US, EU),
    ),
    Scenario(
        "cloudtrail_log_file_validation_enabled::test_various_trails_with_and_without_logging_validation",
        "aws.cloudtrail.trail-log-validation",
        CloudTrailCollector,
        _trail_seed(
            "trail/trail_test_eu",
            {"Name": "trail_test_us", "IsMultiRegionTrail": False, "EnableLogFileValidation": True},
            {"Name": "trail_test_eu", "IsMultiRegionTrail": False, "region": EU},
        ),
        "fail",
        regions=(US, EU),
    ),
    Scenario(
        "cloudtrail_log_file_validation_enabled::test_trail_multi_region_auditing_other_region",
        "aws.cloudtrail.trail-log-validation",
        CloudTrailCollector,
        _trail_seed("trail/trail_test_us", {"Name": "trail_test_us", "IsMultiRegionTrail": True}),
        "fail",
        regions=(EU,),
    ),
    Scenario(
        "cloudtrail_kms_encryption_enabled::test_trail_no_kms",
        "aws.cloudtrail.trail-kms-encryption",
        CloudTrailCollector,
        _trail_seed("trail/trail_test_us", {"Name": "trail_test_us", "IsMultiRegionTrail": False}),
        "fail",
    ),
    Scenario(
        "cloudtrail_kms_encryption_enabled::test_trail_kms",
        "aws.cloudtrail.trail-kms-encryption",
        CloudTrailCollector,
        _kms_trail,
        "pass",
    ),
    Scenario(
        "cloudtrail_kms_encryption_enabled::test_trail_multi_region_auditing_other_region",
        "aws.cloudtrail.trail-kms-encryption",
        CloudTrailCollector,
        _trail_seed("trail/trail_test_us", {"Name": "trail_test_us", "IsMultiRegionTrail": True}),
        "fail",
        regions=(EU,),
    ),
    # KMS
    Scenario(
        "kms_cmk_rotation_enabled::test_kms_cmk_rotation_enabled",
        "aws.kms.key-rotation",
        KmsCollector,
        _key(True),
        "pass",
    ),
    Scenario(
        "kms_cmk_rotation_enabled::test_kms_cmk_rotation_disabled",
        "aws.kms.key-rotation",
        KmsCollector,
        _key(False),
        "fail",
    ),
    # EC2 security groups: the port 22 and 3389 checks, and the port/CIDR cases of Prowler's
    # tests/providers/aws/services/ec2/lib/security_groups_test.py (check_security_group with any_address,
    # as the port checks call it) built as real ingress rules.
    Scenario(
        "ec2_securitygroup_allow_ingress_from_internet_to_tcp_port_22::test_ec2_default_sgs",
        "aws.ec2.security-group-admin-ports",
        Ec2Collector,
        _default_sg_allows(),
        "pass",
    ),
    Scenario(
        "ec2_securitygroup_allow_ingress_from_internet_to_tcp_port_22::test_ec2_non_compliant_default_sg",
        "aws.ec2.security-group-admin-ports",
        Ec2Collector,
        _default_sg_allows(_tcp(22, 22, v4=("0.0.0.0/0",))),
        "fail",
    ),
    Scenario(
        "ec2_securitygroup_allow_ingress_from_internet_to_tcp_port_22::test_ec2_compliant_default_sg",
        "aws.ec2.security-group-admin-ports",
        Ec2Collector,
        _default_sg_allows(_tcp(22, 22, v4=("123.123.123.123/32",))),
        "pass",
    ),
    Scenario(
        "ec2_securitygroup_allow_ingress_from_internet_to_tcp_port_22::"
        "test_ec2_non_compliant_default_sg_pass_to_avoid_fail_twice",
        "aws.ec2.security-group-admin-ports",
        Ec2Collector,
        _default_sg_allows(_tcp(-1, -1, v4=("0.0.0.0/0",), protocol="-1"), _tcp(22, 22, v4=("0.0.0.0/0",))),
        "pass",
        expected="fail",
        why="Prowler passes the port 22 check only because its all-ports check already failed the group; "
        "annexa has no all-ports rule to defer to, and the group does admit SSH from anywhere.",
    ),
    Scenario(
        "ec2_securitygroup_allow_ingress_from_internet_to_tcp_port_3389::test_ec2_non_compliant_default_sg",
        "aws.ec2.security-group-admin-ports",
        Ec2Collector,
        _default_sg_allows(_tcp(3389, 3389, v4=("0.0.0.0/0",))),
        "fail",
    ),
    Scenario(
        "ec2/lib/security_groups::test_all_public_ipv6_address_open_22_tcp_any_address",
        "aws.ec2.security-group-admin-ports",
        Ec2Collector,
        _default_sg_allows(_tcp(22, 22, v6=("::/0",))),
        "fail",
    ),
    Scenario(
        "ec2/lib/security_groups::test_private_ipv4_all_public_ipv6_address_open_22_tcp_any_address",
        "aws.ec2.security-group-admin-ports",
        Ec2Collector,
        _default_sg_allows(_tcp(22, 22, v4=("192.168.0.0/16",), v6=("::/0",))),
        "fail",
    ),
    Scenario(
        "ec2/lib/security_groups::test_all_public_ipv4_address_open_21_to_23_check_22_tcp_any_address",
        "aws.ec2.security-group-admin-ports",
        Ec2Collector,
        _default_sg_allows(_tcp(21, 23, v4=("0.0.0.0/0",))),
        "fail",
    ),
    Scenario(
        "ec2/lib/security_groups::test_all_public_ipv4_address_open_22_any_protocol_any_address",
        "aws.ec2.security-group-admin-ports",
        Ec2Collector,
        _default_sg_allows(_tcp(22, 22, v4=("0.0.0.0/0",), protocol="-1")),
        "fail",
    ),
    Scenario(
        "ec2/lib/security_groups::test_all_public_ipv4_address_open_22_any_protocol",
        "aws.ec2.security-group-admin-ports",
        Ec2Collector,
        _default_sg_allows(_tcp(22, 22, v4=("52.95.110.1/32",), protocol="-1")),
        "pass",
    ),
    Scenario(
        "ec2/lib/security_groups::test_all_public_ipv4_address_open_all_ports_check_all_tcp_any_address",
        "aws.ec2.security-group-admin-ports",
        Ec2Collector,
        _default_sg_allows(_tcp(0, 65535, v4=("0.0.0.0/0",))),
        "fail",
    ),
    Scenario(
        "ec2/lib/security_groups::test_all_public_ipv4_address_open_any_port_udp_protocol_check_tcp_any_address",
        "aws.ec2.security-group-admin-ports",
        Ec2Collector,
        _default_sg_allows(_tcp(0, 65535, v4=("0.0.0.0/0",), protocol="udp")),
        "pass",  # the tcp port checks do not count a udp rule
        expected="fail",
        why="RDP also carries its traffic over UDP 3389 (Microsoft, 'Remote Desktop Protocol': RDP 8.0 UDP "
        "transport), so udp 0-65535 from anywhere exposes it; annexa counts tcp and udp rules.",
    ),
    Scenario(
        "ec2_ebs_default_encryption::test_ec2_ebs_encryption_enabled",
        "aws.ec2.ebs-default-encryption",
        Ec2Collector,
        _ebs_default(True, US),
        "pass",
        regions=(US, EU),
    ),
    Scenario(
        "ec2_ebs_default_encryption::test_ec2_ebs_encryption_enabled",
        "aws.ec2.ebs-default-encryption",
        Ec2Collector,
        _ebs_default(True, EU),
        "fail",
        regions=(US, EU),
    ),
    Scenario(
        "ec2_ebs_default_encryption::test_ec2_ebs_encryption_disabled",
        "aws.ec2.ebs-default-encryption",
        Ec2Collector,
        _ebs_default(False, US),
        "fail",
        regions=(US, EU),
    ),
    Scenario(
        "ec2_ebs_volume_encryption::test_ec2_unencrypted_volume",
        "aws.ec2.volume-encryption",
        Ec2Collector,
        _volume(),
        "fail",
        regions=(US, EU),
    ),
    Scenario(
        "ec2_ebs_volume_encryption::test_ec2_encrypted_volume",
        "aws.ec2.volume-encryption",
        Ec2Collector,
        _volume(Encrypted=True),
        "pass",
        regions=(US, EU),
    ),
    # RDS
    Scenario(
        "rds_instance_storage_encrypted::test_rds_instance_no_encryption",
        "aws.rds.instance-encrypted",
        RdsCollector,
        _db(),
        "fail",
    ),
    Scenario(
        "rds_instance_storage_encrypted::test_rds_instance_with_encryption",
        "aws.rds.instance-encrypted",
        RdsCollector,
        _db(StorageEncrypted=True),
        "pass",
    ),
    Scenario(
        "rds_instance_no_public_access::test_rds_instance_private",
        "aws.rds.instance-not-public",
        RdsCollector,
        _db(),
        "pass",
    ),
    Scenario(
        "rds_instance_no_public_access::test_rds_instance_public",
        "aws.rds.instance-not-public",
        RdsCollector,
        _db(PubliclyAccessible=True),
        "pass",  # Prowler fails only when a security group and the subnet are open too
        expected="fail",
        why="PubliclyAccessible true gives the instance a public IP address its DNS name resolves to (RDS API "
        "Reference, CreateDBInstance); whether the internet reaches it then rests on security groups and "
        "routes that may change without touching the instance, so annexa fails the setting itself.",
    ),
    Scenario(
        "rds_instance_no_public_access::test_rds_instance_public_with_public_subnet",
        "aws.rds.instance-not-public",
        RdsCollector,
        _public_db_in_public_subnet,
        "fail",
    ),
    Scenario(
        "rds_instance_backup_enabled::test_rds_instance_no_backup",
        "aws.rds.instance-backups",
        RdsCollector,
        _db(BackupRetentionPeriod=0),
        "fail",
    ),
    Scenario(
        "rds_instance_backup_enabled::test_rds_instance_with_backup",
        "aws.rds.instance-backups",
        RdsCollector,
        _db(BackupRetentionPeriod=10),
        "pass",
    ),
    # VPC flow logs
    Scenario("vpc_flow_logs_enabled::test_vpc_with_flow_logs", "aws.vpc.flow-logs", VpcCollector, _vpc(True), "pass"),
    Scenario(
        "vpc_flow_logs_enabled::test_vpc_without_flow_logs", "aws.vpc.flow-logs", VpcCollector, _vpc(False), "fail"
    ),
    Scenario(
        "vpc_flow_logs_enabled::test_vpc_without_flow_logs_ignoring_in_use",
        "aws.vpc.flow-logs",
        VpcCollector,
        _vpc_in_use,
        "fail",
    ),
    # GuardDuty
    Scenario(
        "guardduty_is_enabled::test_guardduty_enabled",
        "aws.guardduty.enabled",
        GuardDutyCollector,
        _detector(True),
        "pass",
        regions=(US, EU),
    ),
    Scenario(
        "guardduty_is_enabled::test_guardduty_configured_but_suspended",
        "aws.guardduty.enabled",
        GuardDutyCollector,
        _detector(False),
        "fail",
        regions=(US, EU),
    ),
    # CloudWatch Logs retention (Prowler's default log_group_retention_days is 365, annexa's too)
    Scenario(
        "cloudwatch_log_group_retention_policy_specific_days_enabled::"
        "test_cloudwatch_log_group_without_retention_days_never_expires",
        "aws.logs.log-group-retention",
        LogsCollector,
        _log_group(None),
        "pass",
    ),
    Scenario(
        "cloudwatch_log_group_retention_policy_specific_days_enabled::"
        "test_cloudwatch_log_group_with_compliant_retention_days",
        "aws.logs.log-group-retention",
        LogsCollector,
        _log_group(400),
        "pass",
    ),
    Scenario(
        "cloudwatch_log_group_retention_policy_specific_days_enabled::"
        "test_cloudwatch_log_group_with_no_compliant_retention_days",
        "aws.logs.log-group-retention",
        LogsCollector,
        _log_group(7),
        "fail",
    ),
    # EKS (Prowler builds its cluster objects by hand; the same settings are created in moto here)
    Scenario(
        "eks_cluster_not_publicly_accessible::test_cluster_public_access",
        "aws.eks.endpoint-not-open",
        EksCollector,
        _cluster(endpointPublicAccess=True, endpointPrivateAccess=False, publicAccessCidrs=["0.0.0.0/0"]),
        "fail",
    ),
    Scenario(
        "eks_cluster_not_publicly_accessible::test_endpoint_not_public_access",
        "aws.eks.endpoint-not-open",
        EksCollector,
        _cluster(endpointPublicAccess=False, endpointPrivateAccess=True),
        "pass",
    ),
    # IAM policies granting full administrative access (Prowler's check_admin_access in
    # prowler/providers/aws/services/iam/lib/policy.py; its policy_test.py cases built as attached policies)
    Scenario(
        "iam_customer_attached_policy_no_administrative_privileges::test_policy_administrative",
        "aws.iam.no-star-admin-policies",
        IamCollector,
        _attached_policy(ADMIN),
        "fail",
    ),
    Scenario(
        "iam_customer_attached_policy_no_administrative_privileges::test_policy_non_administrative",
        "aws.iam.no-star-admin-policies",
        IamCollector,
        _attached_policy({"Effect": "Allow", "Action": "logs:CreateLogGroup", "Resource": "*"}),
        "pass",
    ),
    Scenario(
        "iam/lib/policy::test_check_admin_access",
        "aws.iam.no-star-admin-policies",
        IamCollector,
        _attached_policy({"Effect": "Allow", "Action": ["*"], "Resource": "*"}),
        "fail",
    ),
    Scenario(
        "iam/lib/policy::test_check_admin_access_false",
        "aws.iam.no-star-admin-policies",
        IamCollector,
        _attached_policy({"Effect": "Allow", "Action": ["s3:*"], "Resource": "*"}),
        "pass",
    ),
    Scenario(
        "iam/lib/policy::test_check_admin_access_not_action",
        "aws.iam.no-star-admin-policies",
        IamCollector,
        _attached_policy({"Effect": "Allow", "NotAction": "s3:*", "Resource": "*"}),
        "fail",
    ),
    Scenario(
        "iam/lib/policy::test_check_admin_access_not_action_with_random_action",
        "aws.iam.no-star-admin-policies",
        IamCollector,
        _attached_policy({"Effect": "Allow", "NotAction": "prowler:action", "Resource": "*"}),
        "fail",
    ),
    Scenario(
        "iam/lib/policy::test_check_admin_access_not_resource",
        "aws.iam.no-star-admin-policies",
        IamCollector,
        _attached_policy({"Effect": "Allow", "Action": "*", "NotResource": "*"}),
        "pass",
    ),
    Scenario(
        "iam/lib/policy::test_check_admin_access_not_resource_with_random_resource",
        "aws.iam.no-star-admin-policies",
        IamCollector,
        # IAM (and moto) refuse "prowler:resource" as malformed: a real ARN stands for "some other resource".
        _attached_policy({"Effect": "Allow", "Action": "*", "NotResource": "arn:aws:s3:::prowler-resource"}),
        "fail",
    ),
    Scenario(
        "iam_inline_policy_no_administrative_privileges::test_groups_admin_inline_policy",
        "aws.iam.no-star-inline-policies",
        IamCollector,
        _inline("group", {"Effect": "Allow", "Action": ["*"], "Resource": "*"}),
        "fail",
    ),
    Scenario(
        "iam_inline_policy_no_administrative_privileges::test_groups_no_admin_inline_policy",
        "aws.iam.no-star-inline-policies",
        IamCollector,
        _inline("group", {"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": "*"}),
        "pass",
    ),
    Scenario(
        "iam_inline_policy_no_administrative_privileges::test_roles_admin_inline_policy",
        "aws.iam.no-star-inline-policies",
        IamCollector,
        _inline("role", {"Effect": "Allow", "Action": ["*"], "Resource": "*"}),
        "fail",
    ),
    Scenario(
        "iam_inline_policy_no_administrative_privileges::test_users_admin_inline_policy",
        "aws.iam.no-star-inline-policies",
        IamCollector,
        _inline("user", {"Effect": "Allow", "Action": ["*"], "Resource": "*"}),
        "fail",
    ),
    Scenario(
        "iam_inline_policy_no_administrative_privileges::test_users_no_admin_inline_policy",
        "aws.iam.no-star-inline-policies",
        IamCollector,
        _inline("user", {"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": "*"}),
        "pass",
    ),
    # Prowler reports each inline policy (the admin one FAIL, the other PASS); annexa one result per
    # principal, failed by the admin policy.
    Scenario(
        "iam_inline_policy_no_administrative_privileges::test_users_admin_and_not_admin_inline_policies",
        "aws.iam.no-star-inline-policies",
        IamCollector,
        _inline(
            "user",
            {"Effect": "Allow", "Action": ["*"], "Resource": "*"},
            {"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": "*"},
        ),
        "fail",
    ),
    # EC2 instances: IMDSv2 (Prowler sets the metadata options on its service object; moto takes them at launch)
    Scenario(
        "ec2_instance_imdsv2_enabled::test_one_compliant_ec2",
        "aws.ec2.instance-imdsv2",
        Ec2Collector,
        _instance(HttpTokens="required", HttpEndpoint="enabled"),
        "pass",
    ),
    Scenario(
        "ec2_instance_imdsv2_enabled::test_one_uncompliant_ec2_metadata_server_disabled",
        "aws.ec2.instance-imdsv2",
        Ec2Collector,
        _instance(HttpTokens="optional", HttpEndpoint="disabled"),
        "pass",
    ),
    Scenario(
        "ec2_instance_imdsv2_enabled::test_one_uncompliant_ec2_metadata_server_enabled",
        "aws.ec2.instance-imdsv2",
        Ec2Collector,
        _instance(HttpTokens="optional", HttpEndpoint="enabled"),
        "fail",
    ),
    # EBS snapshots
    Scenario(
        "ec2_ebs_public_snapshot::test_ec2_public_snapshot",
        "aws.snapshots.ebs-not-public",
        SnapshotsCollector,
        _snapshot(encrypted=False, public=True),
        "fail",
    ),
    Scenario(
        "ec2_ebs_public_snapshot::test_ec2_private_snapshot",
        "aws.snapshots.ebs-not-public",
        SnapshotsCollector,
        _snapshot(encrypted=True, public=False),
        "pass",
    ),
    Scenario(
        "ec2_ebs_snapshots_encrypted::test_ec2_unencrypted_snapshot",
        "aws.snapshots.ebs-encrypted",
        SnapshotsCollector,
        _snapshot(encrypted=False, public=False),
        "fail",
    ),
    Scenario(
        "ec2_ebs_snapshots_encrypted::test_ec2_encrypted_snapshot",
        "aws.snapshots.ebs-encrypted",
        SnapshotsCollector,
        _snapshot(encrypted=True, public=False),
        "pass",
    ),
    # DynamoDB, EFS
    Scenario(
        "dynamodb_tables_pitr_enabled::test_dynamodb_table_no_pitr",
        "aws.dynamodb.table-pitr",
        DynamoDbCollector,
        _table(False),
        "fail",
    ),
    Scenario(
        "dynamodb_tables_pitr_enabled::test_dynamodb_table_with_pitr",
        "aws.dynamodb.table-pitr",
        DynamoDbCollector,
        _table(True),
        "pass",
    ),
    Scenario(
        "efs_encryption_at_rest_enabled::test_efs_encryption_enabled",
        "aws.efs.encrypted",
        EfsCollector,
        _file_system(True),
        "pass",
    ),
    Scenario(
        "efs_encryption_at_rest_enabled::test_efs_encryption_disabled",
        "aws.efs.encrypted",
        EfsCollector,
        _file_system(False),
        "fail",
    ),
    # VPC subnets and network ACLs
    Scenario(
        "vpc_subnet_no_public_ip_by_default::test_vpc_with_map_ip_on_launch",
        "aws.vpc.subnet-no-auto-public-ip",
        VpcCollector,
        _subnet(True),
        "fail",
    ),
    Scenario(
        "vpc_subnet_no_public_ip_by_default::test_vpc_without_map_ip_on_launch",
        "aws.vpc.subnet-no-auto-public-ip",
        VpcCollector,
        _subnet(False),
        "pass",
    ),
    Scenario(
        "ec2_networkacl_allow_ingress_tcp_port_22::test_ec2_non_default_compliant_nacl",
        "aws.vpc.network-acl-admin-ports",
        VpcCollector,
        _network_acl(None),
        "fail",  # "by default nacls are public": a default ACL admits all traffic from 0.0.0.0/0
    ),
    Scenario(
        "ec2_networkacl_allow_ingress_tcp_port_22::test_ec2_non_compliant_nacl",
        "aws.vpc.network-acl-admin-ports",
        VpcCollector,
        _network_acl({"Protocol": "6", "PortRange": {"From": 22, "To": 22}, "CidrBlock": "0.0.0.0/0"}),
        "fail",
    ),
    Scenario(
        "ec2_networkacl_allow_ingress_tcp_port_22::test_ec2_compliant_nacl",
        "aws.vpc.network-acl-admin-ports",
        VpcCollector,
        _network_acl({"Protocol": "6", "PortRange": {"From": 22, "To": 22}, "CidrBlock": "10.0.0.2/32"}),
        "pass",
    ),
]


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[f"{s.rule}:{s.source.split('::')[1]}" for s in SCENARIOS])
def test_annexa_agrees_with_prowler_or_is_stricter(scenario: Scenario, mocked, monkeypatch):
    status = _judge(scenario, mocked, monkeypatch)
    if scenario.expected is None:
        assert status == scenario.prowler, f"{PROWLER}/…/{scenario.source}"
    else:
        assert scenario.why and scenario.prowler == "pass", "annexa may differ from Prowler only toward fail"
        assert status == scenario.expected, f"{PROWLER}/…/{scenario.source}: {scenario.why}"
