"""One collection run: every configured collector over every target, into one bundle.

Facts stream from collectors into the store writer (on a pool's own worker threads for
pooled collectors) and the evaluator (on this thread); neither keeps the facts themselves
in memory. A collector that raises is a bug, but it must still not make a control look
implemented: its kinds get `error` evidence and the run goes on.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from typing import Any

from annexa import __version__
from annexa.causes import cause_of
from annexa.collectors.base import Collector, Context, Finished, Pool, Progress, Stored, Target
from annexa.collectors.registry import Registry
from annexa.collectors.userfiles import reader
from annexa.config import Config
from annexa.evidence_store.batches import batch_collector
from annexa.evidence_store.canonical import canonical_bytes, sha256_hex
from annexa.evidence_store.redact import redact, redact_text
from annexa.evidence_store.store import RunInfo, Store
from annexa.mappings.catalog import Catalog
from annexa.mappings.evaluate import Evaluator
from annexa.mappings.rules import Rule, rules_digest
from annexa.model import CollectionError, Fact, Result, evidence_class_for_kind, scope_key
from annexa.pipeline.population import population

__all__ = [
    "Collected",
    "RunOutcome",
    "collect_targets",
    "expected_but_missing",
    "kind_table",
    "new_run_id",
    "report_skipped",
    "run_collection",
    "run_meta",
    "selected_collectors",
]


@dataclass(frozen=True)
class RunOutcome:
    run: RunInfo
    results: list[Result]
    errors: list[CollectionError]
    problems: list[str]

    @property
    def exit_code(self) -> int:
        """0 when everything was collected; 1 when the bundle is partial."""
        return 1 if self.errors or self.problems or self.run.status != "complete" else 0


def new_run_id(now: datetime | None = None) -> str:
    """Sortable and unique: `20261122T194058Z-3fa2c1`."""
    now = now or datetime.now(timezone.utc)
    return f"{now.strftime('%Y%m%dT%H%M%SZ')}-{secrets.token_hex(3)}"


def kind_table(rules: Sequence[Rule], registry: Registry | None) -> dict[str, dict[str, Any]]:
    """Each fact kind the rules read: the collector that produces it, its evidence class and the
    collector's freshness default (seconds), as this run's registry declares them, so a report
    judges the run as it ran."""
    classes = registry.evidence_class_by_kind() if registry is not None else {}
    max_ages = registry.max_age_by_kind() if registry is not None else {}
    producers = {k: c.name for c in registry.collectors.values() for k in c.kinds} if registry is not None else {}
    kinds = sorted(
        {rule.fact for rule in rules} | {kind for rule in rules if rule.join is not None for kind in rule.join.kinds}
    )
    return {
        kind: {
            "collector": producers.get(kind),
            "evidence_class": classes.get(kind) or evidence_class_for_kind(kind),
            "max_age_seconds": int(max_ages[kind].total_seconds()) if kind in max_ages else None,
        }
        for kind in kinds
    }


def run_meta(
    config: Config, rules: Sequence[Rule], catalog: Catalog, store: Store, registry: Registry | None = None
) -> dict[str, Any]:
    """Manifest fields that say how the run was asked for: tool, who, config, mappings.

    The stored config is what the run's SoA is judged with (scope, reasons, attesters, max_age);
    the mappings object adds each fact kind's evidence class and freshness default."""
    config_body = redact(dict(config.raw))
    mappings_body = {
        "catalog": {"name": catalog.name, "version": catalog.version, "controls": len(catalog)},
        "rules": [rule.to_dict() for rule in rules],
        "kinds": kind_table(rules, registry),
    }
    return {
        "tool": {"name": "annexa", "version": __version__},
        "operator": reader(),
        "config": {"object": store.put_json(config_body), "sha256": sha256_hex(canonical_bytes(config_body))},
        "mappings": {"object": store.put_json(mappings_body), "sha256": rules_digest(rules)},
    }


