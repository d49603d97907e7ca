"""Carrying forward a stopped collector's evidence, and the index's change queries."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import structlog

from annexa.collectors.base import Target
from annexa.collectors.registry import Registry
from annexa.config import Config
from annexa.evidence_store.store import open_store
from annexa.mappings.catalog import load_catalog
from annexa.mappings.rules import load_rules
from annexa.pipeline.runner import run_collection
from annexa.reports.soa import soa_statuses

BUCKETS = {"b1": {"encrypted": True, "versioning": "Enabled"}, "b2": {"encrypted": False}}


def _config(tmp_path: Path, buckets: dict, targets: bool = True) -> Config:
    target = Target("fake", {"buckets": buckets})
    raw = {"targets": [{"fake": {}}], "max_age": "2d"}  # stored in each run: its SoA's freshness
    return Config(
        path=None, store=str(tmp_path), targets=(target,) if targets else (), raw=raw, max_age=timedelta(days=2)
    )


def _collect(store, config: Config, registry: Registry, rules_file: Path):  # type: ignore[no-untyped-def]
    catalog = load_catalog()
    rules = load_rules([rules_file], {"fake.bucket"}, set(catalog.ids()))
    return run_collection(config, registry, rules, catalog, store, structlog.get_logger())


def test_a_collector_that_stops_leaves_stale_evidence_not_silence(
    tmp_path: Path, fake_registry: Registry, fake_rules_file: Path
) -> None:
    store = open_store(str(tmp_path))
    first = _collect(store, _config(tmp_path, BUCKETS), fake_registry, fake_rules_file)
    assert first.run.status == "complete"

    broken = Registry(problems=["collector 'fake.buckets' from annexa-fake failed to load: ImportError: x"])
    second = _collect(store, _config(tmp_path, BUCKETS), broken, fake_rules_file)
    assert second.run.status == "partial" and second.exit_code == 1
    (batch,) = store.manifest(second.run.seq)["batches"].values()
    assert batch["carried_from"] == 1
    carried = {(r.rule, r.resource): r for r in store.results(second.run)}
    original = {(r.rule, r.resource): r for r in store.results(first.run)}
    assert carried == original  # same results, with their original collection time
    assert not store.result_changes(first.run, second.run) and not store.fact_changes(first.run, second.run)

    collected = datetime.fromisoformat(batch["collected_at"].replace("Z", "+00:00"))
    fresh = {s.control: s for s in soa_statuses(store, second.run, load_catalog(), now=collected)}
    later = {s.control: s for s in soa_statuses(store, second.run, load_catalog(), now=collected + timedelta(days=3))}
    assert fresh["A.8.13"].status == "partial"  # b1 versioned, b2 not: carried, still fresh
    assert later["A.8.13"].status == "stale" and later["A.8.13"].stale_since == batch["collected_at"]

    # carried again from the original run, not from the carrying one
    third = _collect(store, _config(tmp_path, BUCKETS), broken, fake_rules_file)
    assert next(iter(store.manifest(third.run.seq)["batches"].values()))["carried_from"] == 1

    # the user removes the target: its evidence is retired on purpose, not carried
    retired = _collect(store, _config(tmp_path, BUCKETS, targets=False), broken, fake_rules_file)
    assert store.results(retired.run) == [] and retired.run.status == "complete"


def test_change_queries_follow_intervals_between_any_two_runs(
    tmp_path: Path, fake_registry: Registry, fake_rules_file: Path
) -> None:
    store = open_store(str(tmp_path))
    runs = [
        _collect(store, _config(tmp_path, buckets), fake_registry, fake_rules_file).run
        for buckets in (
            BUCKETS,
            {**BUCKETS, "b2": {"encrypted": True}},  # b2 fixed
            {**BUCKETS, "b2": {"encrypted": True}, "b3": {"encrypted": True}},  # b3 appears
            {"b1": BUCKETS["b1"], "b3": {"encrypted": True}},  # b2 disappears
        )
    ]

    def changes(a: int, b: int) -> dict[tuple[str, str], tuple[str | None, str | None]]:
        return {
            (either.rule, either.resource.rsplit("/", 1)[1]): (old.status if old else None, new.status if new else None)
            for old, new in store.result_changes(runs[a], runs[b])
            if (either := new or old) is not None and either.resource != "-"
        }

    assert changes(0, 1) == {("fake.bucket-encrypted", "b2"): ("fail", "pass")}
    assert changes(1, 2)[("fake.bucket-encrypted", "b3")] == (None, "pass")
    assert changes(0, 3)[("fake.bucket-encrypted", "b2")] == ("fail", None)
    assert changes(0, 3)[("fake.bucket-encrypted", "b3")] == (None, "pass")
    assert ("fake.bucket-encrypted", "b1") not in changes(0, 3)
    facts = store.fact_changes(runs[0], runs[3])
    assert {k[1].rsplit("/", 1)[1]: (old is not None, new is not None) for k, (old, new) in facts.items()} == {
        "b2": (True, False),
        "b3": (False, True),
    }
