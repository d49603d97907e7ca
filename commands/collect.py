"""annexa collect: run the configured collectors and write one bundle, then alert on drift."""

from __future__ import annotations

import argparse
from typing import Any

import structlog

from annexa.commands.common import add_store_options, run_summary, timestamp_exit, workspace
from annexa.commands.progress import progress_display
from annexa.errors import UsageError
from annexa.evidence_store.lock import holding_run_lock
from annexa.evidence_store.store import RunInfo, Store
from annexa.pipeline.runner import new_run_id, run_collection
from annexa.pipeline.shards import collect_shard, parse_shard, validate_run_id
from annexa.pipeline.workspace import Workspace

NAME = "collect"
HELP = "run the configured collectors and write one bundle"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_store_options(parser)
    parser.add_argument("--run-id", help="use this run id instead of a generated one")
    parser.add_argument("--no-notify", action="store_true", help="do not send the configured `notify:` alerts")
    parser.add_argument(
        "--shard",
        metavar="K/N",
        help="collect only shard K of N (0-based) of a run and write a shard manifest; needs --run-id; "
        "`annexa seal` writes the run once all N shards are in",
    )


def run(args: argparse.Namespace) -> int:
    shard = parse_shard(args.shard) if args.shard is not None else None
    if shard is not None or args.run_id is not None:  # a run id names folders and objects: never `../..`
        validate_run_id(args.run_id)
    log = structlog.get_logger()
    # On screen at once: loading the collectors (boto3, the Azure SDK) takes a moment.
    with progress_display() as progress:
        progress.phase("loading the configuration, the collectors and the rules")
        ws = workspace(args)
        if not ws.config.targets:
            raise UsageError(f"{args.config}: no targets configured")
        progress.phase("collecting")
        if shard is not None:
            # No run lock: the N shards of a run write at the same time by design, and only `seal` chains.
            part = collect_shard(
                ws.config, ws.registry, ws.rules, ws.catalog, ws.open_store(), log, args.run_id, shard, progress
            )
        else:
            store = ws.open_store(signed=True)
            run_id = args.run_id or new_run_id()
            with holding_run_lock(store.backend.run_lock(), store.url, run_id, log):
                outcome = run_collection(
                    ws.config, ws.registry, ws.rules, ws.catalog, store, log, progress, run_id=run_id
                )
    if shard is not None:
        print(
            f"run {part.run_id} shard {shard.index}/{shard.count}: {part.facts} facts; {len(part.errors)} collection "
            f"errors; store {ws.store_url}; `annexa seal --run-id {part.run_id}` once all {shard.count} shards are in"
        )
        return part.exit_code
    print(run_summary(outcome, ws.store_url))
    if ws.config.notify is not None and not args.no_notify:
        _alert(ws, store, outcome.run, log)
    return timestamp_exit(ws, outcome.exit_code)


def _alert(ws: Workspace, store: Store, run: RunInfo, log: Any) -> None:
    """Send the drift against the previous run. The bundle is already written: nothing here may
    change the run's exit code, so even an unexpected failure is logged, not raised."""
    from annexa.notify.send import notify_run  # imports requests: only when alerting
    from annexa.reports.drift import drift_between, previous_collection
    from annexa.reports.nonconformities import alert_lines, build_register
    from annexa.reports.period import resolve_period

    assert ws.config.notify is not None
    try:
        drift = None
        before = previous_collection(store, run)
        if before is not None:
            drift = drift_between(store, before, run, ws.catalog, ws.registry.max_age_by_kind())
        # overdue non-conformities and expired risk acceptances, as of this run
        attention = alert_lines(build_register(store, resolve_period(store, None, None)))
        notify_run(
            ws.config.notify, drift, store.url, log, head=f"{run.seq}:{run.manifest_sha256}", attention=attention
        )
    except Exception:  # alerting must never lose or fail a run that is already published
        log.error("notify_failed", target="all", error="could not build or send the drift summary", exc_info=True)
