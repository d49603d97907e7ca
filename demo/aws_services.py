"""Demo seeding for the AWS services beyond IAM, S3, CloudTrail, KMS and EC2 (see demo_aws.py).

Each `seed_*` function creates a compliant and a non-compliant resource where moto
models the API, and records the status every rule must give them. SSM patch
compliance and CloudFormation drift results are not modelled by moto; their rules
are exercised with botocore's Stubber in tests/collectors/aws/test_services.py.
"""

from __future__ import annotations

import datetime
import json
from typing import Any

import boto3

__all__ = ["seed_services"]

_ROOT_FILTER = '{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS }'


def seed_services(
    session: boto3.Session, region: str, account: str, expected: Any, trail_name: str, key_arn: str
) -> None:
    client = lambda service: session.client(service, region_name=region)  # noqa: E731
    _organization(client("organizations"), expected)
    _backup(client("backup"), expected)
    _databases(client("rds"), client("dynamodb"), client("efs"), expected)
    _detection(client, region, account, expected)
    _monitoring(
        client("logs"),
        client("cloudwatch"),
        client("cloudtrail"),
        client("iam"),
        client("sns"),
        region,
        account,
        trail_name,
        expected,
    )
    _lambda(client("lambda"), client("iam"), expected)
    _cloudformation(client("cloudformation"), expected)
    _capacity(client("cloudwatch"), client("sns"), region, account, expected)
    _network(client("ec2"), client("elbv2"), client("wafv2"), client("acm"), region, account, expected)
    _cloudfront(client("cloudfront"), client("acm"), account, expected)
    _eks(client("eks"), client("ec2"), account, key_arn, expected)


def _organization(organizations: Any, expected: Any) -> None:
    org = organizations.create_organization(FeatureSet="ALL")["Organization"]
    root = organizations.list_roots()["Roots"][0]["Id"]
    organizations.enable_policy_type(RootId=root, PolicyType="SERVICE_CONTROL_POLICY")
    # Only the AWS-managed FullAWSAccess SCP is attached: SCPs are on, but enforce nothing.
    expected.add(
        org["Arn"], {"aws.organizations.scps-enabled": "pass", "aws.organizations.custom-scp-attached": "fail"}
    )


def _backup(backup: Any, expected: Any) -> None:
    locked = backup.create_backup_vault(BackupVaultName="annexa-demo-locked")["BackupVaultArn"]
    backup.put_backup_vault_lock_configuration(BackupVaultName="annexa-demo-locked", MinRetentionDays=7)
    expected.add(locked, {"aws.backup.vault-lock": "pass"})
    unlocked = backup.create_backup_vault(BackupVaultName="annexa-demo-unlocked")["BackupVaultArn"]
    expected.add(unlocked, {"aws.backup.vault-lock": "fail"})
    for name, days, status in (("daily-35d", 35, "pass"), ("hourly-1d", 1, "fail")):
        plan = backup.create_backup_plan(
            BackupPlan={
                "BackupPlanName": name,
                "Rules": [
                    {
                        "RuleName": name,
                        "TargetBackupVaultName": "annexa-demo-locked",
                        "ScheduleExpression": "cron(0 5 ? * * *)",
                        "Lifecycle": {"DeleteAfterDays": days},
                    }
                ],
            }
        )["BackupPlanArn"]
        expected.add(plan, {"aws.backup.plan-retention": status})


