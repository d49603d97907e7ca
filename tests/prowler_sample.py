"""Prowler findings in the shape of Prowler's JSON-OCSF output (`prowler aws -M json-ocsf`).

Built as prowler/lib/outputs/ocsf/ocsf.py builds them: an OCSF Detection Finding per
check x resource, Prowler's check id in metadata.event_code, PASS/FAIL/MANUAL in
status_code, and the check's compliance requirements in unmapped.compliance, keyed
"<Framework>-<Version>" (ISO27001-2022 ids look like "A.8.24").
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

ACCOUNT = "123456789012"


def prowler_finding(
    check: str,
    resource: str,
    status: str,
    iso: list[str],
    time: int = 1_790_000_000,
    version: str = "5.4.0",
    region: str = "eu-west-1",
) -> dict[str, Any]:
    stamp = "2026-09-21T14:13:20.123456"
    return {
        "message": f"{check} {status} for {resource}",
        "metadata": {
            "event_code": check,
            "product": {"name": "Prowler", "uid": "prowler", "vendor_name": "Prowler", "version": version},
            "profiles": ["cloud", "datetime"],
            "tenant_uid": "",
            "version": "1.4.0",
        },
        "severity_id": 4,
        "severity": "High",
        "status": "New",
        "status_code": status,
        "status_detail": f"{resource} is {'compliant' if status == 'PASS' else 'not compliant'}.",
        "status_id": 1,
        "unmapped": {
            "related_url": "",
            "categories": ["encryption"],
            "depends_on": [],
            "related_to": [],
            "additional_urls": [],
            "notes": "",
            "compliance": {"CIS-2.0": ["2.1.1"], "ISO27001-2022": iso},
        },
        "activity_name": "Create",
        "activity_id": 1,
        "finding_info": {
            "created_time": time,
            "created_time_dt": stamp,
            "desc": f"Check {check}.",
            "title": f"Check {check}",
            "types": ["Data Protection"],
            "uid": f"prowler-aws-{check}-{ACCOUNT}-{region}-{resource}",
        },
        "resources": [
            {
                "cloud_partition": "aws",
                "region": region,
                "data": {"details": "", "metadata": {}},
                "group": {"name": check.split("_")[0]},
                "labels": [],
                "name": resource,
                "type": "AwsS3Bucket",
                "uid": f"arn:aws:s3:::{resource}",
            }
        ],
        "category_name": "Findings",
        "category_uid": 2,
        "class_name": "Detection Finding",
        "class_uid": 2004,
        "cloud": {
            "account": {"name": "", "type": "AWS Account", "type_id": 10, "uid": ACCOUNT, "labels": []},
            "org": {"name": "", "uid": ""},
            "provider": "aws",
            "region": region,
        },
        "remediation": {"desc": "Enable default encryption.", "references": []},
        "risk_details": "Data could be read.",
        "time": time,
        "time_dt": stamp,
        "type_uid": 200401,
        "type_name": "Detection Finding: Create",
    }


SAMPLE = [
    prowler_finding("s3_bucket_default_encryption", "logs", "PASS", ["A.8.24"]),
    prowler_finding("s3_bucket_default_encryption", "exports", "FAIL", ["A.8.24"]),
    prowler_finding("iam_root_mfa_enabled", "root", "PASS", ["A.5.15", "A.5.17"]),
    prowler_finding("account_security_contact_information_is_registered", "account", "MANUAL", ["A.5.5"]),
]


def write_sample(path: Path, findings: list[dict[str, Any]] | None = None) -> Path:
    """Write findings the way Prowler does: a JSON array of indented objects."""
    items = SAMPLE if findings is None else findings
    path.write_text("[" + ",".join(json.dumps(f, indent=4) for f in items) + "]")
    return path
