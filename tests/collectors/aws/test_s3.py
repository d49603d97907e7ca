"""aws.s3: bucket protection settings and the account-wide public access block."""

from __future__ import annotations

from fakes.aws import ACCOUNT
from fakes.aws_api import assert_pages_and_errors

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