def _databases(rds: Any, dynamodb: Any, efs: Any, expected: Any) -> None:
    common = {
        "DBInstanceClass": "db.t3.micro",
        "Engine": "postgres",
        "AllocatedStorage": 20,
        "MasterUsername": "demo",
        "MasterUserPassword": "Demo-Db-Passw0rd",
    }
    for group, force_ssl in (("tls-required", "1"), ("tls-optional", "0")):
        rds.create_db_parameter_group(
            DBParameterGroupName=group, DBParameterGroupFamily="postgres16", Description=group
        )
        rds.modify_db_parameter_group(
            DBParameterGroupName=group,
            Parameters=[{"ParameterName": "rds.force_ssl", "ParameterValue": force_ssl, "ApplyMethod": "immediate"}],
        )
    good = rds.create_db_instance(
        DBInstanceIdentifier="orders-db",
        DBParameterGroupName="tls-required",
        StorageEncrypted=True,
        MultiAZ=True,
        BackupRetentionPeriod=14,
        PubliclyAccessible=False,
        **common,
    )["DBInstance"]
    expected.add(
        good["DBInstanceArn"], {**_rds("pass", "pass", "pass", "pass"), "aws.rds.instance-tls-required": "pass"}
    )
    bad = rds.create_db_instance(
        DBInstanceIdentifier="legacy-reporting-db",
        DBParameterGroupName="tls-optional",
        StorageEncrypted=False,
        MultiAZ=False,
        BackupRetentionPeriod=0,
        PubliclyAccessible=True,
        **common,
    )["DBInstance"]
    expected.add(
        bad["DBInstanceArn"], {**_rds("fail", "fail", "fail", "fail"), "aws.rds.instance-tls-required": "fail"}
    )
    private = rds.create_db_snapshot(DBInstanceIdentifier="orders-db", DBSnapshotIdentifier="orders-db-before-upgrade")
    expected.add(
        private["DBSnapshot"]["DBSnapshotArn"],
        {"aws.snapshots.rds-not-public": "pass", "aws.snapshots.rds-encrypted": "pass"},
    )
    shared = rds.create_db_snapshot(DBInstanceIdentifier="legacy-reporting-db", DBSnapshotIdentifier="reporting-export")
    rds.modify_db_snapshot_attribute(
        DBSnapshotIdentifier="reporting-export", AttributeName="restore", ValuesToAdd=["all"]
    )
    expected.add(
        shared["DBSnapshot"]["DBSnapshotArn"],
        {"aws.snapshots.rds-not-public": "fail", "aws.snapshots.rds-encrypted": "fail"},
    )
    cluster = rds.create_db_cluster(
        DBClusterIdentifier="analytics-aurora",
        Engine="aurora-postgresql",
        MasterUsername="demo",
        MasterUserPassword="Demo-Db-Passw0rd",
        StorageEncrypted=True,
        BackupRetentionPeriod=7,
    )["DBCluster"]
    expected.add(cluster["DBClusterArn"], {"aws.rds.cluster-encrypted": "pass", "aws.rds.cluster-backups": "pass"})
    # encrypted, but one day of backups: the finding names the retention, not the encryption
    scratch = rds.create_db_cluster(
        DBClusterIdentifier="scratch-aurora",
        Engine="aurora-postgresql",
        MasterUsername="demo",
        MasterUserPassword="Demo-Db-Passw0rd",
        StorageEncrypted=True,
        BackupRetentionPeriod=1,
    )["DBCluster"]
    expected.add(scratch["DBClusterArn"], {"aws.rds.cluster-encrypted": "pass", "aws.rds.cluster-backups": "fail"})
    snapshot = rds.create_db_cluster_snapshot(
        DBClusterIdentifier="scratch-aurora", DBClusterSnapshotIdentifier="scratch-aurora-share"
    )["DBClusterSnapshot"]
    rds.modify_db_cluster_snapshot_attribute(
        DBClusterSnapshotIdentifier="scratch-aurora-share", AttributeName="restore", ValuesToAdd=["all"]
    )
    expected.add(
        snapshot["DBClusterSnapshotArn"],
        {"aws.snapshots.rds-cluster-not-public": "fail", "aws.snapshots.rds-cluster-encrypted": "pass"},
    )

    table = {
        "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
        "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
        "BillingMode": "PAY_PER_REQUEST",
    }
    sessions = dynamodb.create_table(
        TableName="sessions", SSESpecification={"Enabled": True, "SSEType": "KMS"}, **table
    )["TableDescription"]["TableArn"]
    dynamodb.update_continuous_backups(
        TableName="sessions", PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True}
    )
    expected.add(sessions, {"aws.dynamodb.table-pitr": "pass", "aws.dynamodb.table-kms": "pass"})
    scratch = dynamodb.create_table(TableName="scratch", **table)["TableDescription"]["TableArn"]
    expected.add(scratch, {"aws.dynamodb.table-pitr": "fail", "aws.dynamodb.table-kms": "fail"})

    for token, encrypted in (("shared-home", True), ("legacy-nfs", False)):
        # the encrypted one is also tagged with its owner and classification; the legacy one with neither
        tags = [{"Key": "owner", "Value": "it-team"}, {"Key": "data-classification", "Value": "internal"}]
        fs = efs.create_file_system(CreationToken=token, Encrypted=encrypted, Tags=tags if encrypted else [])
        status = "pass" if encrypted else "fail"
        expected.add(
            fs["FileSystemArn"],
            {"aws.efs.encrypted": status, "aws.efs.owner-tag": status, "aws.efs.classification-tag": status},
        )