@dataclass
class Collected:
    """What a pass over the collectors produced besides the facts themselves (those went to the writer)."""

    errors: list[CollectionError] = field(default_factory=list)
    kinds: set[str] = field(default_factory=set)
    callers: dict[tuple[str, str], dict[str, str]] = field(default_factory=dict)
    collectors: list[dict[str, Any]] = field(default_factory=list)
    # Target-wide failures already logged: a target without credentials fails every collector the
    # same way, and one warning (with its hint) says it; the repeats are logged at debug level.
    logged: set[tuple[str, str, str]] = field(default_factory=set)

    def callers_list(self) -> list[dict[str, str]]:
        return [self.callers[key] for key in sorted(self.callers)]


def collect_targets(
    selected: Sequence[tuple[Target, type[Collector]]], context: Context, writer: Any, evaluator: Evaluator | None
) -> Collected:
    """Run the selected collectors; facts go to `writer` and (unless a shard, which does not judge) `evaluator`.

    The collectors that name the same pool (all AWS collectors, of every target) run together on
    it; the others run one after another. Their summaries keep the selection's order, whichever
    finished first."""
    collected = Collected()
    summaries: dict[int, dict[str, Any]] = {}
    for pool, members in _groups(selected):
        if pool is None:
            for position, target, collector_cls in members:
                summaries[position] = _run_collector(collector_cls, target, context, writer, evaluator, collected)
        else:  # the pool's workers store the facts themselves (Context.store)
            pooled = replace(context, store=writer.add_fact)
            summaries.update(_run_pooled(pool, members, pooled, writer, evaluator, collected))
    for position, (_target, collector_cls) in enumerate(selected):
        collected.kinds.update(collector_cls.kinds)
        collected.collectors.append(summaries[position])
    return collected


Member = tuple[int, Target, type[Collector]]  # (position in the selection, target, collector)


def _groups(selected: Sequence[tuple[Target, type[Collector]]]) -> list[tuple[Pool | None, list[Member]]]:
    """The selection in order, the collectors sharing a pool (all AWS collectors, of every target)
    gathered where the first of them is."""
    groups: list[tuple[Pool | None, list[Member]]] = []
    pooled: dict[Pool, list[Member]] = {}
    for position, (target, collector_cls) in enumerate(selected):
        pool = collector_cls.pool()
        if pool is None:
            groups.append((None, [(position, target, collector_cls)]))
        elif pool in pooled:
            pooled[pool].append((position, target, collector_cls))
        else:
            pooled[pool] = [(position, target, collector_cls)]
            groups.append((pool, pooled[pool]))
    return groups


def run_collection(
    config: Config,
    registry: Registry,
    rules: Sequence[Rule],
    catalog: Catalog,
    store: Store,
    log: Any,
    progress: Progress | None = None,
    run_id: str | None = None,
    clock: Callable[[], datetime] | None = None,
) -> RunOutcome:
    """`clock` (the wall clock by default) gives the run's start, the time rules judge ages at and
    its end; the demo passes one to write a back-dated history (demo/history.py)."""
    clock = clock or (lambda: datetime.now(timezone.utc))
    started = _rfc3339(clock())
    began = time.monotonic()
    run_id = run_id or new_run_id(clock())
    log = log.bind(run_id=run_id)
    context = Context(run_id=run_id, log=log, progress=progress or Progress())
    selected = list(selected_collectors(config, registry, context))
    report_skipped(config, registry, selected, context)
    for target, collector_cls in selected:
        collector_cls.preflight(target)  # bad input files: UsageError before anything is written
    writer = store.begin_run(run_id, started, run_meta(config, rules, catalog, store, registry))
    evaluator = Evaluator(rules, clock(), registry.evidence_class_by_kind(), config.policy)

    for problem in registry.problems:
        log.warning("plugin_problem", problem=problem)

    collected = collect_targets(selected, context, writer, evaluator)
    errors, collector_runs = collected.errors, collected.collectors
    results = evaluator.finish(errors, collected.kinds)
    ran = {summary["collector"] for summary in collector_runs}
    run = writer.commit(
        results,
        _rfc3339(clock()),
        {
            "callers": collected.callers_list(),
            "collectors": collector_runs,
            "problems": [redact_text(problem) for problem in registry.problems],
            **population(store, writer, results),
        },
        # A sharded run collects only its share: the other shards' collectors did not "stop".
        carry=expected_but_missing(config, ran) if context.shard is None else None,
    )
    counts: dict[str, int] = {}
    for result in results:
        counts[result.status] = counts.get(result.status, 0) + 1
    batches = store.manifest(run.seq)["batches"]
    carried = sorted({batch_collector(key) for key, batch in batches.items() if batch.get("carried_from")})
    for name in carried:
        log.warning("collector_missing", collector=name, detail="did not run; its last evidence was carried forward")
    log.info(
        "run_finished",
        sequence=run.seq,
        status=run.status,
        facts=run.facts,
        errors=len(errors),
        error_causes=_causes(errors),
        results=counts,
        collectors=len(collector_runs),
        collectors_failed=sorted(s["collector"] for s in collector_runs if s["status"] != "ok"),
        collectors_carried=carried,
        problems=len(registry.problems),
        duration_s=round(time.monotonic() - began, 3),
        store=store.url,
    )
    return RunOutcome(run=run, results=results, errors=errors, problems=list(registry.problems))


