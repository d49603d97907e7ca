"""Sharded collection: N machines each collect a deterministic 1/N of the work, one seals.

`collect_shard` runs the collectors on the work units its `Shard` owns (collector x
target, or collector x account x region for collectors that fan out themselves),
writes their facts as usual and then one shard manifest, once:
`shards/<run_id>/<K>-of-<N>.json` with the fact keys and hashes, batches, errors
and collector summaries, signed with the configured key as it is written (a shard
waits in the store, outside the chain, until seal: unsigned, anyone with write access
could swap it). Nothing is judged there.

`seal_run` refuses until all N shards have arrived, each signed by a trusted key
when signatures are required (trust.py), and ran with the same configuration and rules;
it then merges them, evaluates the rules over the stored
(redacted) facts exactly as an unsharded run would (errors and `not_applicable`
included, since both need the whole run) and commits the ordinary run manifest
through `RunWriter.commit`, so the hash chain and the index stay one mechanism.
The run manifest names every shard manifest by its object hash.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from annexa.collectors.base import Context, Progress, Shard
from annexa.collectors.registry import Registry
from annexa.config import Config
from annexa.errors import StoreError, UsageError, VerifyError
from annexa.evidence_store.store import SHARD_FORMAT, RunWriter, Store
from annexa.evidence_store.trust import shard_signature_problem
from annexa.mappings.catalog import Catalog
from annexa.mappings.evaluate import Evaluator
from annexa.mappings.rules import Rule
from annexa.model import CollectionError, Fact, Source, utc_now
from annexa.pipeline.population import population
from annexa.pipeline.runner import (
    RunOutcome,
    collect_targets,
    expected_but_missing,
    report_skipped,
    run_meta,
    selected_collectors,
)

__all__ = ["ShardOutcome", "collect_shard", "parse_shard", "seal_run", "shard_name", "validate_run_id"]

_RUN_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
_SHARD_ARG = re.compile(r"^\s*(\d+)\s*/\s*(\d+)\s*$")
_MAX_SHARDS = 10000
_READERS = 16  # parallel object reads when sealing (S3 latency, not CPU, is the limit)
_CHUNK = 1000


@dataclass(frozen=True)
class ShardOutcome:
    run_id: str
    shard: Shard
    facts: int
    errors: list[CollectionError]

    @property
    def exit_code(self) -> int:
        return 1 if self.errors else 0


def parse_shard(text: str) -> Shard:
    """`K/N` with 0 <= K < N (0-based, like JOB_COMPLETION_INDEX and AWS_BATCH_JOB_ARRAY_INDEX)."""
    match = _SHARD_ARG.match(text)
    if not match:
        raise UsageError(f"--shard {text!r}: expected K/N, e.g. 0/4 for the first of four shards")
    index, count = int(match.group(1)), int(match.group(2))
    if not 1 <= count <= _MAX_SHARDS or index >= count:
        raise UsageError(f"--shard {text!r}: K must be 0..N-1 and N between 1 and {_MAX_SHARDS}")
    return Shard(index, count)


def shard_name(shard: Shard) -> str:
    return f"{shard.index}-of-{shard.count}"


def validate_run_id(run_id: str | None) -> str:
    if run_id is None:
        raise UsageError("--run-id is required with --shard: every shard of a run must use the same id")
    if not _RUN_ID.fullmatch(run_id):  # fullmatch: `$` would let a trailing newline through
        raise UsageError(f"--run-id {run_id[:40]!r}: use letters, digits, '.', '_' and '-' (at most 128)")
    return run_id


def collect_shard(
    config: Config,
    registry: Registry,
    rules: Sequence[Rule],
    catalog: Catalog,
    store: Store,
    log: Any,
    run_id: str,
    shard: Shard,
    progress: Progress | None = None,
) -> ShardOutcome:
    started = utc_now()
    log = log.bind(run_id=run_id, shard=f"{shard.index}/{shard.count}")
    context = Context(run_id=run_id, log=log, progress=progress or Progress(), shard=shard)
    selected = list(selected_collectors(config, registry, context))
    report_skipped(config, registry, selected, context)
    for target, collector_cls in selected:
        collector_cls.preflight(target)  # bad input files: UsageError before anything is written
    meta = run_meta(config, rules, catalog, store, registry)
    # No index: a shard machine may have no cache, and rebuilding it would cost more as history grows.
    writer = store.begin_run(run_id, started, meta, use_index=False)
    for problem in registry.problems:
        log.warning("plugin_problem", problem=problem)
    collected = collect_targets(selected, context, writer, None)
    body = {
        "format": SHARD_FORMAT,
        "run_id": run_id,
        "shard": {"index": shard.index, "count": shard.count},
        "started_at": started,
        "finished_at": utc_now(),
        **meta,
        **writer.snapshot(),
        "kinds": sorted(collected.kinds),
        "callers": collected.callers_list(),
        "collectors": collected.collectors,
        "problems": list(registry.problems),
    }
    store.publish_shard(run_id, shard_name(shard), body)  # signed by the store's signer, if any
    log.info("shard_finished", facts=writer.fact_count, errors=len(collected.errors), store=store.url)
    return ShardOutcome(run_id, shard, writer.fact_count, collected.errors)


def _arrived_shards(store: Store, run_id: str) -> list[str]:
    """The names of all N shards, or StoreError naming what is missing or inconsistent."""
    names = store.shard_names(run_id)
    if not names:
        raise StoreError(
            f"{store.url}: no shards of run {run_id} have arrived (run `annexa collect --run-id "
            f"{run_id} --shard K/N` on each machine first)"
        )
    counts = sorted({int(name.split("-of-")[1]) for name in names})
    if len(counts) > 1:
        raise StoreError(
            f"{store.url}: the shards of run {run_id} disagree on the shard count "
            f"({', '.join(names)}); rerun them under a new run id"
        )
    count = counts[0]
    wanted = [f"{index}-of-{count}" for index in range(count)]
    missing = [name.replace("-of-", "/") for name in wanted if name not in names]
    if missing:
        raise StoreError(
            f"{store.url}: cannot seal run {run_id}: shard {', '.join(missing)} "
            f"{'has' if len(missing) == 1 else 'have'} not arrived ({len(names)} of {count} present)"
        )
    return wanted


def _stored_facts(store: Store, writer: RunWriter) -> Iterator[Fact]:
    """The merged run's facts as stored (redacted), re-read from their objects; `collected_at` is the batch's."""
    snapshot = writer.snapshot()
    batches = snapshot["batches"]
    rows = snapshot["facts"]
    with ThreadPoolExecutor(max_workers=_READERS) as pool:
        for start in range(0, len(rows), _CHUNK):  # in chunks, so memory stays bounded on a large estate
            chunk = rows[start : start + _CHUNK]
            bodies = pool.map(lambda r: store.get_json(r[2]), chunk)
            for (kind, resource, _digest, batch), body in zip(chunk, bodies, strict=True):
                yield Fact(
                    kind=kind,
                    resource=resource,
                    scope=body["scope"],
                    data=body["data"],
                    source=Source.from_dict(body["source"]),
                    collected_at=batches[batch]["collected_at"],
                )


def seal_run(
    config: Config,
    rules: Sequence[Rule],
    catalog: Catalog,
    store: Store,
    log: Any,
    run_id: str,
    registry: Registry | None = None,
) -> RunOutcome:
    """`registry` gives each fact kind's evidence class (derived from the kind when None)."""
    log = log.bind(run_id=run_id)
    taken = store.index().run_by_id(run_id)
    if taken is not None:
        raise StoreError(f"{store.url}: run {run_id} is already sealed as run #{taken['seq']}")
    names = _arrived_shards(store, run_id)
    meta = run_meta(config, rules, catalog, store, registry)
    shards = []
    for name in names:
        body = store.shard(run_id, name)
        label = name.replace("-of-", "/")
        problem = shard_signature_problem(store.trust, body)
        if problem is not None:
            raise VerifyError(f"{store.url}: cannot seal run {run_id}: shard {label} {problem}")
        if body.get("run_id") != run_id or f"{body['shard']['index']}-of-{body['shard']['count']}" != name:
            raise StoreError(f"{store.url}: shard {label} of run {run_id} names another run or shard")
        for part in ("config", "mappings"):
            if body[part]["sha256"] != meta[part]["sha256"]:
                raise UsageError(
                    f"cannot seal run {run_id}: shard {label} ran with different {part} "
                    f"(sha256 {body[part]['sha256'][:12]}…) than this seal ({meta[part]['sha256'][:12]}…); "
                    "seal with the shards' configuration and rules"
                )
        shards.append((label, body))

    started = min(body["started_at"] for _, body in shards)
    writer = store.begin_run(run_id, started, meta, use_index=False)
    callers: dict[tuple[str, str], dict[str, str]] = {}
    kinds: set[str] = set()
    collectors: list[dict[str, Any]] = []
    problems: list[str] = []
    for _, body in shards:
        writer.absorb(body)
        kinds.update(body["kinds"])
        collectors.extend(body["collectors"])
        problems.extend(p for p in body["problems"] if p not in problems)
        for caller in body["callers"]:
            callers[(caller["scope"], caller["principal"])] = caller

    # Judge at the run's start, as an unsharded run started then would.
    evaluator = Evaluator(
        rules,
        datetime.strptime(started, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc),
        registry.evidence_class_by_kind() if registry is not None else None,
        config.policy,
    )
    for fact in _stored_facts(store, writer):
        evaluator.add(fact)
    errors = [CollectionError.from_dict(raw) for _, body in shards for raw in body["errors"]]
    results = evaluator.finish(errors, kinds)
    run = writer.commit(
        results,
        utc_now(),
        {
            "callers": [callers[key] for key in sorted(callers)],
            "collectors": collectors,
            "problems": problems,
            "shards": [{"shard": label, "object": store.put_json(body)} for label, body in shards],
            **population(store, writer, results),
        },
        # As an unsharded run: evidence of a collector that no shard ran is carried forward.
        carry=expected_but_missing(config, {summary["collector"] for summary in collectors}),
    )
    log.info("run_sealed", sequence=run.seq, status=run.status, facts=run.facts, shards=len(shards), store=store.url)
    return RunOutcome(run=run, results=results, errors=errors, problems=problems)
