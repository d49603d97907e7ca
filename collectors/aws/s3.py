"""S3: per-bucket protection settings and the account-wide public access block."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

from annexa.collectors.aws.collector import AwsCollector
from annexa.collectors.aws.errors import AwsCallError
from annexa.collectors.aws.policy_document import as_document, denies_insecure_transport
from annexa.collectors.aws.session import GLOBAL, AwsAccount, call, iso, paginate, tag_dict
from annexa.collectors.aws.spec import Detail, Setting, Unit, detail_permissions, read_details
from annexa.model import CollectionError, Fact

BUCKET = "aws.s3.bucket"
ACCOUNT_BLOCK = "aws.s3.account_public_access_block"


def _bucket_param(name: str) -> dict[str, str]:
    return {"Bucket": name}


# Read per bucket in the bucket's own region; the `absent` codes are S3's "not configured".
_BUCKET_READS = (
    Detail(
        "GetBucketEncryption",
        _bucket_param,
        key="ServerSideEncryptionConfiguration.Rules",
        absent=("ServerSideEncryptionConfigurationNotFoundError",),
    ),
    Detail(
        "GetPublicAccessBlock",
        _bucket_param,
        key="PublicAccessBlockConfiguration",
        absent=("NoSuchPublicAccessBlockConfiguration",),
    ),
    Detail("GetBucketVersioning", _bucket_param),
    Detail("GetBucketLogging", _bucket_param, key="LoggingEnabled"),
    Detail("GetBucketTagging", _bucket_param, key="TagSet", absent=("NoSuchTagSet",)),
    Detail("GetBucketPolicy", _bucket_param, key="Policy", absent=("NoSuchBucketPolicy",)),
    Detail(
        "GetObjectLockConfiguration",
        _bucket_param,
        key="ObjectLockConfiguration",
        absent=("ObjectLockConfigurationNotFoundError",),
    ),
    Detail("GetBucketLifecycleConfiguration", _bucket_param, key="Rules", absent=("NoSuchLifecycleConfiguration",)),
)


# The account-level block (S3 Control), read for the account fact and again once per account for the buckets.
_ACCOUNT_READ = Detail(
    "GetPublicAccessBlock",
    lambda unit: {"AccountId": unit.account_id},
    key="PublicAccessBlockConfiguration",
    absent=("NoSuchPublicAccessBlockConfiguration",),
)
_BLOCK_FLAGS = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")


def effective_block(bucket: dict[str, Any] | None, account: dict[str, Any] | None | AwsCallError) -> dict[str, bool]:
    """The block S3 applies to a bucket: each setting on when the bucket's or the account's is on ("Amazon
    S3 applies the most restrictive combination of the bucket-level and account-level settings", S3 User
    Guide, Blocking public access). A setting the bucket leaves off while the account's could not be read
    is left out: it cannot be told, and a rule reading it says `error`."""
    out = {}
    for flag in _BLOCK_FLAGS:
        on_bucket = bool((bucket or {}).get(flag))
        if isinstance(account, AwsCallError):
            if on_bucket:
                out[flag] = True
            continue
        out[flag] = on_bucket or bool((account or {}).get(flag))
    return out


def _bucket_region(location: str | None) -> str:
    # GetBucketLocation answers null for us-east-1 and the legacy alias "EU" for eu-west-1.
    if not location:
        return "us-east-1"
    return "eu-west-1" if location == "EU" else location


def _object_lock(config: dict[str, Any] | None) -> dict[str, Any] | None:
    # GetObjectLockConfiguration: ObjectLockEnabled is "Enabled" or absent; Rule.DefaultRetention holds Mode
    # (GOVERNANCE | COMPLIANCE) and Days or Years (S3 API Reference, ObjectLockConfiguration).
    if config is None:
        return None
    retention = (config.get("Rule") or {}).get("DefaultRetention") or {}
    return {
        "enabled": config.get("ObjectLockEnabled") == "Enabled",
        "mode": retention.get("Mode"),
        # Days and Years are exclusive and at least 1; a 0 (moto sends Days 0 beside Years) is no period
        "days": retention.get("Days") or None,
        "years": retention.get("Years") or None,
    }


def _lifecycle(rules: list[dict[str, Any]] | None) -> list[dict[str, Any]] | None:
    # Expiration holds Days or Date (or only ExpiredObjectDeleteMarker, which deletes nothing current);
    # NoncurrentVersionExpiration.NoncurrentDays deletes old versions (S3 API Reference, LifecycleRule).
    if rules is None:
        return None
    out = []
    for rule in rules:
        expiration = rule.get("Expiration") or {}
        noncurrent = rule.get("NoncurrentVersionExpiration") or {}
        out.append(
            {
                "id": rule.get("ID"),
                "enabled": rule.get("Status") == "Enabled",
                "expires_current": "Days" in expiration or "Date" in expiration,
                "expiration_days": expiration.get("Days"),
                "noncurrent_expiration_days": noncurrent.get("NoncurrentDays"),
            }
        )
    return out


def _tls_only(policy: str | None, arn: str) -> dict[str, bool]:
    """`tls_only`, left out when the policy is not a JSON document: a rule reading it then says `error`."""
    if policy is None:
        return {"tls_only": False}
    try:
        document = as_document(policy)
    except ValueError:
        return {}
    return {"tls_only": isinstance(document, dict) and denies_insecure_transport(document, arn)}


def _bucket(
    encryption_rules: list[Any] | None,
    block: dict[str, Any] | None,
    versioning: dict[str, Any],
    logging: dict[str, Any] | None,
    tags: list[dict[str, str]] | None,
    policy: str | None,
    object_lock: dict[str, Any] | None,
    lifecycle: list[dict[str, Any]] | None,
) -> dict[str, Any]:
    return {
        "encryption_rules": encryption_rules,
        "public_access_block": block,
        "versioning": {"status": versioning.get("Status"), "mfa_delete": versioning.get("MFADelete")},
        "logging": {"target_bucket": logging["TargetBucket"], "target_prefix": logging.get("TargetPrefix")}
        if logging
        else None,
        "tags": tag_dict(tags),
        "has_policy": policy is not None,
        "object_lock": _object_lock(object_lock),
        "lifecycle_rules": _lifecycle(lifecycle),
    }


class S3Collector(AwsCollector):
    """Storage protection evidence for every general-purpose bucket of the account.

    S3 lists buckets account-wide, so every bucket is collected whatever regions the
    target names; each fact's scope carries the bucket's own region (read by code: each
    bucket's settings are read in the region GetBucketLocation names).

    - `aws.s3.bucket` (bucket ARN): `region`, `created`, `encryption_rules` (default
      encryption rules, null when none is configured), `public_access_block` (the bucket's
      block settings, null when none), `effective_public_access_block` (what S3 applies: each
      setting on at the bucket or the account; a setting is left out when the bucket's is off
      and the account's could not be read), `versioning` (`status` Enabled/Suspended/null,
      `mfa_delete`), `logging` (target bucket and prefix, null when off), `tags`, `has_policy`,
      `tls_only` (the bucket policy denies every request not sent over TLS, `aws:SecureTransport`
      false; false without a policy), `object_lock` (`enabled`, default retention `mode`, `days`,
      `years`; null when Object Lock was never configured), `lifecycle_rules` (`id`, `enabled`,
      `expires_current`, `expiration_days`, `noncurrent_expiration_days`; null when none) and
      `log_sources`: the collected buckets whose server access logs go to this bucket.
    - `aws.s3.account_public_access_block` (`<account>:global`): `config`, the account-level
      block settings from S3 Control, null when none is configured.
    """

    name = "aws.s3"
    kinds = (BUCKET, ACCOUNT_BLOCK)
    per_region = False
    specs = (Setting(ACCOUNT_BLOCK, "s3control", (_ACCOUNT_READ,), data=lambda config: {"config": config}),)
    permissions = ("s3:ListAllMyBuckets", "s3:GetBucketLocation", *detail_permissions("s3", _BUCKET_READS))

    def collect_unit(self, account: AwsAccount, region: str) -> Iterator[Fact | CollectionError]:
        yield from super().collect_unit(account, region)
        yield from self._buckets(account)

    @staticmethod
    def _buckets(account: AwsAccount) -> Iterator[Fact | CollectionError]:
        s3 = account.client("s3")
        try:
            buckets, pages = paginate(s3, "list_buckets", "Buckets")
        except AwsCallError as exc:
            yield exc.to_collection_error((BUCKET,), account.scope(GLOBAL))
            return
        account_block: dict[str, Any] | None | AwsCallError
        try:
            account_block = _ACCOUNT_READ.read(Unit(account, GLOBAL), "s3control", Unit(account, GLOBAL), [])
        except AwsCallError as exc:
            account_block = exc
        facts: list[Fact] = []
        for bucket in buckets:
            name, arn = bucket["Name"], f"arn:{account.partition}:s3:::{bucket['Name']}"
            try:
                region = _bucket_region(call(s3, "get_bucket_location", Bucket=name)["LocationConstraint"])
                unit = Unit(account, region)
                read = read_details(_BUCKET_READS, unit, "s3", name, ("s3:ListBuckets", "s3:GetBucketLocation"))
            except AwsCallError as exc:
                yield exc.to_collection_error((BUCKET,), account.scope(bucket.get("BucketRegion") or GLOBAL), arn)
                continue
            policy = read.answers[5]
            facts.append(
                Fact(
                    kind=BUCKET,
                    resource=arn,
                    scope=unit.scope(),
                    data={
                        **_bucket(*read.answers),
                        **_tls_only(policy, arn),
                        "effective_public_access_block": effective_block(read.answers[1], account_block),
                        "name": name,
                        "arn": arn,
                        "region": region,
                        "created": iso(bucket.get("CreationDate")),
                    },
                    source=unit.source([*read.operations, "s3control:GetPublicAccessBlock"], unit.client("s3"), pages),
                )
            )
        # A bucket that receives other buckets' access logs is a log bucket (A.5.33, A.8.10 rules).
        sources: dict[str, list[str]] = {}
        for fact in facts:
            if fact.data["logging"]:
                sources.setdefault(fact.data["logging"]["target_bucket"], []).append(fact.data["name"])
        for fact in facts:
            yield dataclasses.replace(
                fact, data={**fact.data, "log_sources": sorted(sources.get(fact.data["name"], []))}
            )
