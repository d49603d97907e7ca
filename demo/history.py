"""A back-dated history of nightly runs, written through the normal run pipeline.

Collecting a whole estate ninety times would take minutes and say nothing more: between changes the
world is the same. So each distinct world state is collected once (`capture`), and each night replays
the captured facts and errors through `run_collection` with that night's clock (`write_night`): the
same writer, evaluator, signer and hash chain as `annexa collect`, so every bundle is a genuine,
signed, verifiable run; only its collection time is the night's rather than the moment of capture.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from typing import Any

from annexa.collectors.base import Collector, Context, Target
from annexa.collectors.registry import Registry
from annexa.config import Config
from annexa.evidence_store.store import Store
from annexa.mappings.catalog import Catalog
from annexa.mappings.rules import Rule
from annexa.model import CollectionError, Fact
from annexa.pipeline.runner import RunOutcome, run_collection, selected_collectors

__all__ = ["Captured", "Replay", "capture", "merge", "night_clock"]

# (collector name, target index) -> what that collector yielded for that target
Captured = dict[tuple[str, int], list[Fact | CollectionError]]


def capture(config: Config, registry: Registry, log: Any, providers: set[str] | None = None) -> Captured:
    """Run the configured collectors (of `providers`, or all) once and keep what they yielded."""
    context = Context(run_id="demo-capture", log=log)
    captured: Captured = {}
    for target, collector_cls in selected_collectors(config, registry, context):
        if providers is not None and target.provider not in providers:
            continue
        collector_cls.preflight(target)
        captured[(collector_cls.name, target.index)] = list(collector_cls().collect(target, context))
    return captured


def night_clock(at: datetime, step: timedelta = timedelta(seconds=20)) -> Callable[[], datetime]:
    """A clock that reads `at` first and moves on by `step` at each reading (start, judgement, end)."""
    readings = iter(at + step * n for n in range(1_000_000))
    return lambda: next(readings)


class Replay:
    """A registry of the real collectors whose `collect` yields the captured items instead, dated
    with the night being written: same names, kinds, evidence classes and freshness defaults, so
    the manifest records the run exactly as a collection of that world would."""

    def __init__(self, registry: Registry) -> None:
        self.items: Captured = {}
        self.at = ""
        self.registry = Registry({name: self._replaying(cls) for name, cls in registry.collectors.items()})

    def _replaying(self, collector_cls: type[Collector]) -> type[Collector]:
        replay = self

        def collect(self: Collector, target: Target, context: Context) -> Iterator[Fact | CollectionError]:
            for item in replay.items.get((collector_cls.name, target.index), ()):
                yield replace(item, collected_at=replay.at)

        namespace = {"collect": collect, "__doc__": collector_cls.__doc__, "__module__": collector_cls.__module__}
        return type(collector_cls.__name__, (collector_cls,), namespace)

    def write_night(
        self,
        items: Captured,
        at: datetime,
        config: Config,
        rules: Sequence[Rule],
        catalog: Catalog,
        store: Store,
        log: Any,
    ) -> RunOutcome:
        """One nightly run at `at`, from `items`."""
        self.items = items
        self.at = at.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        return run_collection(config, self.registry, rules, catalog, store, log, clock=night_clock(at))


def merge(*layers: Mapping[tuple[str, int], list[Fact | CollectionError]]) -> Captured:
    """Later layers replace earlier ones per (collector, target): a world state built from captures."""
    out: Captured = {}
    for layer in layers:
        out.update(layer)
    return out
