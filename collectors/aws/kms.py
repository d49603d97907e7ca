"""KMS: customer-managed keys and whether automatic rotation is on."""

from __future__ import annotations

from typing import Any

from annexa.collectors.aws.collector import AwsCollector
from annexa.collectors.aws.session import iso
from annexa.collectors.aws.spec import Detail, Listing

KEY = "aws.kms.key"


def _rotation_supported(metadata: dict[str, Any]) -> bool:
    # AWS rotates only symmetric encryption keys with AWS-generated material.
    return metadata.get("KeySpec") == "SYMMETRIC_DEFAULT" and metadata.get("Origin") == "AWS_KMS"


def _rotation_readable(metadata: dict[str, Any]) -> bool:
    # Keys pending deletion or import answer KMSInvalidStateException: nothing to read.
    return _rotation_supported(metadata) and metadata.get("KeyState") in ("Enabled", "Disabled")


def _key(key: dict[str, Any], metadata: dict[str, Any], rotation: dict[str, Any] | None) -> dict[str, Any]:
    return {
        "key_id": metadata["KeyId"],
        "arn": metadata["Arn"],
        "key_state": metadata.get("KeyState"),
        "key_spec": metadata.get("KeySpec"),
        "key_usage": metadata.get("KeyUsage"),
        "origin": metadata.get("Origin"),
        "multi_region": bool(metadata.get("MultiRegion")),
        "created": iso(metadata.get("CreationDate")),
        "description": metadata.get("Description", ""),
        "rotation_supported": _rotation_supported(metadata),
        "rotation_enabled": bool(rotation["KeyRotationEnabled"]) if rotation else None,
    }


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
    specs = (
        Listing(
            KEY,
            "kms",
            "ListKeys",
            "Keys",
            resource="KeyArn",
            details=(
                Detail(
                    "DescribeKey",
                    lambda key: {"KeyId": key["KeyId"]},
                    key="KeyMetadata",
                    keep=lambda key, metadata: metadata.get("KeyManager") == "CUSTOMER",
                ),
                Detail(
                    "GetKeyRotationStatus",
                    lambda key: {"KeyId": key["KeyId"]},
                    when=lambda key, metadata: _rotation_readable(metadata),
                ),
            ),
            data=_key,
        ),
    )