def _rds(encrypted: str, backups: str, multi_az: str, private: str) -> dict[str, str]:
    return {
        "aws.rds.instance-encrypted": encrypted,
        "aws.rds.instance-backups": backups,
        "aws.rds.instance-multi-az": multi_az,
        "aws.rds.instance-not-public": private,
    }


def _detection(client: Any, region: str, account: str, expected: Any) -> None:
    here = f"{account}:{region}"
    client("guardduty").create_detector(Enable=True)  # on, but without malware protection
    expected.add(here, {"aws.guardduty.enabled": "pass", "aws.guardduty.malware-protection": "fail"})
    client("inspector2").enable(accountIds=[account], resourceTypes=["EC2", "ECR"])
    client("macie2").enable_macie()
    expected.add(
        here,
        {
            "aws.security_services.inspector-enabled": "pass",
            "aws.security_services.macie-enabled": "pass",
            "aws.security_services.security-hub-enabled": "fail",
        },
    )
    config = client("config")
    config.put_configuration_recorder(
        ConfigurationRecorder={
            "name": "default",
            "roleARN": f"arn:aws:iam::{account}:role/config",
            "recordingGroup": {"allSupported": True, "includeGlobalResourceTypes": True},
        }
    )
    expected.add(here, {"aws.security_services.config-recording": "fail"})  # created but never started


def _monitoring(
    logs: Any,
    cloudwatch: Any,
    cloudtrail: Any,
    iam: Any,
    sns: Any,
    region: str,
    account: str,
    trail: str,
    expected: Any,
) -> None:
    group = "annexa-demo-cloudtrail"
    logs.create_log_group(logGroupName=group)
    logs.put_retention_policy(logGroupName=group, retentionInDays=400)
    expected.add(
        f"arn:aws:logs:{region}:{account}:log-group:{group}",
        {"aws.logs.log-group-retention": "pass", "aws.logs.log-group-expires": "pass"},
    )
    logs.create_log_group(logGroupName="app-audit-export")  # no retention policy: kept (and never deleted) forever
    expected.add(
        f"arn:aws:logs:{region}:{account}:log-group:app-audit-export",
        {"aws.logs.log-group-retention": "pass", "aws.logs.log-group-expires": "fail"},
    )
    logs.create_log_group(logGroupName="app-debug")  # a week of logs: less than the default year
    logs.put_retention_policy(logGroupName="app-debug", retentionInDays=7)
    expected.add(f"arn:aws:logs:{region}:{account}:log-group:app-debug", {"aws.logs.log-group-retention": "fail"})
    role = iam.create_role(
        RoleName="cloudtrail-to-logs",
        AssumeRolePolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"Service": "cloudtrail.amazonaws.com"},
                        "Action": "sts:AssumeRole",
                    }
                ],
            }
        ),
    )["Role"]["Arn"]
    cloudtrail.update_trail(
        Name=trail,
        CloudWatchLogsLogGroupArn=f"arn:aws:logs:{region}:{account}:log-group:{group}:*",
        CloudWatchLogsRoleArn=role,
    )
    logs.put_metric_filter(
        logGroupName=group,
        filterName="root-usage",
        filterPattern=_ROOT_FILTER,
        metricTransformations=[{"metricName": "RootUsage", "metricNamespace": "CISBenchmark", "metricValue": "1"}],
    )
    topic = sns.create_topic(Name="security-alerts")["TopicArn"]  # an alarm counts when it reaches someone
    sns.subscribe(TopicArn=topic, Protocol="email", Endpoint="security@example.com")
    cloudwatch.put_metric_alarm(
        AlarmName="root-usage",
        MetricName="RootUsage",
        Namespace="CISBenchmark",
        Statistic="Sum",
        Period=300,
        EvaluationPeriods=1,
        Threshold=1,
        ComparisonOperator="GreaterThanOrEqualToThreshold",
        AlarmActions=[topic],
    )
    expected.add(
        f"{account}:global",
        {
            "aws.cloudwatch.root-usage-alarm": "pass",
            "aws.cloudwatch.unauthorized-calls-alarm": "fail",
            "aws.cloudwatch.cloudtrail-change-alarm": "fail",
            "aws.cloudwatch.cloudtrail-log-retention": "pass",
        },
    )


