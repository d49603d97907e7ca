"""The IAM credential report: request it, wait for it, parse its CSV into typed rows.

AWS builds the report asynchronously: GenerateCredentialReport answers STARTED or
INPROGRESS until it is COMPLETE, so we poll a bounded number of times.
"""

from __future__ import annotations

import csv
import io
import time
from collections.abc import Callable
from typing import Any

from botocore.client import BaseClient
from botocore.exceptions import ClientError

from annexa.collectors.aws.errors import AwsCallError
from annexa.collectors.aws.session import call, operation_name

__all__ = ["ROOT_ROW", "fetch_credential_report", "parse_credential_report", "access_keys"]

ROOT_ROW = "<root_account>"
# Placeholders AWS writes where a value does not exist; they become null so rules can use `||`.
_MISSING = {"N/A", "not_supported", "no_information", ""}


def fetch_credential_report(
    iam: BaseClient, attempts: int = 10, delay: float = 2.0, sleep: Callable[[float], None] = time.sleep
) -> list[dict[str, Any]]:
    """Generate (or reuse a fresh) credential report and return its parsed rows."""
    for attempt in range(attempts):
        state = call(iam, "generate_credential_report")["State"]
        if state == "COMPLETE":
            break
        if attempt < attempts - 1:
            sleep(delay)
    else:
        not_ready = ClientError(
            {
                "Error": {
                    "Code": "ReportInProgress",
                    "Message": f"credential report not COMPLETE after {attempts} polls",
                }
            },
            "GenerateCredentialReport",
        )
        raise AwsCallError(operation_name(iam, "generate_credential_report"), not_ready)
    content = call(iam, "get_credential_report")["Content"]
    return parse_credential_report(content.decode("utf-8") if isinstance(content, bytes) else content)


def _value(raw: str) -> Any:
    if raw in _MISSING:
        return None
    if raw in ("true", "false"):
        return raw == "true"
    return raw


def parse_credential_report(text: str) -> list[dict[str, Any]]:
    """Rows keyed by the report's column names, with booleans and nulls typed."""
    return [{key: _value(raw) for key, raw in row.items()} for row in csv.DictReader(io.StringIO(text))]


def access_keys(row: dict[str, Any]) -> list[dict[str, Any]]:
    """The access keys a report row describes (slots 1 and 2), skipping empty slots."""
    keys = []
    for slot in (1, 2):
        prefix = f"access_key_{slot}_"
        if row.get(prefix + "last_rotated") is None and not row.get(prefix + "active"):
            continue
        keys.append(
            {
                "slot": slot,
                "active": bool(row.get(prefix + "active")),
                "last_rotated": row.get(prefix + "last_rotated"),
                "last_used_date": row.get(prefix + "last_used_date"),
                "last_used_region": row.get(prefix + "last_used_region"),
                "last_used_service": row.get(prefix + "last_used_service"),
            }
        )
    return keys
