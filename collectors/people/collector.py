"""The people records collector."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import ClassVar

from annexa.collectors.base import Collector, Context, Target
from annexa.collectors.people.records import load_people
from annexa.collectors.userfiles import reader
from annexa.model import CollectionError, Fact, Source

__all__ = ["PeopleRecordsCollector"]


class PeopleRecordsCollector(Collector):
    """One `people.person` fact per row of an HR or learning-system export (CSV or JSON)
    with its dates (start, end, screening, terms signed, awareness training), the
    accounts it maps to (AWS user, GitHub login, e-mail), and the configured
    training interval. Rules judge training age (A.6.3), screening
    before start (A.6.1), terms signed (A.6.2), and join leavers against the
    identities other collectors read in the same run (A.5.18, A.6.5)."""

    name = "people.records"
    provider = "people"
    kinds = ("people.person",)
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
        for record in records:
            yield Fact(
                kind="people.person",
                resource=f"people:{label}/{record['id']}",
                scope={"provider": "people", "org": label},
                data=record,
                source=source,
            )