def _lambda(lambda_: Any, iam: Any, expected: Any) -> None:
    role = iam.create_role(
        RoleName="demo-lambda",
        AssumeRolePolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
                ],
            }
        ),
    )["Role"]["Arn"]
    for name, runtime, status in (("thumbnailer", "python3.12", "pass"), ("legacy-export", "python3.7", "fail")):
        arn = lambda_.create_function(
            FunctionName=name,
            Runtime=runtime,
            Role=role,
            Handler="index.handler",
            Code={"ZipFile": b"PK\x05\x06" + b"\x00" * 18},
        )["FunctionArn"]
        expected.add(arn, {"aws.lambda.supported-runtime": status})


def _capacity(cloudwatch: Any, sns: Any, region: str, account: str, expected: Any) -> None:
    """A storage alarm that pages someone (Auto Scaling is left out: see MOTO_UNSUPPORTED)."""
    topic = sns.create_topic(Name="capacity-alerts")["TopicArn"]
    cloudwatch.put_metric_alarm(
        AlarmName="orders-db-free-storage-low",
        Namespace="AWS/RDS",
        MetricName="FreeStorageSpace",
        Dimensions=[{"Name": "DBInstanceIdentifier", "Value": "orders-db"}],
        Statistic="Minimum",
        Period=300,
        EvaluationPeriods=1,
        Threshold=5 * 1024**3,
        ComparisonOperator="LessThanThreshold",
        AlarmActions=[topic],
    )
    expected.add(f"{account}:{region}", {"aws.cloudwatch.capacity-alarms": "pass"})


def _cloudformation(cloudformation: Any, expected: Any) -> None:
    template = {"Resources": {"Alerts": {"Type": "AWS::SNS::Topic"}}}
    stack = cloudformation.create_stack(StackName="network-baseline", TemplateBody=json.dumps(template))["StackId"]
    expected.add(stack, {"aws.cloudformation.no-drift": "fail"})  # drift never checked