def expected_but_missing(config: Config, ran: set[str]) -> Callable[[str, Mapping[str, str]], bool]:
    """Carry policy: a collector that did not run although a configured target still wants it.

    A target wants a collector of its provider unless its `collectors:` list leaves it out;
    removing the target or narrowing that list is how a user retires a collector's evidence.
    """

    def wanted(collector: str, scope: Mapping[str, str]) -> bool:
        return collector not in ran and any(
            target.provider == scope.get("provider")
            and (not target.options.get("collectors") or collector in target.options["collectors"])
            for target in config.targets
        )

    return wanted


def _log_error(
    context: Context, logged: set[tuple[str, str, str]], target: Target, collector: str, error: CollectionError
) -> None:
    """One `collection_error` line per failed call; a target-wide failure (no resource: the
    credentials, the endpoint) is a warning once per target, with its cause and what to do."""
    fields: dict[str, Any] = {
        "collector": collector,
        "target": target.label,
        "scope": scope_key(error.scope),
        "operation": error.operation,
        "code": error.code,
        "resource": error.resource,
        "error": error.message,
    }
    cause = cause_of(target.provider, error.code)
    if cause is not None:
        fields.update(cause=cause.summary, hint=cause.hint)
    if error.resource is None:
        key = (target.label, error.code or "", error.message)
        if key in logged:
            context.log.debug("collection_error", repeated=True, **fields)
            return
        logged.add(key)
    context.log.warning("collection_error", **fields)


