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
    "rollup_by_resource",
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
    """One `ControlStatus` per catalog control, in catalog order, judged as of `now`: the results
    put in resource order and rolled up as `rollup_by_resource` does (where a result's place in
    `results` stands for its (rule, resource))."""
    ordered = sorted(enumerate(results), key=lambda pair: pair[1].resource)
    return _rollup(catalog, ordered, now, decisions, default_max_age, attestations, max_age_by_kind)


def rollup_by_resource(
    catalog: Catalog,
    results: Iterable[Result],
    now: datetime,
    decisions: Mapping[str, ScopeDecision] | None = None,
    default_max_age: timedelta | None = None,
    attestations: Iterable[Attestation] = (),
    max_age_by_kind: Mapping[str, timedelta] | None = None,
) -> list[ControlStatus]:
    """`rollup` of results ordered by resource, read one at a time (`Store.iter_results(run,
    by_resource=True)`): each resource's results are summed up when the next resource starts, so
    memory does not grow with the number of resources. The same statuses as `rollup` of the run's
    results in (rule, resource) order, counts in the same order. ValueError when the results are
    out of resource order (a resource counted twice would be a false count)."""
    ranked = (((result.rule, result.resource), result) for result in results)
    return _rollup(catalog, ranked, now, decisions, default_max_age, attestations, max_age_by_kind)


class _Evidence:
    """What a control's rollup needs of its results, as counts and distinct values, so that its
    size depends on the rules, statuses and batches, not on the number of resources. Where the
    first of equals wins (dict order, ties of time), "first" is the smallest `rank`: the result's
    place in the order the rollup has always read them, whatever order they arrive in."""

    def __init__(self) -> None:
        self.counts: dict[str, tuple[Any, int]] = {}  # status -> (first rank, count)
        self.classes: dict[tuple[str, str], tuple[Any, int]] = {}  # (class, status) -> (first rank, count)
        self.rules: set[str] = set()
        self.kinds: set[str] = set()  # of every result, `not_applicable` included
        self.judged_kinds: set[str] = set()  # of the evidence
        # One result per distinct (status, class, collection time, kind): all `_status` looks at.
        self.distinct: dict[tuple[str, str, str, str], tuple[Any, Result]] = {}
        self.targets: set[str] = set()
        self.resources = 0
        self.latest: tuple[str, Any] | None = None  # the newest collection time of the evidence, its rank
        self.pending: set[str] = set()  # kinds of the evidence on the current resource

    def add(self, rank: Any, result: Result) -> None:
        _count(self.counts, result.status, rank)
        _count(self.classes, (result.evidence_class, result.status), rank)
        self.rules.add(result.rule)
        self.kinds.add(result.kind)
        if result.status == "not_applicable":
            return
        self.judged_kinds.add(result.kind)
        signature = (result.status, result.evidence_class, result.collected_at, result.kind)
        if signature not in self.distinct or rank < self.distinct[signature][0]:
            self.distinct[signature] = (rank, result)
        if result.scope:
            self.targets.add(scope_key(result.scope))
        self.pending.add(result.kind)
        at = result.collected_at
        if at and (self.latest is None or (_timestamp(at), self.latest[1]) > (_timestamp(self.latest[0]), rank)):
            self.latest = (at, rank)

    def end_resource(self) -> None:
        self.resources += len(self.pending)
        self.pending.clear()

    def status_counts(self) -> dict[str, int]:
        return {status: n for status, (_rank, n) in sorted(self.counts.items(), key=lambda item: item[1][0])}

    def class_counts(self) -> dict[str, dict[str, int]]:
        out: dict[str, dict[str, int]] = {}
        for (evidence_class, status), (_rank, n) in sorted(self.classes.items(), key=lambda item: item[1][0]):
            out.setdefault(evidence_class, {})[status] = n
        return {k: out[k] for k in sorted(out, key=_class_rank)}

    def evidence(self) -> list[Result]:
        return [result for _rank, result in sorted(self.distinct.values(), key=lambda pair: pair[0])]


def _excepted(statement: Attestation | None, now: datetime) -> bool:
    return statement is not None and statement.outcome == "exception" and statement.in_force(now)


def _count(counts: dict[Any, tuple[Any, int]], key: Any, rank: Any) -> None:
    first, n = counts.get(key, (rank, 0))
    counts[key] = (min(first, rank), n + 1)


def _rollup(
    catalog: Catalog,
    results: Iterable[tuple[Any, Result]],
    now: datetime,
    decisions: Mapping[str, ScopeDecision] | None,
    default_max_age: timedelta | None,
    attestations: Iterable[Attestation],
    max_age_by_kind: Mapping[str, timedelta] | None,
) -> list[ControlStatus]:
    """The rollup of (rank, result) pairs in resource order (see _Evidence for the rank)."""
    decisions = decisions or {}
    evidence: dict[str, _Evidence] = {}
    touched: set[str] = set()  # controls with results on the current resource
    resource: str | None = None
    for rank, result in results:
        if result.resource != resource:
            if resource is not None and result.resource < resource:
                raise ValueError(f"rollup: results out of resource order ({result.resource!r} after {resource!r})")
            for control in touched:
                evidence[control].end_resource()
            touched.clear()
            resource = result.resource
        for control in result.controls:
            found = evidence.get(control)
            if found is None:
                found = evidence[control] = _Evidence()
            found.add(rank, result)
            touched.add(control)
    for control in touched:
        evidence[control].end_resource()
    statements: dict[str, list[Attestation]] = {}
    for item in attestations:
        statements.setdefault(item.control, []).append(item)

    out = []
    for control in catalog:
        decision = decisions.get(control.id, ScopeDecision())
        found = evidence.get(control.id) or _Evidence()
        listed = tuple(sorted(statements.get(control.id, []), key=lambda a: -a.sequence))
        statement = next((a for a in listed if a.counted), None)
        ages = _Ages(now, decision.max_age, max_age_by_kind or {}, default_max_age)
        if decision.applicable:
            status, basis, stale_since = _status(found.evidence(), statement, now, ages)
        else:
            status, basis, stale_since = "excluded", None, None
        counts = found.status_counts()
        times = [found.latest[0]] if found.latest else []
        times += [a.attested_at for a in listed if a.counted]
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
                rules=tuple(sorted(found.rules)),
                stale_since=stale_since,
                evidence_class=basis,
                classes=found.class_counts(),
                resources=found.resources,
                targets=tuple(sorted(found.targets)),
                empty_kinds=tuple(sorted(found.kinds - found.judged_kinds)),
                attestations=listed,
                attestation=statement,
                exception=statement if _excepted(statement, now) else None,
                flags=_flags(decision, {s: counts.get(s, 0) for s in ("fail", "error")}, statement, listed, now),
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
    failing: Mapping[str, int],  # how many results of the control fail, and are `error`
    current: Attestation | None,
    listed: Sequence[Attestation],
    now: datetime,
) -> tuple[str, ...]:
    flags = []
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
