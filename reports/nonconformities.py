"""The non-conformity register (ISO/IEC 27001:2022 clause 10.2) and the evidence gaps.

One row per non-conformity (a rule failing on a resource, id `NC-...`, see corrective.py) that
concerns the period: failing in it, or not yet verified when it began. Each row carries what
people recorded with `annexa nc update` / `annexa nc import` (owner, root cause, correction,
corrective action, due date, risk acceptance or exception, notes) and what the results say (state, first and
last seen failing, fixed at, verified at, reopenings), and flags what needs attention as of the
period's end: an overdue item, an expired risk acceptance or exception. An item whose resource
no longer exists is `closed` (see corrective.py for when that is proven).

Evidence gaps are listed apart: the runs in which a rule could not be evaluated on a resource
(`error`), from the first to the last such collection run, and when it was evaluated again. A gap
is not a non-conformity (nothing was shown to fail) and not a pass (nothing was shown to work).

Read from the verified result spans of the chain (Store.result_spans, from run 1 so that an item
opened before the period keeps its history), so the cost grows with the number of changes, not
with the number of nightly runs. Only collection runs count: attestation and corrective-action
runs hold no results.
"""

from __future__ import annotations

import json
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from itertools import groupby
from typing import Any

from annexa.evidence_store.spans import ScratchRows
from annexa.evidence_store.store import RunInfo, Store
from annexa.model import parse_timestamp
from annexa.reports.corrective import FAILING_STATES, GONE, Item, RunRef, Stretch, follow, nc_id
from annexa.reports.period import Period
from annexa.reports.settings import run_settings
from annexa.reports.xlsx import Column, Sheet, workbook_chunks

__all__ = [
    "FAILING_STATES",
    "GAP_COLUMNS",
    "GAP_TABLE_COLUMNS",
    "NC_COLUMNS",
    "NC_KIND",
    "NC_RUN_TYPE",
    "TABLE_COLUMNS",
    "Register",
    "alert_lines",
    "build_register",
    "nonconformities",
    "nonconformity_workbook_chunks",
]

NC_RUN_TYPE = "corrective_action"  # the run type of `annexa nc update` / `nc import`
NC_KIND = "nc.update"  # one fact per updated item

NC_COLUMNS = (
    "id",
    "state",
    "flags",
    "rule",
    "title",
    "controls",
    "severity",
    "kind",
    "resource",
    "scope",
    "owner",
    "due",
    "root_cause",
    "correction",
    "corrective_action",
    "accepted_by",
    "acceptance_expires",
    "acceptance_reason",
    "risk_id",
    "risk_title",
    "exception_approved_by",
    "exception_expires",
    "exception_reason",
    "compensating_control",
    "first_seen",
    "last_seen",
    "fixed_at",
    "verified_at",
    "closed_at",
    "closed_reason",
    "passing_runs",
    "reopened",
    "days_open",
    "last_result",
    "first_run",
    "last_run",
    "message",
    "remediation",
    "notes",
    "updated_at",
)
TABLE_COLUMNS = ("id", "state", "severity", "rule", "resource", "owner", "due", "flags")
GAP_COLUMNS = (
    "rule",
    "title",
    "controls",
    "kind",
    "resource",
    "scope",
    "from",
    "to",
    "first_run",
    "last_run",
    "runs",
    "evaluated_again",
    "message",
)
GAP_TABLE_COLUMNS = ("rule", "resource", "from", "to", "runs", "evaluated_again")


@dataclass(frozen=True)
class Register:
    """The rows grow with the chain's failures, so they are kept in scratch tables, not in memory:
    iterate them (in the register's order, as often as needed), count them with len, and read
    those of some controls with `having`."""

    items: ScratchRows  # not fixed first, then by first seen, rule, resource
    gaps: ScratchRows  # by from, rule, resource
    verify_after: int
    as_of: str  # flags (overdue, expired) are judged at this instant: the period's end, or now if earlier