def _network(ec2: Any, elbv2: Any, wafv2: Any, acm: Any, region: str, account: str, expected: Any) -> None:
    arn = f"arn:aws:ec2:{region}:{account}:{{}}".format
    default_vpc = ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"][0]["VpcId"]
    image = ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
    for _name, tokens, status in (("web-imdsv2", "required", "pass"), ("legacy-imdsv1", "optional", "fail")):
        # the current one is tagged with its owner; the legacy one is not (A.5.9)
        tags = (
            [{"ResourceType": "instance", "Tags": [{"Key": "owner", "Value": "web-team"}]}] if status == "pass" else []
        )
        instance = ec2.run_instances(
            ImageId=image,
            MinCount=1,
            MaxCount=1,
            InstanceType="t3.micro",
            MetadataOptions={"HttpTokens": tokens, "HttpEndpoint": "enabled"},
            TagSpecifications=tags,
        )
        expected.add(
            arn(f"instance/{instance['Instances'][0]['InstanceId']}"),
            {"aws.ec2.instance-imdsv2": status, "aws.ec2.instance-owner-tag": status},
        )
    # The instances live in the default VPC, which has no flow logs; default subnets auto-assign public IPs.
    expected.add(arn(f"vpc/{default_vpc}"), {"aws.vpc.default-vpc-unused": "fail", "aws.vpc.flow-logs": "fail"})
    default_subnets = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [default_vpc]}])["Subnets"]
    for subnet in default_subnets:
        expected.add(arn(f"subnet/{subnet['SubnetId']}"), {"aws.vpc.subnet-no-auto-public-ip": "fail"})
    default_acl = ec2.describe_network_acls(Filters=[{"Name": "vpc-id", "Values": [default_vpc]}])["NetworkAcls"][0]
    expected.add(arn(f"network-acl/{default_acl['NetworkAclId']}"), {"aws.vpc.network-acl-admin-ports": "fail"})

    vpc = ec2.create_vpc(CidrBlock="10.20.0.0/16")["Vpc"]["VpcId"]
    ec2.create_flow_logs(
        ResourceIds=[vpc],
        ResourceType="VPC",
        TrafficType="ALL",
        LogDestinationType="s3",
        LogDestination="arn:aws:s3:::annexa-demo-audit-logs",
    )
    expected.add(arn(f"vpc/{vpc}"), {"aws.vpc.flow-logs": "pass"})
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.20.{i}.0/24", AvailabilityZone=f"{region}{z}")["Subnet"]["SubnetId"]
        for i, z in ((1, "a"), (2, "b"))
    ]
    for subnet in subnets:
        expected.add(arn(f"subnet/{subnet}"), {"aws.vpc.subnet-no-auto-public-ip": "pass"})
    acl = ec2.create_network_acl(VpcId=vpc)["NetworkAcl"]["NetworkAclId"]
    ec2.create_network_acl_entry(
        NetworkAclId=acl,
        RuleNumber=90,
        Protocol="6",
        RuleAction="deny",
        Egress=False,
        CidrBlock="0.0.0.0/0",
        PortRange={"From": 22, "To": 22},
    )
    ec2.create_network_acl_entry(
        NetworkAclId=acl,
        RuleNumber=100,
        Protocol="6",
        RuleAction="allow",
        Egress=False,
        CidrBlock="0.0.0.0/0",
        PortRange={"From": 443, "To": 443},
    )
    expected.add(arn(f"network-acl/{acl}"), {"aws.vpc.network-acl-admin-ports": "pass"})
    for default in ec2.describe_network_acls(
        Filters=[{"Name": "vpc-id", "Values": [vpc]}, {"Name": "default", "Values": ["true"]}]
    )["NetworkAcls"]:
        expected.add(arn(f"network-acl/{default['NetworkAclId']}"), {"aws.vpc.network-acl-admin-ports": "fail"})

    certificate = _import_certificate(acm, "shop.example.com", days=90)
    expected.add(certificate, {"aws.acm.certificate-expiry": "pass"})
    expiring = _import_certificate(acm, "old-shop.example.com", days=10)
    expected.add(expiring, {"aws.acm.certificate-expiry": "fail"})
    web_acl = wafv2.create_web_acl(
        Name="edge",
        Scope="REGIONAL",
        DefaultAction={"Allow": {}},
        Rules=[],
        VisibilityConfig={"SampledRequestsEnabled": False, "CloudWatchMetricsEnabled": False, "MetricName": "edge"},
    )["Summary"]["ARN"]
    for name, tls_policy, protected, status in (
        ("shop", "ELBSecurityPolicy-TLS13-1-2-2021-06", True, "pass"),
        ("legacy", "ELBSecurityPolicy-2016-08", False, "fail"),
    ):
        lb = elbv2.create_load_balancer(Name=name, Subnets=subnets, Scheme="internet-facing", Type="application")[
            "LoadBalancers"
        ][0]["LoadBalancerArn"]
        group = elbv2.create_target_group(Name=f"{name}-tg", Protocol="HTTP", Port=80, VpcId=vpc)["TargetGroups"][0]
        elbv2.create_listener(
            LoadBalancerArn=lb,
            Protocol="HTTPS",
            Port=443,
            SslPolicy=tls_policy,
            Certificates=[{"CertificateArn": certificate}],
            DefaultActions=[{"Type": "forward", "TargetGroupArn": group["TargetGroupArn"]}],
        )
        http_action = (
            {"Type": "redirect", "RedirectConfig": {"Protocol": "HTTPS", "Port": "443", "StatusCode": "HTTP_301"}}
            if protected
            else {"Type": "forward", "TargetGroupArn": group["TargetGroupArn"]}
        )
        elbv2.create_listener(LoadBalancerArn=lb, Protocol="HTTP", Port=80, DefaultActions=[http_action])
        if protected:
            wafv2.associate_web_acl(WebACLArn=web_acl, ResourceArn=lb)
        expected.add(
            lb,
            {"aws.elbv2.waf-on-public-alb": status, "aws.elbv2.tls-policy": status, "aws.elbv2.http-redirects": status},
        )


