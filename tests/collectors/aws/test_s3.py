"""aws.s3: bucket protection settings and the account-wide public access block."""

from __future__ import annotations

import json

import pytest
from fakes.aws import ACCOUNT
from fakes.aws_api import assert_pages_and_errors, verdicts

from annexa.collectors.aws.policy_document import denies_insecure_transport
from annexa.collectors.aws.s3 import S3Collector

BLOCK_ALL = {
    "BlockPublicAcls": True,
    "IgnorePublicAcls": True,
    "BlockPublicPolicy": True,
    "RestrictPublicBuckets": True,
}


def test_unconfigured_bucket_reports_nulls_not_errors(mocked, run):
    mocked.client("s3").create_bucket(Bucket="bare-bucket")
    out = run(S3Collector())
    assert out.errors == []
    [fact] = out.of("aws.s3.bucket")
    assert fact.resource == "arn:aws:s3:::bare-bucket"
    assert fact.scope == {"provider": "aws", "account": ACCOUNT, "region": "us-east-1"}
    assert fact.data["encryption_rules"] is None
    assert fact.data["public_access_block"] is None
    assert fact.data["versioning"] == {"status": None, "mfa_delete": None}
    assert fact.data["logging"] is None and fact.data["tags"] == {}
    assert (fact.data["has_policy"], fact.data["tls_only"], fact.data["object_lock"]) == (False, False, None)
    assert (fact.data["lifecycle_rules"], fact.data["log_sources"]) == (None, [])
    assert "s3:GetBucketEncryption" in fact.source.operations and fact.source.pages == 1


