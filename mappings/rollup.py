"""The pure control rollup: rule results and attestations -> one status per control.

Evidence has a class (model.EVIDENCE_CLASSES). *Operating* evidence is `automated` or `record`:
it shows the control working. A `document` shows its design; an `attestation` is a named
person's statement. Documents and attestations never turn a technical failure into `partial`
or `implemented`, and never hide it.

For an applicable control, the first row of DECISION_ROWS that holds decides (the README's
"Control statuses" table is these rows and STATUS_MEANINGS, word for word; a test compares them).

"Fresh" means collected within the max age: the control's `max_age` in the user's scope, else
the default of the collector that produces the result's kind (`max_age_by_kind`), else
`default_max_age`. Staleness is judged per result, so a collector that stopped running (its last
results carried forward) cannot hide behind fresh evidence from another. `not_applicable`
results (nothing of that kind exists) are not evidence either way, but the control lists the
kinds that were checked and found empty (`empty_kinds`). An attestation is in force from when
it was recorded until its expiry; only the newest counted attestation of a control is (a later
statement supersedes an earlier one). A control the user scoped out is `excluded`, and flagged
when its evidence fails.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from annexa.mappings.catalog import Catalog
from annexa.mappings.scope import Reasons, ScopeDecision
from annexa.model import EVIDENCE_CLASSES, Result, parse_timestamp, scope_key

__all__ = [
    "CONTROL_STATUSES",
    "DECISION_ROWS",
    "STATUS_MEANINGS",
    "OPERATING_CLASSES",
    "Attestation",
    "ControlStatus",
    "control_statuses",
    "ScopeDecision",
    "rollup",
]

CONTROL_STATUSES = (
    "implemented",
    "partial",
    "not_implemented",
    "error",
    "documented",
    "attested",
    "no_evidence",
    "stale",
    "excluded",
)
# What each status tells an auditor (in CONTROL_STATUSES order).
STATUS_MEANINGS = {
    "implemented": "fresh operating evidence (automated or record) covers the control and nothing fails",
    "partial": "evidence passes and fails: operating results both ways, or a failing document beside a pass",
    "not_implemented": "evidence fails and nothing of its class passes, or an attester says it does not work",
    "error": "some fresh evidence could not be read or judged",
    "documented": "only documents, all passing: design shown, operation not",
    "attested": "an allowed attester's effective statement is in force; no operating evidence",
    "no_evidence": "nothing evidences the control (a kind checked and found empty is listed, not counted)",
    "stale": "some evidence is older than its max age, or the only statement has expired",
    "excluded": "not applicable, with its justification; flagged when its evidence fails",
}
# For an applicable control, the first row that holds decides (condition, status).
DECISION_ROWS = (
    ("no result but `not_applicable`, and no counted attestation", "no_evidence"),
    ("an attestation in force says `not-effective` or `exception`", "not_implemented"),
    ("a fresh operating result fails and no fresh operating result passes", "not_implemented"),
    ("fresh operating results pass and fail", "partial"),
    ("a fresh result of any class is `error`", "error"),
    ("a result is older than its max age, or has no collection time", "stale"),
    ("a document fails and another result passes", "partial"),
    ("a document fails and nothing passes", "not_implemented"),
    ("operating results, all fresh and passing", "implemented"),
    ("an `effective` attestation in force", "attested"),
    ("documents, all fresh and passing", "documented"),
    ("only an attestation that has expired or is not yet recorded", "stale"),
)
OPERATING_CLASSES = ("automated", "record")  # evidence that the control operates
_NEGATIVE_OUTCOMES = ("not-effective", "exception")


@dataclass(frozen=True)
class Attestation:
    """A person's statement about one control, as recorded by `annexa attest`.

    `expires_at` is when it stops counting (its `--expires`, bounded by the maximum validity).
    `counted` is False, with the `reason`, for a statement that is not evidence (by someone who
    is not an attester in the run's configuration, unsigned where a key is required, or with
    no outcome); it is listed, never judged.
    """

    control: str
    outcome: str  # effective | not-effective | exception
    attested_by: str
    attested_at: str
    expires_at: str
    sequence: int = 0
    role: str = ""
    note: str = ""
    file: Mapping[str, Any] | None = None  # name, sha256, bytes
    counted: bool = True
    reason: str = ""

    def in_force(self, now: datetime) -> bool:
        return parse_timestamp(self.attested_at) <= now < parse_timestamp(self.expires_at)

    def reference(self) -> str:
        who = f"{self.attested_by} ({self.role})" if self.role else self.attested_by
        text = f"attestation run #{self.sequence}: {self.outcome or 'no outcome'} by {who} until {self.expires_at}"
        if self.file:
            text += f": {self.file.get('name')} sha256:{self.file.get('sha256')}"
        return text if self.counted else f"{text} (not counted: {self.reason})"

    def to_dict(self) -> dict[str, Any]:
        return {
            "outcome": self.outcome,
            "attested_by": self.attested_by,
            "role": self.role,
            "attested_at": self.attested_at,
            "expires_at": self.expires_at,
            "note": self.note,
            "file": dict(self.file) if self.file else None,
            "sequence": self.sequence,
            "counted": self.counted,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class ControlStatus:
    control: str
    title: str
    theme: str
    applicable: bool
    justification: str
    owner: str
    status: str
    last_evidence_at: str | None
    counts: Mapping[str, int] = field(default_factory=dict)
    rules: tuple[str, ...] = ()
    stale_since: str | None = None
    evidence_class: str | None = None  # the class of the evidence that decided the status
    classes: Mapping[str, Mapping[str, int]] = field(default_factory=dict)  # class -> result status -> count
    resources: int = 0  # distinct resources judged (pass, fail or error)
    targets: tuple[str, ...] = ()  # where they live: accounts, subscriptions, orgs, hosts, exports
    empty_kinds: tuple[str, ...] = ()  # kinds collected and found empty (only `not_applicable`)
    attestations: tuple[Attestation, ...] = ()  # every statement about the control, newest first
    attestation: Attestation | None = None  # the one that counts: the newest counted statement
    exception: Attestation | None = None  # a documented exception in force (an `exception` attestation)
    flags: tuple[str, ...] = ()  # what an auditor must not miss (an excluded control whose evidence fails)
    reasons: Reasons = field(default_factory=Reasons)
    reviewed: str | None = None

    def to_dict(self) -> dict[str, object]:
        return {
            "control": self.control,
            "title": self.title,
            "theme": self.theme,
            "applicable": self.applicable,
            "justification": self.justification,
            "owner": self.owner,
            "status": self.status,
            "evidence_class": self.evidence_class,
            "last_evidence_at": self.last_evidence_at,
            "stale_since": self.stale_since,
            "results": dict(self.counts),
            "evidence_classes": {k: dict(v) for k, v in self.classes.items()},
            "resources": self.resources,
            "targets": list(self.targets),
            "empty_kinds": list(self.empty_kinds),
            "rules": list(self.rules),
            "attestations": [a.to_dict() for a in self.attestations],
            "exception": self.exception.to_dict() if self.exception else None,
            "flags": list(self.flags),
        }


def rollup(
    catalog: Catalog,
    results: Iterable[Result],
    now: datetime,
    decisions: Mapping[str, ScopeDecision] | None = None,
    default_max_age: timedelta | None = None,
    attestations: Iterable[Attestation] = (),
    max_age_by_kind: Mapping[str, timedelta] | None = None,
) -> list[ControlStatus]:
    """One `ControlStatus` per catalog control, in catalog order, judged as of `now`."""
    decisions = decisions or {}
    by_control: dict[str, list[Result]] = {}
    for result in results:
        for control in result.controls:
            by_control.setdefault(control, []).append(result)
    statements: dict[str, list[Attestation]] = {}
    for item in attestations:
        statements.setdefault(item.control, []).append(item)

    out = []
    for control in catalog:
        decision = decisions.get(control.id, ScopeDecision())
        control_results = by_control.get(control.id, [])
        listed = tuple(sorted(statements.get(control.id, []), key=lambda a: -a.sequence))
        current = next((a for a in listed if a.counted), None)
        evidence = [r for r in control_results if r.status != "not_applicable"]
        ages = _Ages(now, decision.max_age, max_age_by_kind or {}, default_max_age)
        if decision.applicable:
            status, basis, stale_since = _status(evidence, current, now, ages)
        else:
            status, basis, stale_since = "excluded", None, None
        counts: dict[str, int] = {}
        classes: dict[str, dict[str, int]] = {}
        for result in control_results:
            counts[result.status] = counts.get(result.status, 0) + 1
            by_status = classes.setdefault(result.evidence_class, {})
            by_status[result.status] = by_status.get(result.status, 0) + 1
        times = [r.collected_at for r in evidence if r.collected_at]
        times += [a.attested_at for a in listed if a.counted]
        judged_kinds = {r.kind for r in evidence}
        out.append(
            ControlStatus(
                control=control.id,
                title=control.title,
                theme=control.theme,
                applicable=decision.applicable,
                justification=decision.justification,
                owner=decision.owner,
                status=status,
                last_evidence_at=max(times, key=_timestamp) if times else None,
                counts=counts,
                rules=tuple(sorted({r.rule for r in control_results})),
                stale_since=stale_since,
                evidence_class=basis,
                classes={k: classes[k] for k in sorted(classes, key=_class_rank)},
                resources=len({(r.kind, r.resource) for r in evidence}),
                targets=tuple(sorted({scope_key(r.scope) for r in evidence if r.scope})),
                empty_kinds=tuple(sorted({r.kind for r in control_results} - judged_kinds)),
                attestations=listed,
                attestation=current,
                exception=current if current and current.outcome == "exception" and current.in_force(now) else None,
                flags=_flags(decision, evidence, current, listed, now),
                reasons=decision.reasons,
                reviewed=decision.reviewed,
            )
        )
    return out


def control_statuses(
    catalog: Catalog,
    results: Iterable[Result],
    now: datetime,
    decisions: Mapping[str, ScopeDecision] | None = None,
    default_max_age: timedelta | None = None,
    attestations: Iterable[Attestation] = (),
    max_age_by_kind: Mapping[str, timedelta] | None = None,
) -> dict[str, str]:
    """control -> status, in catalog order, exactly as `rollup` judges it, without the rest of
    `ControlStatus` (counts, targets, flags): the daily timeline judges every day of a period
    and needs the status alone."""
    decisions = decisions or {}
    evidence_of: dict[str, list[Result]] = {}
    for result in results:
        if result.status != "not_applicable":
            for control in result.controls:
                evidence_of.setdefault(control, []).append(result)
    newest: dict[str, Attestation] = {}
    for item in attestations:
        if item.counted and (item.control not in newest or item.sequence > newest[item.control].sequence):
            newest[item.control] = item
    out: dict[str, str] = {}
    for control in catalog:
        decision = decisions.get(control.id, ScopeDecision())
        if not decision.applicable:
            out[control.id] = "excluded"
            continue
        ages = _Ages(now, decision.max_age, max_age_by_kind or {}, default_max_age)
        out[control.id] = _status(evidence_of.get(control.id, []), newest.get(control.id), now, ages)[0]
    return out


_timestamp = lru_cache(maxsize=4096)(parse_timestamp)  # a run's results share a few collection times


def _class_rank(evidence_class: str) -> int:
    return EVIDENCE_CLASSES.index(evidence_class) if evidence_class in EVIDENCE_CLASSES else len(EVIDENCE_CLASSES)


def _strongest(results: Iterable[Result]) -> str | None:
    return min((r.evidence_class for r in results), key=_class_rank, default=None)


@dataclass(frozen=True)
class _Ages:
    now: datetime
    control_max_age: timedelta | None
    by_kind: Mapping[str, timedelta]
    default: timedelta | None

    def fresh(self, result: Result) -> bool:
        if not result.collected_at:
            return False  # a result without a collection time cannot prove it is fresh
        max_age = self.control_max_age or self.by_kind.get(result.kind) or self.default
        return max_age is None or self.now - _timestamp(result.collected_at) <= max_age


def _status(
    evidence: Sequence[Result], current: Attestation | None, now: datetime, ages: _Ages
) -> tuple[str, str | None, str | None]:
    """(status, the evidence class that decided it, stale_since) for an applicable control."""
    if not evidence and current is None:
        return "no_evidence", None, None
    if current is not None and current.in_force(now) and current.outcome in _NEGATIVE_OUTCOMES:
        return "not_implemented", "attestation", None
    fresh = [r for r in evidence if ages.fresh(r)]
    operating = [r for r in fresh if r.evidence_class in OPERATING_CLASSES]
    op_pass = [r for r in operating if r.status == "pass"]
    op_fail = [r for r in operating if r.status == "fail"]
    if op_fail:
        return ("partial" if op_pass else "not_implemented"), _strongest(op_fail), None
    errors = [r for r in fresh if r.status == "error"]
    if errors:
        return "error", _strongest(errors), None
    stale = [r for r in evidence if not ages.fresh(r)]
    if stale:
        undated = any(not r.collected_at for r in stale)
        since = "" if undated else min((r.collected_at for r in stale), key=_timestamp)
        return "stale", _strongest(stale), since
    other_fail = [r for r in fresh if r.status == "fail"]  # documents (and attestation-class results)
    if other_fail:
        passing = any(r.status == "pass" for r in fresh)
        return ("partial" if passing else "not_implemented"), _strongest(other_fail), None
    if op_pass:
        return "implemented", _strongest(op_pass), None
    if current is not None and current.in_force(now):
        return "attested", "attestation", None
    if any(r.evidence_class == "attestation" for r in fresh):
        return "attested", "attestation", None
    if fresh:
        return "documented", _strongest(fresh), None
    assert current is not None  # no evidence at all returned no_evidence above
    return "stale", "attestation", current.expires_at


def _flags(
    decision: ScopeDecision,
    evidence: Sequence[Result],
    current: Attestation | None,
    listed: Sequence[Attestation],
    now: datetime,
) -> tuple[str, ...]:
    flags = []
    failing = {s: sum(1 for r in evidence if r.status == s) for s in ("fail", "error")}
    if not decision.applicable:
        said = current is not None and current.in_force(now) and current.outcome in _NEGATIVE_OUTCOMES
        if failing["fail"] or failing["error"] or said:
            parts = [f"{n} {s}" for s, n in failing.items() if n]
            if said:
                assert current is not None
                parts.append(f"attested {current.outcome} by {current.attested_by}")
            flags.append("EXCLUDED BUT EVIDENCE FAILS: " + ", ".join(parts))
    if current is not None and current.outcome == "exception" and current.in_force(now):
        note = f": {current.note}" if current.note else ""
        flags.append(f"documented exception until {current.expires_at} by {current.attested_by}{note}")
    for item in listed:
        if not item.counted:
            flags.append(f"attestation run #{item.sequence} by {item.attested_by} not counted: {item.reason}")
    return tuple(flags)
