"""Control status day by day over a period, for the pack's charts.

A day's status is the rollup of the latest collection run that started on or before that
day (within the period), with that run's own settings and attestations (as its SoA), judged
at the day's end, so evidence that is not refreshed goes `stale` on the chart exactly as it
would in the SoA. Days before the period's first collection run have `no_evidence` (or
`excluded`, as that run's scope says).

A day is *carried* for a control when its status does not come from fresh evidence of that
day: no collection run started on it (the status is the previous night's, carried until it
goes stale), or the control's evidence in the day's run was carried forward from an earlier
run (carry.py: a collector that did not run). The pack marks these days, never counts them as fresh.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

from annexa.evidence_store.store import RunInfo, Store
from annexa.mappings.catalog import Catalog
from annexa.mappings.rollup import Attestation, control_statuses
from annexa.model import Result
from annexa.reports.attested import attestations_for
from annexa.reports.period import Period
from annexa.reports.settings import RunSettings, run_settings

__all__ = ["FRESH_EXCLUDED", "Segment", "Timeline", "daily_statuses", "segments"]

FRESH_EXCLUDED = ("no_evidence", "stale")  # statuses that mean the day had no fresh evidence


@dataclass(frozen=True)
class Timeline:
    days: list[date]
    statuses: dict[str, list[str]]  # control -> one status per day
    runs: list[int | None] = field(default_factory=list)  # per day: the collection run that judged it
    carried: dict[str, list[bool]] = field(default_factory=dict)  # control -> per day: carried, not fresh

    def fresh_days(self, control: str) -> int:
        """Days with fresh evidence of that day (not carried, not stale, not without evidence)."""
        carried = self.carried.get(control) or [False] * len(self.days)
        return sum(
            1
            for status, old in zip(self.statuses[control], carried, strict=True)
            if status not in FRESH_EXCLUDED and status != "excluded" and not old
        )

    def fresh_share(self, control: str) -> float | None:
        """Share of days with fresh evidence (None for an excluded control)."""
        days = self.statuses[control]
        if all(s == "excluded" for s in days):
            return None
        return self.fresh_days(control) / len(days)


@dataclass(frozen=True)
class Segment:
    first: int  # day index
    length: int
    status: Any  # a status, or (status, carried)
    start: date
    end: date


def segments(days: Sequence[date], statuses: Sequence[Any]) -> list[Segment]:
    """Runs of equal status (drawn as one rectangle each, keeping the SVG small)."""
    out: list[Segment] = []
    for index, status in enumerate(statuses):
        if out and out[-1].status == status:
            last = out[-1]
            out[-1] = Segment(last.first, last.length + 1, status, last.start, days[index])
        else:
            out.append(Segment(index, 1, status, days[index], days[index]))
    return out


def daily_statuses(
    store: Store,
    period: Period,
    catalog: Catalog,
    controls: Sequence[str],
    fallback_max_age_by_kind: Mapping[str, timedelta] | None = None,
) -> Timeline:
    days = period.days()
    wanted = set(controls)
    statuses: dict[str, list[str]] = {c: [] for c in controls}
    carried: dict[str, list[bool]] = {c: [] for c in controls}
    judged_by: list[int | None] = []
    runs = [r for r in period.runs if r.type == "collection"]  # attestation runs hold no results
    position = -1
    cached: tuple[int, list[Result], RunSettings, list[Attestation], set[str]] | None = None
    for day in days:
        while position + 1 < len(runs) and date.fromisoformat(runs[position + 1].started_at[:10]) <= day:
            position += 1
        if position < 0:
            first = run_settings(store, runs[0], fallback_max_age_by_kind).decisions if runs else {}
            for control in controls:
                decision = first.get(control)
                statuses[control].append("excluded" if decision and not decision.applicable else "no_evidence")
                carried[control].append(False)
            judged_by.append(None)
            continue
        run = runs[position]
        if cached is None or cached[0] != run.seq:  # one run's results in memory at a time
            settings = run_settings(store, run, fallback_max_age_by_kind)
            if any(batch.get("carried_from") for batch in store.manifest(run.seq).get("batches", {}).values()):
                results = store.results(run)  # which controls' evidence was carried needs every result
            else:
                results = store.distinct_results(run)  # a status depends on no more than the distinct results
            attested = attestations_for(store, run, settings)
            cached = (run.seq, results, settings, attested, _carried_controls(store, run, results))
        judged_by.append(run.seq)
        not_of_the_day = date.fromisoformat(run.started_at[:10]) != day
        end_of_day = datetime.combine(day + timedelta(days=1), time(), timezone.utc)
        settings = cached[2]
        day_statuses = control_statuses(  # as soa_statuses judges them, the status alone
            catalog,
            cached[1],
            end_of_day,
            decisions=settings.decisions,
            default_max_age=settings.default_max_age,
            attestations=cached[3],
            max_age_by_kind=settings.max_age_by_kind,
        )
        for control, status in day_statuses.items():
            if control in wanted:
                statuses[control].append(status)
                carried[control].append(not_of_the_day or control in cached[4])
    return Timeline(days, statuses, judged_by, carried)


def _carried_controls(store: Store, run: RunInfo, results: Sequence[Result]) -> set[str]:
    """Controls with evidence in `run` from batches carried forward from an earlier run (carry.py)."""
    carried = {key for key, batch in store.manifest(run.seq).get("batches", {}).items() if batch.get("carried_from")}
    if not carried:
        return set()
    state = store.result_state(run.seq)
    out: set[str] = set()
    for result in results:
        entry = state.get((result.rule, result.resource))
        if result.status != "not_applicable" and entry is not None and entry[2] in carried:
            out.update(result.controls)
    return out
