"""The non-conformity register: each failing rule x resource, when it was first and last
seen failing, how long it stayed open, and when it passed again.

Read from the verified state of the period's first run and the deltas after it
(Store.result_spans), so the cost grows with the number of changes, not with the
number of nightly runs.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from itertools import groupby
from typing import Any

from annexa.evidence_store.store import RunInfo, Store
from annexa.model import parse_timestamp
from annexa.reports.period import Period
from annexa.reports.xlsx import Column, Sheet, workbook_bytes

__all__ = ["NC_COLUMNS", "TABLE_COLUMNS", "nonconformities", "nonconformity_workbook"]

NC_COLUMNS = (
    "rule",
    "title",
    "controls",
    "severity",
    "kind",
    "resource",
    "scope",
    "state",
    "first_seen",
    "last_seen",
    "fixed_at",
    "days_open",
    "first_run",
    "last_run",
    "message",
    "remediation",
)
TABLE_COLUMNS = ("state", "severity", "rule", "resource", "first_seen", "fixed_at", "days_open")

# What happened after the last failing run, when it did not pass again.
_AFTER = {"error": "not evaluated (collection error)", "not_applicable": "not applicable"}


def nonconformities(store: Store, period: Period) -> list[dict[str, Any]]:
    """One row per uninterrupted failing span of a rule x resource that overlaps the period."""
    first, last = period.first.seq, period.last.seq
    runs: Mapping[int, RunInfo] = {r.seq: r for r in store.runs()}
    rows = []
    spans = store.result_spans(first, last)
    for _key, group in groupby(spans, key=lambda s: (s["rule"], s["resource"])):
        items = list(group)
        index = 0
        while index < len(items):
            if items[index]["status"] != "fail":
                index += 1
                continue
            start = items[index]
            end = start
            while (
                index + 1 < len(items)
                and items[index + 1]["status"] == "fail"
                and (items[index + 1]["first_seq"] == end["last_seq"] + 1)
            ):
                index += 1
                end = items[index]
            after = items[index + 1] if index + 1 < len(items) else None
            if after is not None and after["first_seq"] != min(end["last_seq"], last) + 1:
                after = None  # a gap: the rule x resource was not evaluated in between
            rows.append(_row(start, end, after, runs, period, last))
            index += 1
    rows.sort(key=lambda r: (r["state"] != "open", r["first_seen"], r["rule"], r["resource"]))
    return rows


def _row(start: Any, end: Any, after: Any, runs: Mapping[int, RunInfo], period: Period, last: int) -> dict[str, Any]:
    last_seq = min(end["last_seq"], last)  # state as of the period's end: nothing later leaks in
    first_seen = runs[start["first_seq"]].started_at
    last_seen = runs[last_seq].started_at
    fixed_at = None
    if after is not None and after["status"] == "pass":
        state, fixed_at = "fixed", runs[after["first_seq"]].started_at
    elif after is not None:
        state = _AFTER.get(after["status"], after["status"])
    elif last_seq == last:
        state = "open"
    else:
        state = "no longer evaluated"  # the resource or the rule went away
    until: datetime = parse_timestamp(fixed_at or last_seen) if state != "open" else period.end_of
    return {
        "rule": end["rule"],
        "title": end["title"] or "",
        "controls": json.loads(end["controls"] or "[]"),
        "severity": end["severity"] or "",
        "kind": end["kind"] or "",
        "resource": end["resource"],
        "scope": json.loads(start["scope"] or "{}"),
        "state": state,
        "first_seen": first_seen,
        "last_seen": last_seen,
        "fixed_at": fixed_at,
        "days_open": round((until - parse_timestamp(first_seen)).total_seconds() / 86400, 1),
        "first_run": runs[start["first_seq"]].run_id,
        "last_run": runs[last_seq].run_id,
        "message": end["message"],
        "remediation": end["remediation"] or "",
    }


_WORKBOOK = (
    Column("state", "State", 12),
    Column("severity", "Severity", 10),
    Column("controls", "Controls", 14),
    Column("rule", "Rule", 30),
    Column("title", "Title", 36, wrap=True),
    Column("resource", "Resource", 44, wrap=True),
    Column("scope", "Scope", 30, wrap=True),
    Column("first_seen", "First seen", 21),
    Column("last_seen", "Last seen", 21),
    Column("fixed_at", "Fixed at", 21),
    Column("days_open", "Days open", 10),
    Column("message", "Observed", 44, wrap=True),
    Column("remediation", "Remediation", 44, wrap=True),
    Column("first_run", "First run", 24),
    Column("last_run", "Last run", 24),
)


def nonconformity_workbook(rows: Sequence[Mapping[str, Any]]) -> bytes:
    return workbook_bytes([Sheet("Non-conformities", _WORKBOOK, rows)])