def _import_certificate(acm: Any, domain: str, days: int) -> str:
    """A self-signed certificate valid for `days` more days, imported into ACM (moto issues none itself)."""
    cert, key = self_signed(domain, days)
    return acm.import_certificate(Certificate=cert, PrivateKey=key)["CertificateArn"]


def self_signed(domain: str, days: int) -> tuple[bytes, bytes]:
    """A self-signed certificate valid from yesterday for `days` more days, and its key (PEM).

    Call it once before freezing the clock (freezegun): cryptography's Rust code binds the
    `datetime` type on first use, and must bind the real one, not freezegun's."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, domain)])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=days))
        .sign(key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    return cert.public_bytes(pem), key.private_bytes(
        pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _cloudfront(cloudfront: Any, acm: Any, account: str, expected: Any) -> None:
    certificate = _import_certificate(acm, "cdn.example.com", days=200)
    expected.add(certificate, {"aws.acm.certificate-expiry": "pass"})
    for name, hardened in (("assets", True), ("legacy-downloads", False)):
        config: dict[str, Any] = {
            "CallerReference": name,
            "Comment": name,
            "Enabled": True,
            "Origins": {
                "Quantity": 1,
                "Items": [
                    {
                        "Id": "origin",
                        "DomainName": f"{name}.example.com",
                        "CustomOriginConfig": {"HTTPPort": 80, "HTTPSPort": 443, "OriginProtocolPolicy": "https-only"},
                    }
                ],
            },
            "DefaultCacheBehavior": {
                "TargetOriginId": "origin",
                "ViewerProtocolPolicy": "redirect-to-https" if hardened else "allow-all",
                "CachePolicyId": "658327ea-f89d-4fab-a63d-7e88639e58f6",
            },
        }
        if hardened:
            config["WebACLId"] = f"arn:aws:wafv2:us-east-1:{account}:global/webacl/edge/1"
            config["ViewerCertificate"] = {
                "ACMCertificateArn": certificate,
                "CloudFrontDefaultCertificate": False,
                "SSLSupportMethod": "sni-only",
                "MinimumProtocolVersion": "TLSv1.2_2021",
            }
        distribution = cloudfront.create_distribution(DistributionConfig=config)["Distribution"]["ARN"]
        status = "pass" if hardened else "fail"
        expected.add(distribution, {"aws.cloudfront.waf": status, "aws.cloudfront.tls": status})


def _eks(eks: Any, ec2: Any, account: str, key_arn: str, expected: Any) -> None:
    """A hardened cluster (audit logs, secrets under the demo's KMS key, endpoint limited to one range,
    a supported release) and one left as created from the console defaults on an old release. Seeded
    last: moto draws its cluster ids from the seeded random generator, so the resources seeded before
    keep theirs."""
    subnets = [s["SubnetId"] for s in ec2.describe_subnets()["Subnets"]][:2]
    role = f"arn:aws:iam::{account}:role/annexa-demo-eks"
    for name, hardened in (("shop-eks", True), ("legacy-eks", False)):
        settings: dict[str, Any] = {}
        if hardened:
            settings = {
                "logging": {"clusterLogging": [{"types": ["api", "audit", "authenticator"], "enabled": True}]},
                "encryptionConfig": [{"resources": ["secrets"], "provider": {"keyArn": key_arn}}],
            }
        cidrs = ["203.0.113.0/24"] if hardened else ["0.0.0.0/0"]
        vpc = {"subnetIds": subnets, "endpointPublicAccess": True, "publicAccessCidrs": cidrs}
        # 1.34: EKS extended support to 2027-12-02; 1.31: extended support ended 2026-11-26 (EKS release calendar)
        version = "1.34" if hardened else "1.31"
        arn = eks.create_cluster(name=name, version=version, roleArn=role, resourcesVpcConfig=vpc, **settings)
        status = "pass" if hardened else "fail"
        expected.add(
            arn["cluster"]["arn"],
            {
                "aws.eks.audit-logging": status,
                "aws.eks.secrets-kms-encryption": status,
                "aws.eks.endpoint-not-open": status,
                "aws.eks.supported-release": status,
            },
        )
