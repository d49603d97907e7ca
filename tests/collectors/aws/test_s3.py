"""aws.s3: bucket protection settings and the account-wide public access block."""

from __future__ import annotations

from fakes.aws import ACCOUNT
from fakes.aws_api import assert_pages_and_errors, verdicts

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
