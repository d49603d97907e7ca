"""The pure control rollup: rule results (+ manual evidence) -> one status per control.

Order of precedence, for an applicable control:
1. no automated result and no attestation   -> `no_evidence`
2. newest automated evidence older than `max_age` -> `stale` (attestations age by their own expiry)
3. any automated `error`                     -> `error`   (a failed read never looks implemented)
4. automated results: all pass               -> `implemented`; some pass -> `partial`; none -> `not_implemented`
5. only attestations, none expired           -> `manual`  (expired -> `stale`)
`not_applicable` results (nothing of that kind exists) are not evidence of implementation.
A control the user scoped out is `excluded`, with their justification.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from annexa.mappings.catalog import Catalog
from annexa.mappings.evaluate import Result
from annexa.mappings.jmes import parse_timestamp

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
        last_automated = max(times, key=parse_timestamp) if times else None
        times += [m.attested_at for m in control_manual]
        last = max(times, key=parse_timestamp) if times else None
        if decision.applicable:
            status = _status(counts, control_manual, last_automated, now, decision.max_age or default_max_age)
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
            )
        )
    return out


def _status(
    counts: Mapping[str, int],
    manual: Sequence[ManualEvidence],
    last: str | None,
    now: datetime,
    max_age: timedelta | None,
) -> str:
    automated = counts.get("pass", 0) + counts.get("fail", 0) + counts.get("error", 0)
    if not automated and not manual:
        return "no_evidence"
    if automated and (last is None or (max_age is not None and now - parse_timestamp(last) > max_age)):
        return "stale"
    if counts.get("error"):
        return "error"
    if automated:
        if not counts.get("fail"):
            return "implemented"
        return "partial" if counts.get("pass") else "not_implemented"
    fresh = [m for m in manual if m.expires_at is None or parse_timestamp(m.expires_at) > now]
    return "manual" if fresh else "stale"