def _rfc3339(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def _causes(errors: Sequence[CollectionError]) -> dict[str, int]:
    """Collection errors counted by cause (the provider's error code), for log pipelines."""
    causes: dict[str, int] = {}
    for error in errors:
        causes[error.code or "unknown"] = causes.get(error.code or "unknown", 0) + 1
    return causes


def report_skipped(
    config: Config, registry: Registry, selected: Sequence[tuple[Target, type[Collector]]], context: Context
) -> None:
    """Tell the progress display which collectors of each target's provider this run leaves out, and why."""
    chosen = {(target.index, collector_cls.name) for target, collector_cls in selected}
    for target in config.targets:
        wanted = target.options.get("collectors")
        for collector_cls in registry.for_provider(target.provider):
            if (target.index, collector_cls.name) in chosen:
                continue
            reason = (
                "not in the target's collectors:" if wanted and collector_cls.name not in wanted else "another shard's"
            )
            context.progress.skipped(collector_cls.name, target.label, reason)


def selected_collectors(
    config: Config, registry: Registry, context: Context | None = None
) -> Iterator[tuple[Target, type[Collector]]]:
    """Each (target, collector) this run collects: the target's `collectors:` and the shard decide."""
    for target in config.targets:
        wanted = set(target.options.get("collectors", []))
        for collector_cls in registry.for_provider(target.provider):
            if wanted and collector_cls.name not in wanted:
                continue
            if (
                context is not None
                and not collector_cls.shards_itself
                and not context.owns(collector_cls.name, target.label)
            ):
                continue
            yield target, collector_cls


@dataclass
class _Tally:
    """One collector's counts on one target while it runs (alone, or its units on a shared pool)."""

    name: str
    target: Target
    began: float = field(default_factory=time.monotonic)
    facts: int = 0
    failures: list[CollectionError] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        failed = len(self.failures)
        return {
            "collector": self.name,
            "target": self.target.label,
            "facts": self.facts,
            "errors": failed,
            "status": "ok" if not failed else ("partial" if self.facts else "error"),
            "duration_s": round(time.monotonic() - self.began, 3),
            "error_causes": _causes(self.failures),
        }


def _take(
    item: object, tally: _Tally, context: Context, writer: Any, evaluator: Evaluator | None, collected: Collected
) -> None:
    """One item a collector yielded: a fact to the writer (unless a pool's worker stored it) and the
    evaluator, an error to both records."""
    name, target = tally.name, tally.target
    if isinstance(item, Fact | Stored):
        fact, stored = (item.fact, item.stored) if isinstance(item, Stored) else (item, writer.add_fact(item, name))
        if evaluator is not None:
            evaluator.add(stored)
        tally.facts += 1
        scope = scope_key(fact.scope)
        collected.callers.setdefault(
            (scope, fact.source.principal), {"scope": scope, "principal": fact.source.principal}
        )
        context.progress.counted(name, target.label, tally.facts)
    elif isinstance(item, CollectionError):
        writer.add_error(item, name)
        collected.errors.append(item)
        tally.failures.append(item)
        _log_error(context, collected.logged, target, name, item)
    else:
        raise TypeError(f"collector yielded {type(item).__name__}, expected Fact or CollectionError")


def _crash(
    collector_cls: type[Collector], tally: _Tally, err: Exception, context: Context, writer: Any, collected: Collected
) -> None:
    """A collector bug becomes error evidence for all its kinds, never a pass."""
    context.log.error("collector_crashed", collector=tally.name, target=tally.target.label, exc_info=err)
    error = CollectionError(
        kinds=collector_cls.kinds,
        scope={"provider": tally.target.provider},
        message=f"collector {tally.name} stopped unexpectedly: {type(err).__name__}: {err}",
        code="CollectorCrashed",
    )
    writer.add_error(error, tally.name)
    collected.errors.append(error)
    tally.failures.append(error)


def _finish(tally: _Tally, context: Context) -> dict[str, Any]:
    summary = tally.summary()
    context.progress.finished(tally.name, tally.target.label, tally.facts, len(tally.failures))
    context.log.info("collector_finished", **summary)
    return summary


def _run_collector(
    collector_cls: type[Collector],
    target: Target,
    context: Context,
    writer: Any,
    evaluator: Evaluator | None,
    collected: Collected,
) -> dict[str, Any]:
    tally = _Tally(collector_cls.name, target)
    context.progress.started(tally.name, target.label)
    try:
        for item in collector_cls().collect(target, context):
            _take(item, tally, context, writer, evaluator, collected)
    except Exception as err:
        _crash(collector_cls, tally, err, context, writer, collected)
    return _finish(tally, context)


def _run_pooled(
    pool: Pool,
    members: Sequence[Member],
    context: Context,
    writer: Any,
    evaluator: Evaluator | None,
    collected: Collected,
) -> dict[int, dict[str, Any]]:
    """Collectors (each with its target) on one shared pool; each one's summary (by selection
    position) once its last unit is done. If the pool itself fails, every collector not yet
    finished gets `error` evidence for all its kinds."""
    tallies = [_Tally(collector_cls.name, target) for _position, target, collector_cls in members]
    summaries: dict[int, dict[str, Any]] = {}
    for tally in tallies:
        context.progress.started(tally.name, tally.target.label)
    try:
        for index, item in pool([(collector_cls(), target) for _p, target, collector_cls in members], context):
            if isinstance(item, Finished):
                summaries[members[index][0]] = _finish(tallies[index], context)
            else:
                _take(item, tallies[index], context, writer, evaluator, collected)
    except Exception as err:
        for (position, _target, collector_cls), tally in zip(members, tallies, strict=True):
            if position not in summaries:
                _crash(collector_cls, tally, err, context, writer, collected)
    for (position, _target, _cls), tally in zip(members, tallies, strict=True):
        if position not in summaries:  # the pool crashed, or ended without saying this one finished
            summaries[position] = _finish(tally, context)
    return summaries