def nonconformities(store: Store, period: Period) -> list[dict[str, Any]]:
    """The register's rows for the period (see build_register), as a list."""
    return list(build_register(store, period).items)


def _register_rows() -> tuple[ScratchRows, ScratchRows]:
    """Empty tables for a register's items and gaps, ordered and tagged with their controls."""
    items = ScratchRows(
        lambda r: (r["state"] not in FAILING_STATES, r["first_seen"], r["rule"], r["resource"]), 4, _controls
    )
    return items, ScratchRows(lambda g: (g["from"], g["rule"], g["resource"]), 3, _controls)


def _controls(row: Mapping[str, Any]) -> list[str]:
    return list(row["controls"])


def build_register(store: Store, period: Period, now: datetime | None = None) -> Register:
    last = period.last.seq
    collections = [r for r in store.runs() if r.type == "collection" and r.seq <= last]
    as_of = min(period.end_of, (now or datetime.now(timezone.utc)).replace(microsecond=0))
    stamp = as_of.strftime("%Y-%m-%dT%H:%M:%SZ")
    items, gaps = _register_rows()
    if not collections:
        return Register(items, gaps, 0, stamp)
    verify_after = run_settings(store, collections[-1]).verify_after
    records: dict[str, list[dict[str, Any]]] = {}
    for record in store.statements(NC_RUN_TYPE, NC_KIND, last):
        records.setdefault(record["nc"], []).append(record)
    timeline = _Timeline(store, collections, period.first.seq)
    # The chain's spans (they grow with its changes) stay in a scratch file, read twice a (rule, resource) at a time.
    with store.result_span_table(1, last) as table:

        def groups() -> Iterator[tuple[tuple[str, str], list[dict[str, Any]]]]:
            for key, group in groupby(table.select(), key=lambda s: (s["rule"], s["resource"])):
                yield key, list(group)

        timeline.watch_facts((spans for _key, spans in groups() if any(s["status"] == "fail" for s in spans)), last)
        for (rule, resource), spans in groups():
            statuses = {s["status"] for s in spans}
            if "error" in statuses:
                for gap in _gaps(timeline, spans):
                    if gap.pop("last_index") >= timeline.period_start:
                        gaps.add(gap)
            if "fail" not in statuses:
                continue
            item = follow(
                rule,
                resource,
                timeline.stretches(spans),
                records.get(nc_id(rule, resource), []),
                verify_after,
                period.first.seq,
            )
            if item.in_period:
                items.add(_row(item, spans[-1], spans, as_of))
    return Register(items, gaps, verify_after, stamp)


