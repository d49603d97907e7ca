"""A reporting period: calendar days (UTC) and the runs that started in them."""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

from annexa.errors import UsageError
from annexa.evidence_store.store import RunInfo, Store

__all__ = ["EARLIEST", "LATEST", "MAX_PERIOD_DAYS", "Period", "parse_date", "resolve_period"]


EARLIEST = date(1970, 1, 1)
LATEST = date(9998, 12, 31)  # the day after must still be a date
MAX_PERIOD_DAYS = 3660  # ten years: an ISO/IEC 27001 certification cycle is three


def parse_date(text: str) -> date:
    """argparse type for `--from`/`--to`: a calendar date like 2026-08-01, from 1970 to 9998."""
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text[:40]!r} is not a date like 2026-08-01") from None
    if not EARLIEST <= day <= LATEST:
        raise argparse.ArgumentTypeError(f"{text} is outside {EARLIEST} to {LATEST}")
    return day


@dataclass(frozen=True)
class Period:
    start: date
    end: date
    runs: tuple[RunInfo, ...]  # the runs that started within the period, oldest first

    @property
    def first(self) -> RunInfo:
        return self.runs[0]

    @property
    def last(self) -> RunInfo:
        return self.runs[-1]

    def days(self) -> list[date]:
        return [self.start + timedelta(days=n) for n in range((self.end - self.start).days + 1)]

    @property
    def end_of(self) -> datetime:
        """The instant the period closes (open items are aged to here, never beyond)."""
        return datetime.combine(self.end + timedelta(days=1), time(), timezone.utc)


def resolve_period(store: Store, start: date | None, end: date | None) -> Period:
    """The period's runs; without dates, the whole store. UsageError when no run falls in it."""
    runs = store.runs()
    if not runs:
        raise UsageError(f"{store.url}: the store has no runs yet (run `annexa collect` first)")
    start = start or date.fromisoformat(runs[0].started_at[:10])
    end = end or date.fromisoformat(runs[-1].started_at[:10])
    if start > end:
        raise UsageError(f"--from {start} is after --to {end}")
    if (end - start).days + 1 > MAX_PERIOD_DAYS:
        raise UsageError(
            f"--from {start} --to {end} spans {(end - start).days + 1} days; a period is at most "
            f"{MAX_PERIOD_DAYS} days (ten years): choose a shorter one"
        )
    inside = tuple(r for r in runs if start <= date.fromisoformat(r.started_at[:10]) <= end)
    if not inside:
        raise UsageError(f"no run started between {start} and {end} (see `annexa runs`)")
    return Period(start, end, inside)
