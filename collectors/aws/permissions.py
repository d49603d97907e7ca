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
    "s3:GetObjectLockConfiguration": "s3:GetBucketObjectLockConfiguration",
    "s3:GetBucketLifecycleConfiguration": "s3:GetLifecycleConfiguration",
}


# botocore service names whose IAM action prefix differs.
_IAM_PREFIX = {"efs": "elasticfilesystem", "elbv2": "elasticloadbalancing"}


def iam_action(operation: str) -> str:
    """`s3:GetBucketEncryption` -> `s3:GetEncryptionConfiguration`; most operations map to themselves."""
    if operation in _ACTION_FOR_OPERATION:
        return _ACTION_FOR_OPERATION[operation]
    service, _, name = operation.partition(":")
    return f"{_IAM_PREFIX.get(service, service)}:{name}"
