"""The pure control rollup: rule results (+ manual evidence) -> one status per control.

Order of precedence, for an applicable control:
1. no automated result and no attestation   -> `no_evidence`
2. any automated evidence older than its max age -> `stale` (`stale_since` names the oldest);
   attestations age by their own expiry, not by max_age
3. any automated `error`                     -> `error`   (a failed read never looks implemented)
4. automated results: all pass               -> `implemented`; some pass -> `partial`; none -> `not_implemented`
5. only attestations, none expired           -> `manual`  (expired -> `stale`)
`not_applicable` results (nothing of that kind exists) are not evidence of implementation.
A control the user scoped out is `excluded`, with their justification.

The max age of a result: the control's `max_age` in the user's scope, else the
default of the collector that produces the result's fact kind (`max_age_by_kind`),
else `default_max_age`. Staleness is judged per result, not on the newest one, so a
collector that stopped running (its last results carried forward) cannot hide
behind fresh evidence from another collector of the same control.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from annexa.mappings.catalog import Catalog
from annexa.model import Result, parse_timestamp

__all__ = ["CONTROL_STATUSES", "ControlStatus", "ManualEvidence", "ScopeDecision", "rollup"]

CONTROL_STATUSES = (
    "implemented",
    "partial",
    "not_implemented",
    "error",
    "manual",
    "no_evidence",
    "stale",
    "excluded",
)


@dataclass(frozen=True)
class ScopeDecision:
    """The user's SoA decision for one control (from `scope:` in annexa.yaml)."""

    applicable: bool = True
    justification: str = ""
    owner: str = ""
    max_age: timedelta | None = None
    reviewed: str | None = None  # when the owner last reviewed this SoA entry (YYYY-MM-DD)


@dataclass(frozen=True)
class ManualEvidence:
    """An attestation or document that evidences a control until `expires_at`."""

    control: str
    attested_at: str
    expires_at: str | None
    reference: str
    summary: str = ""


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
    manual: tuple[ManualEvidence, ...] = ()
    stale_since: str | None = None

    def to_dict(self) -> dict[str, object]:
        return {
            "control": self.control,
            "title": self.title,
            "theme": self.theme,
            "applicable": self.applicable,
            "justification": self.justification,
            "owner": self.owner,
            "status": self.status,
            "last_evidence_at": self.last_evidence_at,
            "stale_since": self.stale_since,
            "results": dict(self.counts),
            "rules": list(self.rules),
            "manual_evidence": [m.reference for m in self.manual],
        }


def rollup(
    catalog: Catalog,
    results: Iterable[Result],
    now: datetime,
    decisions: Mapping[str, ScopeDecision] | None = None,
    default_max_age: timedelta | None = None,
    manual: Iterable[ManualEvidence] = (),
    max_age_by_kind: Mapping[str, timedelta] | None = None,
) -> list[ControlStatus]:
    """One `ControlStatus` per catalog control, in catalog order."""
    decisions = decisions or {}
    by_control: dict[str, list[Result]] = {}
    for result in results:
        for control in result.controls:
            by_control.setdefault(control, []).append(result)
    manual_by_control: dict[str, list[ManualEvidence]] = {}
    for item in manual:
        manual_by_control.setdefault(item.control, []).append(item)

    out = []
    for control in catalog:
        decision = decisions.get(control.id, ScopeDecision())
        control_results = by_control.get(control.id, [])
        control_manual = manual_by_control.get(control.id, [])
        counts: dict[str, int] = {}
        for result in control_results:
            counts[result.status] = counts.get(result.status, 0) + 1
        times = [r.collected_at for r in control_results if r.collected_at and r.status != "not_applicable"]
        times += [m.attested_at for m in control_manual]
        last = max(times, key=parse_timestamp) if times else None
        stale_since = None
        if decision.applicable:
            stale_since = _stale_since(control_results, now, decision.max_age, max_age_by_kind or {}, default_max_age)
            status = _status(counts, control_manual, last, now, stale_since)
        else:
            status = "excluded"
        out.append(
            ControlStatus(
                control=control.id,
                title=control.title,
                theme=control.theme,
                applicable=decision.applicable,
                justification=decision.justification,
                owner=decision.owner,
                status=status,
                last_evidence_at=last,
                counts=counts,
                rules=tuple(sorted({r.rule for r in control_results})),
                manual=tuple(control_manual),
                stale_since=(stale_since or None) if status == "stale" else None,
            )
        )
    return out


def _stale_since(
    results: Sequence[Result],
    now: datetime,
    control_max_age: timedelta | None,
    max_age_by_kind: Mapping[str, timedelta],
    default_max_age: timedelta | None,
) -> str | None:
    """The oldest collection time among automated results older than their max age (or undated)."""
    stale = []
    for result in results:
        if result.status == "not_applicable":
            continue
        if not result.collected_at:
            return ""  # an automated result without a collection time cannot prove it is fresh
        max_age = control_max_age or max_age_by_kind.get(result.kind) or default_max_age
        if max_age is not None and now - parse_timestamp(result.collected_at) > max_age:
            stale.append(result.collected_at)
    return min(stale, key=parse_timestamp) if stale else None


def _status(
    counts: Mapping[str, int],
    manual: Sequence[ManualEvidence],
    last: str | None,
    now: datetime,
    stale_since: str | None,
) -> str:
    automated = counts.get("pass", 0) + counts.get("fail", 0) + counts.get("error", 0)
    if not automated and not manual:
        return "no_evidence"
    if stale_since is not None or last is None:
        return "stale"
    if counts.get("error"):
        return "error"
    if automated:
        if not counts.get("fail"):
            return "implemented"
        return "partial" if counts.get("pass") else "not_implemented"
    fresh = [m for m in manual if m.expires_at is None or parse_timestamp(m.expires_at) > now]
    return "manual" if fresh else "stale"
