"""Synthetic nightly history: runs written through the real Store API, one per day."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from fakes import fake_fact

from annexa.evidence_store.store import RunInfo, Store
from annexa.mappings.catalog import load_catalog
from annexa.mappings.evaluate import evaluate
from annexa.mappings.rules import load_rules

START = datetime(2026, 8, 1, 2, 0, tzinfo=timezone.utc)


def stamp(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def write_night(
    store: Store, rules_file: Path, buckets: dict[str, Any], night: int, config: dict[str, Any] | None = None
) -> RunInfo:
    """One run on day `night` (0 = 2026-08-01) over fake buckets named as given; `config` is the
    configuration the run stores (its SoA's scope, reasons, attesters)."""
    when = START + timedelta(days=night)
    rules = load_rules([rules_file], {"fake.bucket"}, set(load_catalog().ids()))
    meta = {
        "mappings": {"object": store.put_json({"rules": [r.to_dict() for r in rules]}), "sha256": "x"},
        "config": {"object": store.put_json(config or {"targets": [{"fake": {}}]}), "sha256": "y"},
    }
    writer = store.begin_run(f"night-{night:03d}", stamp(when), meta)
    stored = [writer.add_fact(fake_fact(name, data, at=stamp(when)), "fake.buckets") for name, data in buckets.items()]
    results = evaluate(stored, (), rules, when, {"fake.bucket"})
    return writer.commit(results, stamp(when + timedelta(minutes=5)), {})


def write_history(
    store: Store, rules_file: Path, nights: list[dict[str, Any]], first: int = 0, config: dict[str, Any] | None = None
) -> list[RunInfo]:
    return [write_night(store, rules_file, buckets, n, config) for n, buckets in enumerate(nights, first)]
