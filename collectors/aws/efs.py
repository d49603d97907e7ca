"""EFS: file systems and whether they are encrypted at rest."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from annexa.collectors.aws.collector import AwsCollector
from annexa.collectors.aws.listing import listed
from annexa.collectors.aws.session import AwsAccount, iso, tag_dict
from annexa.model import CollectionError, Fact

FILE_SYSTEM = "aws.efs.file_system"


class EfsCollector(AwsCollector):
    """Storage encryption evidence (A.8.24) for each configured region.

    - `aws.efs.file_system` (file system ARN): `file_system_id`, `name`, `encrypted`,
      `kms_key_id`, `performance_mode`, `created`, `tags`.
    """

    name = "aws.efs"
    kinds = (FILE_SYSTEM,)
    permissions = ("elasticfilesystem:DescribeFileSystems",)

    def collect_unit(self, account: AwsAccount, region: str) -> Iterator[Fact | CollectionError]:
        yield from listed(
            account,
            region,
            FILE_SYSTEM,
            "efs",
            "describe_file_systems",
            "FileSystems",
            lambda fs: (
                fs.get("FileSystemArn")
                or f"arn:{account.partition}:elasticfilesystem:{region}:{account.account_id}:"
                f"file-system/{fs['FileSystemId']}"
            ),
            _file_system,
        )


def _file_system(fs: dict[str, Any]) -> dict[str, Any]:
    return {
        "file_system_id": fs["FileSystemId"],
        "name": fs.get("Name"),
        "encrypted": bool(fs.get("Encrypted")),
        "kms_key_id": fs.get("KmsKeyId"),
        "performance_mode": fs.get("PerformanceMode"),
        "created": iso(fs.get("CreationTime")),
        "tags": tag_dict(fs.get("Tags")),
    }
