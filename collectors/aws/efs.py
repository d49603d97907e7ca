"""EFS: file systems and whether they are encrypted at rest."""

from __future__ import annotations

from typing import Any

from annexa.collectors.aws.collector import AwsCollector
from annexa.collectors.aws.session import iso, tag_dict
from annexa.collectors.aws.spec import Listing, Unit

FILE_SYSTEM = "aws.efs.file_system"


def _arn(fs: dict[str, Any], unit: Unit) -> str:
    return fs.get("FileSystemArn") or unit.arn("elasticfilesystem", f"file-system/{fs['FileSystemId']}")


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


class EfsCollector(AwsCollector):
    """Storage encryption evidence (A.8.24) for each configured region.

    - `aws.efs.file_system` (file system ARN): `file_system_id`, `name`, `encrypted`,
      `kms_key_id`, `performance_mode`, `created`, `tags`.
    """

    name = "aws.efs"
    specs = (Listing(FILE_SYSTEM, "efs", "DescribeFileSystems", "FileSystems", resource=_arn, data=_file_system),)
