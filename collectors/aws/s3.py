"""S3: per-bucket protection settings and the account-wide public access block."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from annexa.collectors.aws.collector import AwsCollector
from annexa.collectors.aws.errors import AwsCallError
from annexa.collectors.aws.session import GLOBAL, AwsAccount, call, call_optional, iso, paginate, tag_dict
from annexa.model import CollectionError, Fact

BUCKET = "aws.s3.bucket"
ACCOUNT_BLOCK = "aws.s3.account_public_access_block"

_BUCKET_OPERATIONS = (
    "s3:ListBuckets",
    "s3:GetBucketLocation",
    "s3:GetBucketEncryption",
    "s3:GetPublicAccessBlock",
    "s3:GetBucketVersioning",
    "s3:GetBucketLogging",
    "s3:GetBucketTagging",
)


def _bucket_region(location: str | None) -> str:
    # GetBucketLocation answers null for us-east-1 and the legacy alias "EU" for eu-west-1.
    if not location:
        return "us-east-1"
    return "eu-west-1" if location == "EU" else location


class S3Collector(AwsCollector):
    """Storage protection evidence for every general-purpose bucket of the account.

    S3 lists buckets account-wide, so every bucket is collected whatever regions the
    target names; each fact's scope carries the bucket's own region.

    - `aws.s3.bucket` (bucket ARN): `region`, `created`, `encryption_rules` (default
      encryption rules, null when none is configured), `public_access_block` (the bucket's
      block settings, null when none), `versioning` (`status` Enabled/Suspended/null,
      `mfa_delete`), `logging` (target bucket and prefix, null when off) and `tags`.
    - `aws.s3.account_public_access_block` (`<account>:global`): `config`, the account-level
      block settings from S3 Control, null when none is configured.
    """

    name = "aws.s3"
    kinds = (BUCKET, ACCOUNT_BLOCK)
    permissions = (
        "s3:ListAllMyBuckets",
        "s3:GetBucketLocation",
        "s3:GetEncryptionConfiguration",
        "s3:GetBucketPublicAccessBlock",
        "s3:GetBucketVersioning",
        "s3:GetBucketLogging",
        "s3:GetBucketTagging",
        "s3:GetAccountPublicAccessBlock",
    )

    per_region = False

    def collect_unit(self, account: AwsAccount, region: str) -> Iterator[Fact | CollectionError]:
        yield from self._buckets(account)
        yield self._account_block(account)

    def _buckets(self, account: AwsAccount) -> Iterator[Fact | CollectionError]:
        s3 = account.client("s3")
        try:
            buckets, pages = paginate(s3, "list_buckets", "Buckets")
        except AwsCallError as exc:
            yield exc.to_collection_error((BUCKET,), account.scope(GLOBAL))
            return
        for bucket in buckets:
            arn = f"arn:{account.partition}:s3:::{bucket['Name']}"
            try:
                location = call(s3, "get_bucket_location", Bucket=bucket["Name"])["LocationConstraint"]
                region = _bucket_region(location)
                data = self._bucket(account, bucket["Name"], region)
            except AwsCallError as exc:
                yield exc.to_collection_error((BUCKET,), account.scope(bucket.get("BucketRegion") or GLOBAL), arn)
                continue
            data.update(name=bucket["Name"], arn=arn, region=region, created=iso(bucket.get("CreationDate")))
            yield Fact(
                kind=BUCKET,
                resource=arn,
                scope=account.scope(region),
                data=data,
                source=account.source(_BUCKET_OPERATIONS, account.client("s3", region), pages),
            )

    @staticmethod
    def _bucket(account: AwsAccount, name: str, region: str) -> dict[str, Any]:
        s3 = account.client("s3", region)
        no_encryption = ("ServerSideEncryptionConfigurationNotFoundError",)
        encryption = call_optional(s3, "get_bucket_encryption", no_encryption, Bucket=name)
        block = call_optional(s3, "get_public_access_block", ("NoSuchPublicAccessBlockConfiguration",), Bucket=name)
        versioning = call(s3, "get_bucket_versioning", Bucket=name)
        logging = call(s3, "get_bucket_logging", Bucket=name).get("LoggingEnabled")
        tagging = call_optional(s3, "get_bucket_tagging", ("NoSuchTagSet",), Bucket=name)
        return {
            "encryption_rules": encryption["ServerSideEncryptionConfiguration"]["Rules"] if encryption else None,
            "public_access_block": block["PublicAccessBlockConfiguration"] if block else None,
            "versioning": {"status": versioning.get("Status"), "mfa_delete": versioning.get("MFADelete")},
            "logging": {"target_bucket": logging["TargetBucket"], "target_prefix": logging.get("TargetPrefix")}
            if logging
            else None,
            "tags": tag_dict(tagging["TagSet"]) if tagging else {},
        }

    @staticmethod
    def _account_block(account: AwsAccount) -> Fact | CollectionError:
        scope = account.scope(GLOBAL)
        resource = f"{account.account_id}:{GLOBAL}"
        s3control = account.client("s3control")
        try:
            response = call_optional(
                s3control,
                "get_public_access_block",
                ("NoSuchPublicAccessBlockConfiguration",),
                AccountId=account.account_id,
            )
        except AwsCallError as exc:
            return exc.to_collection_error((ACCOUNT_BLOCK,), scope, resource)
        return Fact(
            kind=ACCOUNT_BLOCK,
            resource=resource,
            scope=scope,
            data={"config": response["PublicAccessBlockConfiguration"] if response else None},
            source=account.source(["s3control:GetPublicAccessBlock"], s3control),
        )
