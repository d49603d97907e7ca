"""The people records collector."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import date
from pathlib import Path
from typing import Any, ClassVar

from annexa.collectors.base import Collector, Context, Target
from annexa.collectors.people.records import load_people
from annexa.collectors.userfiles import reader
from annexa.model import CollectionError, Fact, Source, utc_now

__all__ = ["PeopleRecordsCollector"]


class PeopleRecordsCollector(Collector):
    """One `people.person` fact per row of an HR or learning-system export (CSV or JSON)
    with its dates (start, end, screening, terms signed, awareness training), the
    accounts it maps to (AWS user, GitHub login, e-mail), and the configured
    training interval. Rules judge training age (A.6.3), screening
    before start (A.6.1), terms signed (A.6.2), and join leavers against the
    identities other collectors read in the same run (A.5.18, A.6.5) and against the devices
    endpoint collectors read (A.5.9, A.5.11). One `people.headcount` fact per export counts it
    (listed, active on the collection date, left, not started yet: numbers, no names), so the
    pack states the population ("all staff", "all laptops") as a number."""

    name = "people.records"
    provider = "people"
    kinds = ("people.person", "people.headcount")
    permissions = ("read the export file",)
    evidence_class = "record"  # operational records exported from HR and learning systems
    # `path`: the export (relative to annexa.yaml); `columns`: annexa field -> export column;
    # `training_interval`: how old awareness training may be (default 365d); `name`: a label.
    target_options: ClassVar[Mapping[str, type]] = {
        "path": Path,
        "columns": dict,
        "training_interval": str,
        "name": str,
    }

    @classmethod
    def preflight(cls, target: Target) -> None:
        load_people(target.label, target.options)

    def collect(self, target: Target, context: Context) -> Iterator[Fact | CollectionError]:
        records = load_people(target.label, target.options)
        path = Path(target.options["path"])
        label = target.options.get("name") or path.stem
        source = Source(operations=(f"read {path}",), principal=reader(), endpoint=str(path))
        scope = {"provider": "people", "org": label}
        for record in records:
            yield Fact(
                kind="people.person",
                resource=f"people:{label}/{record['id']}",
                scope=scope,
                data=record,
                source=source,
            )
        yield Fact(
            kind="people.headcount", resource=f"people:{label}", scope=scope, data=headcount(records), source=source
        )


def headcount(records: list[dict[str, Any]], today: str | None = None) -> dict[str, Any]:
    """Counts of an export as of `today` (the collection date): active means started (or no start
    date) and not yet left (no end date, or one today or later), as the people rules read them."""
    day = date.fromisoformat((today or utc_now())[:10])

    def on(value: Any) -> date | None:
        return date.fromisoformat(str(value)[:10]) if value else None

    started = [r for r in records if (on(r.get("start_date")) or date.min) <= day]
    gone = [r for r in records if (on(r.get("end_date")) or date.max) < day]
    return {
        "as_of": day.isoformat(),
        "listed": len(records),
        "active": sum(1 for r in started if (on(r.get("end_date")) or date.max) >= day),
        "leavers": len(gone),
        "not_started": len(records) - len(started),
        "maps_end_date": bool(records) and "end_date" in records[0]["mapped"],
    }
