"""KMS: customer-managed keys and whether automatic rotation is on."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from annexa.collectors.aws.collector import AwsCollector
from annexa.collectors.aws.errors import AwsCallError
from annexa.collectors.aws.session import AwsAccount, call, iso, paginate
from annexa.model import CollectionError, Fact

KEY = "aws.kms.key"


def _rotation_supported(metadata: dict[str, Any]) -> bool:
    # AWS rotates only symmetric encryption keys with AWS-generated material.
    return metadata.get("KeySpec") == "SYMMETRIC_DEFAULT" and metadata.get("Origin") == "AWS_KMS"


class KmsCollector(AwsCollector):
    """Key management evidence for customer-managed KMS keys in each configured region.

    AWS-managed keys (KeyManager AWS) are skipped: AWS rotates them and customers can't.

    - `aws.kms.key` (key ARN): `key_id`, `arn`, `key_state`, `key_spec`, `key_usage`,
      `origin`, `multi_region`, `created`, `description`, `rotation_supported`
      (symmetric keys with AWS_KMS origin) and `rotation_enabled` (from
      GetKeyRotationStatus for Enabled/Disabled keys; null where not supported or
      the key is pending deletion or import).
    """

    name = "aws.kms"
    kinds = (KEY,)
    permissions = ("kms:ListKeys", "kms:DescribeKey", "kms:GetKeyRotationStatus")

    def collect_unit(self, account: AwsAccount, region: str) -> Iterator[Fact | CollectionError]:
        kms = account.client("kms", region)
        scope = account.scope(region)
        try:
            keys, pages = paginate(kms, "list_keys", "Keys")
        except AwsCallError as exc:
            yield exc.to_collection_error((KEY,), scope)
            return
        for key in keys:
            try:
                metadata = call(kms, "describe_key", KeyId=key["KeyId"])["KeyMetadata"]
                if metadata.get("KeyManager") != "CUSTOMER":
                    continue
                supported = _rotation_supported(metadata)
                # Keys pending deletion or import answer KMSInvalidStateException: nothing to read.
                readable = supported and metadata.get("KeyState") in ("Enabled", "Disabled")
                rotation = call(kms, "get_key_rotation_status", KeyId=key["KeyId"]) if readable else None
            except AwsCallError as exc:
                yield exc.to_collection_error((KEY,), scope, key["KeyArn"])
                continue
            operations = ["kms:ListKeys", "kms:DescribeKey"] + (["kms:GetKeyRotationStatus"] if readable else [])
            yield Fact(
                kind=KEY,
                resource=metadata["Arn"],
                scope=scope,
                data={
                    "key_id": metadata["KeyId"],
                    "arn": metadata["Arn"],
                    "key_state": metadata.get("KeyState"),
                    "key_spec": metadata.get("KeySpec"),
                    "key_usage": metadata.get("KeyUsage"),
                    "origin": metadata.get("Origin"),
                    "multi_region": bool(metadata.get("MultiRegion")),
                    "created": iso(metadata.get("CreationDate")),
                    "description": metadata.get("Description", ""),
                    "rotation_supported": supported,
                    "rotation_enabled": bool(rotation["KeyRotationEnabled"]) if rotation else None,
                },
                source=account.source(operations, kms, pages),
            )