class _Timeline:
    """The collection runs in chain order, where the period starts among them, and which batches
    each one carried forward. Attestation and corrective-action runs hold no results, so no
    result span covers them: a span's runs are the collection runs within its sequence range."""

    def __init__(self, store: Store, collections: Sequence[RunInfo], period_first_seq: int) -> None:
        self.store = store
        self.refs = [RunRef(r.seq, r.run_id, r.started_at) for r in collections]
        self.seqs = [r.seq for r in collections]
        self.period_start = bisect_left(self.seqs, period_first_seq)  # index of the period's first collection
        self._carried: dict[str, list[int]] | None = None
        # (kind, resource) -> its fact's (run, present) changes, for the failing items that lost their result
        self._facts: dict[tuple[str, str], list[tuple[int, bool]]] = {}

    def watch_facts(self, failing: Iterable[Sequence[Mapping[str, Any]]], last: int) -> None:
        """Read, in one pass over the fact deltas, when the facts of the items whose result went
        missing after a failure came and went (`gone_at` needs them)."""
        keys: set[tuple[str, str]] = set()
        start = last
        for spans in failing:
            ranges = list(self.ranges(spans))
            failed = [(first, span) for first, _end, span in ranges if span["status"] == "fail"]
            if not failed or not failed[0][1]["kind"]:
                continue
            position, hole = failed[0][0], None
            for first, end, _span in ranges:
                if end <= position:
                    continue
                if first > position:
                    hole = position
                    break
                position = end
            if hole is None and position < len(self.refs):
                hole = position
            if hole is not None:
                keys.add((str(failed[0][1]["kind"]), failed[0][1]["resource"]))
                start = min(start, self.seqs[hole])
        if keys:
            history = self.store.fact_history(max(1, start - 1), last, keys)
            self._facts = {key: [(seq, value is not None) for seq, value in moves] for key, moves in history.items()}

    def gone_at(self, span: Mapping[str, Any], first: int, end: int) -> int | None:
        """The first of collection runs first..end-1 (indexes) that enumerated the scope of `span`'s
        batch completely and did not find its resource; None when none did."""
        changes = self._facts.get((str(span["kind"]), span["resource"]))
        batch = span.get("batch")
        scope = json.loads(span["scope"] or "null")
        if changes is None or not batch or not isinstance(scope, dict):
            return None
        for index in range(first, end):
            seq = self.seqs[index]
            present = next((p for s, p in reversed(changes) if s <= seq), True)
            if present:
                continue
            manifest = self.store.manifest(seq)
            entry = manifest.get("batches", {}).get(batch)
            if not entry or entry.get("carried_from") or entry.get("errors", 0) or entry.get("scope") != scope:
                continue  # that scope was not read, or not completely, in this run: no proof either way
            if any(_touches(error, span["kind"], scope) for error in manifest.get("errors", [])):
                continue
            return index
        return None

    def carried_at(self, batch: str | None) -> list[int]:
        """Indexes of the runs that carried batch `batch` forward instead of collecting it."""
        if self._carried is None:
            found: dict[str, list[int]] = {}
            for index, seq in enumerate(self.seqs):
                for key, entry in self.store.manifest(seq).get("batches", {}).items():
                    if entry.get("carried_from"):
                        found.setdefault(key, []).append(index)
            self._carried = found
        return self._carried.get(batch or "", [])

    def ranges(self, spans: Sequence[Mapping[str, Any]]) -> Iterator[tuple[int, int, Mapping[str, Any]]]:
        """(first, end) indexes of the collection runs each span covers, in order (end exclusive)."""
        for span in spans:
            first, end = bisect_left(self.seqs, span["first_seq"]), bisect_right(self.seqs, span["last_seq"])
            if first < end:
                yield first, end, span

    def stretches(self, spans: Sequence[Mapping[str, Any]]) -> Iterator[Stretch]:
        """The stretches from the first failing run to the last run (runs without a result as
        `absent`; a carried pass as a stretch of its own)."""
        ranges = list(self.ranges(spans))
        start = min(first for first, _end, span in ranges if span["status"] == "fail")
        position = start
        before: Mapping[str, Any] | None = None  # the span whose result went missing
        for first, end, span in ranges:
            if end <= start:
                continue
            first = max(first, start)
            if first > position:
                yield from self._absent(position, first, before)
            if span["status"] == "pass":
                carried = self.carried_at(span.get("batch"))
                for index in carried[bisect_left(carried, first) : bisect_left(carried, end)]:
                    if index > first:
                        yield from self._split(first, index, "pass")
                    yield Stretch(self.refs[index : index + 1], "pass", fresh=False)
                    first = index + 1
                if first < end:
                    yield from self._split(first, end, "pass")
            else:
                yield from self._split(first, end, span["status"])
            position, before = end, span
        if position < len(self.refs):
            yield from self._absent(position, len(self.refs), before)

    def _absent(self, first: int, end: int, before: Mapping[str, Any] | None) -> Iterator[Stretch]:
        """Runs without a result: `gone` from the first run that enumerated the scope without the
        resource (see gone_at), `absent` before it."""
        gone = self.gone_at(before, first, end) if before is not None and before["status"] == "fail" else None
        if gone is None:
            yield from self._split(first, end, "absent")
            return
        if gone > first:
            yield from self._split(first, gone, "absent")
        yield from self._split(gone, end, "gone")

    def _split(self, first: int, end: int, status: str) -> Iterator[Stretch]:
        """Runs first..end-1 as one stretch, or two where the period starts among them."""
        middle = self.period_start
        if first < middle < end:
            yield Stretch(self.refs[first:middle], status)
            yield Stretch(self.refs[middle:end], status)
        else:
            yield Stretch(self.refs[first:end], status)


