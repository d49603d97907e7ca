"""The ticket record model Jira and GitHub share, so one set of rules judges both.

A record is one ticket of a configured `type`:
- `change`: `author` (who made the change), `approvals` (`[{by, at}]`), `independent_approved_at`
  (the earliest approval by someone other than the author, null when there is none) and
  `deployed_at` (when the change went live: a PR's merge, a Jira transition or resolution);
- `incident`: `severity`, and where the source can tell, `post_incident_review` (the linked
  review's key, null when none is linked);
- `access_review`: `due_date` (left out when the ticket has none: the rule then cannot judge);
- `incident` and `vulnerability`: `severity` and `sla_days` (from the config's SLA for that severity, left out
  when the config names none for it, so the rule reports it rather than guessing).
Every record has `key`, `type`, `query`, `status`, `created_at`, `resolved_at` (RFC 3339 UTC) and,
once resolved, `resolution_days` (created to resolved; JMESPath has no arithmetic).
Only identifiers and dates are kept: no summaries, descriptions or comments.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timezone
from typing import Any

from annexa.model import parse_timestamp

__all__ = ["TYPES", "check_sla", "iso", "set_resolution", "sla_days"]

TYPES = ("change", "incident", "access_review", "vulnerability")


def iso(value: Any) -> str | None:
    """A source's timestamp (`2023-06-24T19:24:50.000+0000`, `2026-11-20`, `...Z`) as RFC 3339 UTC."""
    if not value:
        return None
    text = str(value)
    if len(text) > 23 and text[-5] in "+-" and text[-3] != ":":  # Jira's +0000: add the colon
        text = f"{text[:-2]}:{text[-2:]}"
    parsed = parse_timestamp(text)
    return parsed.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def check_sla(where: str, sla: Any) -> None:
    """`sla_days: {severity: days}`: ValueError naming `where` unless every value is a positive integer."""
    if not isinstance(sla, Mapping) or not sla:
        raise ValueError(f"{where}: sla_days must map each severity to a number of days")
    for severity, days in sla.items():
        if isinstance(days, bool) or not isinstance(days, int) or days <= 0:
            raise ValueError(f"{where}: sla_days[{severity!r}] must be a positive number of days, not {days!r}")


def sla_days(sla: Mapping[str, int] | None, severity: str | None) -> int | None:
    """The configured SLA for a severity (matched case-insensitively), None when the config has none."""
    if not sla or severity is None:
        return None
    by_name = {str(name).lower(): days for name, days in sla.items()}
    return by_name.get(severity.lower())


def set_resolution(record: dict[str, Any]) -> dict[str, Any]:
    """Add `resolution_days` (created to resolved, 2 decimals) to a resolved record; returns it."""
    if record.get("created_at") and record.get("resolved_at"):
        elapsed = parse_timestamp(record["resolved_at"]) - parse_timestamp(record["created_at"])
        record["resolution_days"] = round(elapsed.total_seconds() / 86400, 2)
    return record
