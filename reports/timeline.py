"""Control status day by day over a period, for the pack's charts.

A day's status is the rollup of the latest run that started on or before that day
(within the period), judged at the day's end, so evidence that is not refreshed goes
`stale` on the chart exactly as it would in the SoA. Days before the period's first
run have `no_evidence`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

from annexa.config import Config
from annexa.evidence_store.store import Store
from annexa.mappings.catalog import Catalog
from annexa.mappings.rollup import rollup
from annexa.reports.period import Period

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
    config: Config,
    controls: Sequence[str],
    max_age_by_kind: Mapping[str, timedelta] | None = None,
) -> Timeline:
    days = period.days()
    wanted = set(controls)
    statuses: dict[str, list[str]] = {c: [] for c in controls}
    runs = list(period.runs)
    position = -1
    cached: tuple[int, list] | None = None  # type: ignore[type-arg]
    for day in days:
        while position + 1 < len(runs) and date.fromisoformat(runs[position + 1].started_at[:10]) <= day:
            position += 1
        if position < 0:
            for control in controls:
                applicable = config.scope.get(control)
                statuses[control].append("excluded" if applicable and not applicable.applicable else "no_evidence")
            continue
        run = runs[position]
        if cached is None or cached[0] != run.seq:
            cached = (run.seq, store.results(run))  # one run's results in memory at a time
        end_of_day = datetime.combine(day + timedelta(days=1), time(), timezone.utc)
        for status in rollup(
            catalog, cached[1], end_of_day, config.scope, config.max_age, max_age_by_kind=max_age_by_kind
        ):
            if status.control in wanted:
                statuses[status.control].append(status.status)
    return Timeline(days, statuses)
