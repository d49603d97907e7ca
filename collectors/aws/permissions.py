"""Which IAM action authorises each API operation the AWS collectors call.

Most operations share their IAM action's name; S3 is the exception, so the
least-privilege policy (policies/aws-readonly-policy.json) can be checked
against the operations a run really made.
"""

from __future__ import annotations

__all__ = ["iam_action"]

_ACTION_FOR_OPERATION = {
    "s3:ListBuckets": "s3:ListAllMyBuckets",
    "s3:GetBucketEncryption": "s3:GetEncryptionConfiguration",
    "s3:GetPublicAccessBlock": "s3:GetBucketPublicAccessBlock",
    "s3control:GetPublicAccessBlock": "s3:GetAccountPublicAccessBlock",
}


def iam_action(operation: str) -> str:
    """`s3:GetBucketEncryption` -> `s3:GetEncryptionConfiguration`; most operations map to themselves."""
    return _ACTION_FOR_OPERATION.get(operation, operation)
