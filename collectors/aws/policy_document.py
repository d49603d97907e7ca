"""Light normalisation of IAM policy documents (no judging: rules decide what matters)."""

from __future__ import annotations

import json
import urllib.parse
from typing import Any

__all__ = ["as_document", "denies_insecure_transport", "grants_star_on_star"]


def as_document(raw: str | dict[str, Any]) -> dict[str, Any]:
    """A policy document as a dict: botocore usually decodes it, the raw API sends URL-encoded JSON."""
    if isinstance(raw, dict):
        return raw
    return json.loads(urllib.parse.unquote(raw))


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _allows_every_action(statement: dict[str, Any]) -> bool:
    """Action `*`, or a NotAction that leaves IAM open: an Allow of NotAction grants every action it does
    not list (IAM User Guide, "IAM JSON policy elements: NotAction"), and whoever holds iam:* can grant
    themselves the rest. A NotAction excluding `iam:*` (as AWS's PowerUserAccess does) is not counted."""
    if "*" in _as_list(statement.get("Action")):
        return True
    return "NotAction" in statement and not _lower(_as_list(statement["NotAction"])) & {"*", "iam:*"}


def _on_every_resource(statement: dict[str, Any]) -> bool:
    """Resource `*`, or a NotResource (every resource but those listed; NotResource `*` matches none)."""
    if "*" in _as_list(statement.get("Resource")):
        return True
    return "NotResource" in statement and "*" not in _as_list(statement["NotResource"])


def grants_star_on_star(document: dict[str, Any]) -> bool:
    """Whether any Allow statement grants full administrative access: every action (Action `*`, or a
    NotAction leaving iam:* allowed) on every resource (Resource `*`, or a NotResource)."""
    for statement in _as_list(document.get("Statement")):
        if not isinstance(statement, dict) or statement.get("Effect") != "Allow":
            continue
        if _allows_every_action(statement) and _on_every_resource(statement):
            return True
    return False


def _lower(values: list[Any]) -> set[str]:
    return {value.lower() for value in values if isinstance(value, str)}


def _is_secure_transport_false(condition: Any) -> bool:
    """The condition is exactly `{"Bool" | "BoolIfExists": {"aws:SecureTransport": "false"}}` (keys are
    case-insensitive, IAM User Guide, condition keys): any further condition narrows the deny."""
    if not isinstance(condition, dict) or len(condition) != 1:
        return False
    ((operator, keys),) = condition.items()
    if operator.lower() not in ("bool", "boolifexists") or not isinstance(keys, dict) or len(keys) != 1:
        return False
    ((key, value),) = keys.items()
    values = {str(v).lower() for v in _as_list(value)}
    return key.lower() == "aws:securetransport" and values == {"false"}


def denies_insecure_transport(document: dict[str, Any], bucket_arn: str) -> bool:
    """Whether a statement denies every principal every S3 action on the bucket and its objects over
    plain HTTP: Deny, Principal `*`, Action `s3:*` (or `*`), Resource `*` or both the bucket and `bucket/*`,
    and only the condition `aws:SecureTransport` false (S3 User Guide, "Enforce encryption of data in
    transit"; AWS Config rule s3-bucket-ssl-requests-only). A statement with NotPrincipal, NotAction or
    NotResource is not counted: what it covers cannot be read from it alone."""
    for statement in _as_list(document.get("Statement")):
        if not isinstance(statement, dict) or statement.get("Effect") != "Deny":
            continue
        if any(key in statement for key in ("NotPrincipal", "NotAction", "NotResource")):
            continue
        principal = statement.get("Principal")
        if not (principal == "*" or (isinstance(principal, dict) and "*" in _as_list(principal.get("AWS")))):
            continue
        if not _lower(_as_list(statement.get("Action"))) & {"s3:*", "*"}:
            continue
        resources = set(_as_list(statement.get("Resource")))
        if "*" not in resources and not {bucket_arn, f"{bucket_arn}/*"} <= resources:
            continue
        if _is_secure_transport_false(statement.get("Condition")):
            return True
    return False