def test_configured_bucket_in_another_region(mocked, run):
    s3 = mocked.client("s3", region_name="eu-west-1")
    s3.create_bucket(Bucket="eu-bucket", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    s3.put_bucket_encryption(
        Bucket="eu-bucket",
        ServerSideEncryptionConfiguration={
            "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms"}}]
        },
    )
    s3.put_public_access_block(Bucket="eu-bucket", PublicAccessBlockConfiguration=BLOCK_ALL)
    s3.put_bucket_versioning(Bucket="eu-bucket", VersioningConfiguration={"Status": "Enabled"})
    s3.put_bucket_tagging(Bucket="eu-bucket", Tagging={"TagSet": [{"Key": "classification", "Value": "internal"}]})
    [fact] = run(S3Collector()).of("aws.s3.bucket")  # the target names us-east-1 only: S3 is listed account-wide
    assert fact.data["region"] == "eu-west-1" and fact.scope["region"] == "eu-west-1"
    assert fact.data["encryption_rules"][0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms"
    assert fact.data["public_access_block"] == BLOCK_ALL
    assert fact.data["versioning"]["status"] == "Enabled"
    assert fact.data["tags"] == {"classification": "internal"}


def test_access_denied_on_one_bucket_is_an_error_for_that_bucket_only(mocked, run, deny):
    s3 = mocked.client("s3")
    s3.create_bucket(Bucket="readable-bucket")
    s3.create_bucket(Bucket="locked-bucket")
    deny("s3", "GetBucketEncryption", when=lambda params: params.get("Bucket") == "locked-bucket")
    out = run(S3Collector())
    [error] = out.errors
    assert (error.code, error.operation) == ("AccessDenied", "s3:GetBucketEncryption")
    assert error.resource == "arn:aws:s3:::locked-bucket" and error.kinds == ("aws.s3.bucket",)
    assert [f.resource for f in out.of("aws.s3.bucket")] == ["arn:aws:s3:::readable-bucket"]


def test_denied_listing_is_a_scope_wide_error(mocked, run, deny):
    deny("s3", "ListBuckets")
    out = run(S3Collector())
    [error] = out.errors
    assert error.resource is None and error.kinds == ("aws.s3.bucket",)
    assert error.scope == {"provider": "aws", "account": ACCOUNT, "region": "global"}
    assert out.of("aws.s3.bucket") == []
    assert len(out.of("aws.s3.account_public_access_block")) == 1


def test_account_public_access_block_absent_then_set(mocked, run):
    [absent] = run(S3Collector()).of("aws.s3.account_public_access_block")
    assert absent.resource == f"{ACCOUNT}:global" and absent.data == {"config": None}
    mocked.client("s3control").put_public_access_block(AccountId=ACCOUNT, PublicAccessBlockConfiguration=BLOCK_ALL)
    [present] = run(S3Collector()).of("aws.s3.account_public_access_block")
    assert present.data == {"config": BLOCK_ALL}
    assert present.source.operations == ("s3control:GetPublicAccessBlock",)


def test_denied_account_public_access_block(mocked, run, deny):
    deny("s3control", "GetPublicAccessBlock")
    [error] = run(S3Collector()).errors
    assert (error.operation, error.resource) == ("s3control:GetPublicAccessBlock", f"{ACCOUNT}:global")


def test_reads_every_bucket_in_its_region_and_the_account_block() -> None:
    assert S3Collector.kinds == ("aws.s3.bucket", "aws.s3.account_public_access_block")
    assert set(S3Collector.permissions) == {
        "s3:ListAllMyBuckets",
        "s3:GetBucketLocation",
        "s3:GetEncryptionConfiguration",
        "s3:GetBucketPublicAccessBlock",
        "s3:GetBucketVersioning",
        "s3:GetBucketLogging",
        "s3:GetBucketTagging",
        "s3:GetBucketPolicy",
        "s3:GetBucketObjectLockConfiguration",
        "s3:GetLifecycleConfiguration",
        "s3:GetAccountPublicAccessBlock",
    }


def test_the_account_block_is_error_evidence_when_its_read_fails() -> None:
    assert_pages_and_errors(S3Collector())


RULE = "aws.s3.bucket-public-access-block"


def _public_block_verdicts(mocked, run, bucket_block, account_block):
    mocked.client("s3").create_bucket(Bucket="shared-assets")
    if bucket_block is not None:
        mocked.client("s3").put_public_access_block(Bucket="shared-assets", PublicAccessBlockConfiguration=bucket_block)
    if account_block is not None:
        mocked.client("s3control").put_public_access_block(
            AccountId=ACCOUNT, PublicAccessBlockConfiguration=account_block
        )
    out = run(S3Collector())
    [fact] = out.of("aws.s3.bucket")
    return fact.data["effective_public_access_block"], verdicts(out.facts).get((RULE, fact.resource))


def test_the_account_block_protects_a_bucket_without_its_own(mocked, run):
    """S3 applies the stricter of the bucket's and the account's block: an account fully blocked makes
    every bucket non-public whatever the bucket says (a false fail before)."""
    effective, status = _public_block_verdicts(mocked, run, None, BLOCK_ALL)
    assert effective == BLOCK_ALL and status == "pass"


def test_each_setting_is_the_stricter_of_bucket_and_account(mocked, run):
    half = {**BLOCK_ALL, "BlockPublicPolicy": False, "RestrictPublicBuckets": False}
    other_half = {**BLOCK_ALL, "BlockPublicAcls": False, "IgnorePublicAcls": False}
    effective, status = _public_block_verdicts(mocked, run, half, other_half)
    assert effective == BLOCK_ALL and status == "pass"


def test_neither_blocks_everything(mocked, run):
    half = {**BLOCK_ALL, "BlockPublicPolicy": False, "RestrictPublicBuckets": False}
    effective, status = _public_block_verdicts(mocked, run, half, half)
    assert effective == half and status == "fail"


def test_an_unreadable_account_block_leaves_the_unblocked_settings_unknown(mocked, run, deny):
    deny("s3control", "GetPublicAccessBlock")
    half = {**BLOCK_ALL, "BlockPublicPolicy": False, "RestrictPublicBuckets": False}
    effective, status = _public_block_verdicts(mocked, run, half, None)
    assert effective == {"BlockPublicAcls": True, "IgnorePublicAcls": True} and status == "error"


def test_a_fully_blocked_bucket_needs_no_account_block(mocked, run, deny):
    deny("s3control", "GetPublicAccessBlock")
    effective, status = _public_block_verdicts(mocked, run, BLOCK_ALL, None)
    assert effective == BLOCK_ALL and status == "pass"


# The S3 User Guide's "Enforce encryption of data in transit" statement (Security best practices for Amazon S3).
BUCKET = "arn:aws:s3:::amzn-s3-demo-bucket"
TLS_DENY = {
    "Sid": "RestrictToTLSRequestsOnly",
    "Action": "s3:*",
    "Effect": "Deny",
    "Resource": [BUCKET, f"{BUCKET}/*"],
    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    "Principal": "*",
}
# botocore s3 examples-1.json, GetBucketPolicy ("To get bucket policy"): an Allow for log delivery, no Deny.
BOTOCORE_LOG_POLICY = json.loads(
    '{"Version":"2008-10-17","Id":"LogPolicy","Statement":[{"Sid":"Enables the log delivery group to publish logs'
    ' to your bucket ","Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":["s3:GetBucketAcl",'
    '"s3:GetObjectAcl","s3:PutObject"],"Resource":["arn:aws:s3:::policytest1/*","arn:aws:s3:::policytest1"]}]}'
)


@pytest.mark.parametrize(
    ("statement", "expected"),
    [
        (TLS_DENY, True),
        (
            {**TLS_DENY, "Principal": {"AWS": ["*"]}, "Condition": {"BoolIfExists": {"aws:securetransport": False}}},
            True,
        ),
        ({**TLS_DENY, "Action": ["s3:GetObject", "s3:*"], "Resource": "*"}, True),
        ({**TLS_DENY, "Effect": "Allow"}, False),
        ({**TLS_DENY, "Action": "s3:GetObject"}, False),  # only reads are refused over HTTP
        ({**TLS_DENY, "Resource": BUCKET}, False),  # the objects are not covered
        ({**TLS_DENY, "Principal": {"AWS": "arn:aws:iam::111122223333:root"}}, False),
        (
            {
                **TLS_DENY,
                "Condition": {"Bool": {"aws:SecureTransport": "false"}, "IpAddress": {"aws:SourceIp": "1.2.3.4/32"}},
            },
            False,
        ),
        ({**TLS_DENY, "Condition": {"Bool": {"aws:SecureTransport": "true"}}}, False),
        (
            {k: v for k, v in TLS_DENY.items() if k != "Principal"} | {"NotPrincipal": {"AWS": "arn:aws:iam::1:root"}},
            False,
        ),
    ],
)
def test_tls_only_needs_the_whole_deny(statement, expected):
    assert denies_insecure_transport({"Statement": [statement]}, BUCKET) is expected
    assert denies_insecure_transport(BOTOCORE_LOG_POLICY, BUCKET) is False


def test_policy_object_lock_lifecycle_and_log_sources(mocked, run):
    s3 = mocked.client("s3")
    s3.create_bucket(Bucket="access-logs", ObjectLockEnabledForBucket=True)
    tls = {**TLS_DENY, "Resource": ["arn:aws:s3:::access-logs", "arn:aws:s3:::access-logs/*"]}
    # S3 access logs need the logging service allowed first (S3 User Guide, "Enabling Amazon S3 server access logging")
    delivery = {
        "Effect": "Allow",
        "Principal": {"Service": "logging.s3.amazonaws.com"},
        "Action": "s3:PutObject",
        "Resource": "arn:aws:s3:::access-logs/*",
    }
    policy = {"Version": "2012-10-17", "Statement": [delivery, tls]}
    s3.put_bucket_policy(Bucket="access-logs", Policy=json.dumps(policy))
    s3.put_object_lock_configuration(
        Bucket="access-logs",
        ObjectLockConfiguration={
            "ObjectLockEnabled": "Enabled",
            "Rule": {"DefaultRetention": {"Mode": "COMPLIANCE", "Years": 1}},
        },
    )
    # botocore s3 examples-1.json, GetBucketLifecycleConfiguration: a transition only, which deletes nothing
    s3.put_bucket_lifecycle_configuration(
        Bucket="access-logs",
        LifecycleConfiguration={
            "Rules": [
                {"ID": "Rule for TaxDocs/", "Filter": {"Prefix": "TaxDocs"}, "Status": "Enabled",
                 "Transitions": [{"Days": 365, "StorageClass": "STANDARD_IA"}]},
            ]
        },
    )  # fmt: skip
    s3.create_bucket(Bucket="app-data")
    s3.put_bucket_logging(
        Bucket="app-data", BucketLoggingStatus={"LoggingEnabled": {"TargetBucket": "access-logs", "TargetPrefix": "d/"}}
    )
    out = run(S3Collector())
    assert out.errors == []
    facts = {f.data["name"]: f.data for f in out.of("aws.s3.bucket")}
    logs = facts["access-logs"]
    assert (logs["has_policy"], logs["tls_only"], logs["log_sources"]) == (True, True, ["app-data"])
    assert logs["object_lock"] == {"enabled": True, "mode": "COMPLIANCE", "days": None, "years": 1}
    assert logs["lifecycle_rules"] == [
        {"id": "Rule for TaxDocs/", "enabled": True, "expires_current": False, "expiration_days": None,
         "noncurrent_expiration_days": None}
    ]  # fmt: skip
    assert facts["app-data"]["log_sources"] == []
    found = verdicts(out.facts)
    assert found[("aws.s3.log-bucket-object-lock", "arn:aws:s3:::access-logs")] == "pass"
    assert found[("aws.s3.log-bucket-expires-logs", "arn:aws:s3:::access-logs")] == "fail"  # transitions delete nothing
    assert found[("aws.s3.bucket-tls-only", "arn:aws:s3:::app-data")] == "fail"
    assert ("aws.s3.log-bucket-object-lock", "arn:aws:s3:::app-data") not in found