def _touches(error: Mapping[str, Any], kind: str, scope: Mapping[str, Any]) -> bool:
    """Whether a run's collection error may have hidden a `kind` fact in `scope`: it names the kind
    and its scope is that scope or wider (the account, say)."""
    kinds = error.get("kinds") or []
    inside = all(scope.get(key) == value for key, value in (error.get("scope") or {}).items())
    return inside and (kind in kinds or not kinds)


def _gaps(timeline: _Timeline, spans: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Each stretch of consecutive collection runs whose result was `error`, with the first later
    run that evaluated the rule (`evaluated_again`; None while it has not been)."""
    out: list[dict[str, Any]] = []
    current: dict[str, Any] | None = None
    previous_end = -1
    for first, end, span in timeline.ranges(spans):
        if span["status"] != "error":
            for gap in out:
                gap["evaluated_again"] = gap["evaluated_again"] or timeline.refs[first].at
            current = None
        else:
            if current is None or first != previous_end:  # a run without a result ends a stretch too
                current = {
                    "rule": span["rule"],
                    "title": span["title"] or "",
                    "controls": json.loads(span["controls"] or "[]"),
                    "kind": span["kind"] or "",
                    "resource": span["resource"],
                    "scope": json.loads(span["scope"] or "{}"),
                    "from": timeline.refs[first].at,
                    "first_run": timeline.refs[first].run_id,
                    "runs": 0,
                    "evaluated_again": None,
                }
                out.append(current)
            last = timeline.refs[end - 1]
            current.update(to=last.at, last_run=last.run_id, message=span["message"], last_index=end - 1)
            current["runs"] += end - first
        previous_end = end
    return [{c: g[c] for c in (*GAP_COLUMNS, "last_index")} for g in out]


def _row(item: Item, last: Mapping[str, Any], spans: Sequence[Mapping[str, Any]], as_of: datetime) -> dict[str, Any]:
    state = item.state(as_of)
    failing = [s for s in spans if s["status"] == "fail"]
    ended = item.fixed_at or item.closed_at
    until = parse_timestamp(ended) if ended else as_of
    assert item.opened_at is not None and item.first_seen is not None
    acceptance = item.acceptance or {}
    exception = item.exception or {}
    risk = acceptance.get("risk") or {}
    return {
        "id": item.id,
        "state": state,
        "flags": item.flags(as_of),
        "rule": item.rule,
        "title": last["title"] or "",
        "controls": json.loads(last["controls"] or "[]"),
        "severity": last["severity"] or "",
        "kind": last["kind"] or "",
        "resource": item.resource,
        "scope": json.loads(failing[-1]["scope"] or "{}"),
        "owner": item.owner,
        "due": item.due,
        "root_cause": item.root_cause,
        "correction": item.correction,
        "corrective_action": item.corrective_action,
        "accepted_by": acceptance.get("approver", ""),
        "acceptance_expires": acceptance.get("expires_at", ""),
        "acceptance_reason": acceptance.get("reason", ""),
        "risk_id": risk.get("id", ""),
        "risk_title": risk.get("title", ""),
        "exception_approved_by": exception.get("approver", ""),
        "exception_expires": exception.get("expires_at", ""),
        "exception_reason": exception.get("reason", ""),
        "compensating_control": exception.get("compensating_control", ""),
        "first_seen": item.first_seen,
        "last_seen": item.last_seen,
        "fixed_at": item.fixed_at,
        "verified_at": item.verified_at,
        "closed_at": item.closed_at,
        "closed_reason": f"{GONE} (run {item.closed_run})" if item.closed_at else "",
        "passing_runs": item.passing_runs,
        "reopened": item.reopened,
        "days_open": round((until - parse_timestamp(item.opened_at)).total_seconds() / 86400, 1),
        "last_result": item.last_result,
        "first_run": item.first_run,
        "last_run": item.last_run,
        "message": failing[-1]["message"],
        "remediation": last["remediation"] or "",
        "notes": item.notes,
        "updated_at": item.updated_at,
    }


def alert_lines(register: Register, limit: int = 20) -> list[str]:
    """One line per flagged item (overdue, expired risk acceptance) for the nightly alert."""
    lines = [
        f"{row['id']} {row['rule']} on {row['resource']} ({row['state']}"
        + (f", owner {row['owner']}" if row["owner"] else "")
        + f"): {'; '.join(row['flags'])}"
        for row in register.items
        if row["flags"]
    ]
    if len(lines) > limit:
        lines = [*lines[:limit], f"... and {len(lines) - limit} more (annexa nonconformities)"]
    return lines


_WORKBOOK = (
    Column("id", "Id", 17),
    Column("state", "State", 13),
    Column("flags", "Attention", 28, wrap=True),
    Column("severity", "Severity", 10),
    Column("controls", "Controls", 14),
    Column("rule", "Rule", 30),
    Column("title", "Title", 36, wrap=True),
    Column("resource", "Resource", 44, wrap=True),
    Column("scope", "Scope", 30, wrap=True),
    Column("owner", "Owner", 20),
    Column("due", "Due", 11),
    Column("root_cause", "Root cause", 36, wrap=True),
    Column("correction", "Correction", 36, wrap=True),
    Column("corrective_action", "Corrective action", 36, wrap=True),
    Column("accepted_by", "Risk accepted by", 20),
    Column("acceptance_expires", "Acceptance expires", 21),
    Column("acceptance_reason", "Acceptance reason", 36, wrap=True),
    Column("risk_id", "Risk accepted (register id)", 14),
    Column("risk_title", "Risk", 30, wrap=True),
    Column("exception_approved_by", "Exception approved by", 20),
    Column("exception_expires", "Exception expires", 21),
    Column("compensating_control", "Compensating control", 36, wrap=True),
    Column("exception_reason", "Exception reason", 36, wrap=True),
    Column("first_seen", "First seen", 21),
    Column("last_seen", "Last seen failing", 21),
    Column("fixed_at", "Fixed at", 21),
    Column("verified_at", "Verified at", 21),
    Column("closed_at", "Closed at", 21),
    Column("closed_reason", "Closed because", 30, wrap=True),
    Column("reopened", "Reopened", 9),
    Column("days_open", "Days open", 10),
    Column("last_result", "Last result", 12),
    Column("message", "Observed", 44, wrap=True),
    Column("remediation", "Remediation", 44, wrap=True),
    Column("notes", "Notes", 44, wrap=True),
    Column("first_run", "First run", 24),
    Column("last_run", "Last run", 24),
)
_GAP_WORKBOOK = (
    Column("controls", "Controls", 14),
    Column("rule", "Rule", 30),
    Column("resource", "Resource", 44, wrap=True),
    Column("from", "Not evaluated from", 21),
    Column("to", "to", 21),
    Column("runs", "Runs", 7),
    Column("evaluated_again", "Evaluated again", 21),
    Column("message", "Reason", 44, wrap=True),
    Column("first_run", "First run", 24),
    Column("last_run", "Last run", 24),
)


def nonconformity_workbook_chunks(
    rows: Iterable[Mapping[str, Any]], gaps: Iterable[Mapping[str, Any]] = ()
) -> Iterator[bytes]:
    """The register's workbook (its items and gaps on two sheets) in pieces, never whole in memory
    (xlsx.workbook_chunks)."""
    yield from workbook_chunks(
        [Sheet("Non-conformities", _WORKBOOK, rows), Sheet("Evidence gaps", _GAP_WORKBOOK, gaps)]
    )
