"""Control status day by day over a period, for the pack's charts.

A day's status is the rollup of the latest collection run that started on or before that
day (within the period), with that run's own settings and attestations (as its SoA), judged
at the day's end, so evidence that is not refreshed goes `stale` on the chart exactly as it
would in the SoA. Days before the period's first collection run have `no_evidence` (or
`excluded`, as that run's scope says).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

from annexa.evidence_store.store import Store
from annexa.mappings.catalog import Catalog
from annexa.mappings.rollup import Attestation
from annexa.model import Result
from annexa.reports.attested import attestations_for
from annexa.reports.period import Period
from annexa.reports.settings import RunSettings, run_settings
from annexa.reports.soa import soa_statuses

__all__ = ["FRESH_EXCLUDED", "Segment", "Timeline", "daily_statuses", "segments"]

FRESH_EXCLUDED = ("no_evidence", "stale")  # statuses that mean the day had no fresh evidence


@dataclass(frozen=True)
class Timeline:
    days: list[date]
    statuses: dict[str, list[str]]  # control -> one status per day

    def fresh_share(self, control: str) -> float | None:
        """Share of days with fresh evidence (None for an excluded control)."""
        days = self.statuses[control]
        if all(s == "excluded" for s in days):
            return None
        return sum(1 for s in days if s not in FRESH_EXCLUDED and s != "excluded") / len(days)


@dataclass(frozen=True)
class Segment:
    first: int  # day index
    length: int
    status: str
    start: date
    end: date


def segments(days: Sequence[date], statuses: Sequence[str]) -> list[Segment]:
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
    runs = [r for r in period.runs if r.type == "collection"]  # attestation runs hold no results
    position = -1
    cached: tuple[int, list[Result], RunSettings, list[Attestation]] | None = None
    for day in days:
        while position + 1 < len(runs) and date.fromisoformat(runs[position + 1].started_at[:10]) <= day:
            position += 1
        if position < 0:
            first = run_settings(store, runs[0], fallback_max_age_by_kind).decisions if runs else {}
            for control in controls:
                decision = first.get(control)
                statuses[control].append("excluded" if decision and not decision.applicable else "no_evidence")
            continue
        run = runs[position]
        if cached is None or cached[0] != run.seq:  # one run's results in memory at a time
            settings = run_settings(store, run, fallback_max_age_by_kind)
            cached = (run.seq, store.results(run), settings, attestations_for(store, run, settings))
        end_of_day = datetime.combine(day + timedelta(days=1), time(), timezone.utc)
        for status in soa_statuses(
            store, run, catalog, now=end_of_day, results=cached[1], settings=cached[2], attestations=cached[3]
        ):
            if status.control in wanted:
                statuses[status.control].append(status.status)
    return Timeline(days, statuses)
