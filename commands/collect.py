"""annexa collect: run the configured collectors and write one bundle, then alert on drift."""

from __future__ import annotations

import argparse
from typing import Any

import structlog

from annexa.commands.common import add_store_options, workspace
from annexa.errors import UsageError
from annexa.evidence_store.lock import holding_run_lock
from annexa.evidence_store.store import RunInfo, Store
from annexa.progress import progress_display
from annexa.runner import new_run_id, run_collection
from annexa.workspace import Workspace

NAME = "collect"
HELP = "run the configured collectors and write one bundle"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_store_options(parser)
    parser.add_argument("--run-id", help="use this run id instead of a generated one")
    parser.add_argument("--no-notify", action="store_true", help="do not send the configured `notify:` alerts")


def run(args: argparse.Namespace) -> int:
    ws = workspace(args)
    if not ws.config.targets:
        raise UsageError(f"{args.config}: no targets configured")
    store = ws.open_store(signed=True)
    log = structlog.get_logger()
    run_id = args.run_id or new_run_id()
    with holding_run_lock(store.backend.run_lock(), store.url, run_id, log), progress_display() as progress:
        outcome = run_collection(ws.config, ws.registry, ws.rules, ws.catalog, store, log, progress, run_id=run_id)
    counts = {s: sum(1 for r in outcome.results if r.status == s) for s in ("pass", "fail", "error", "not_applicable")}
    print(
        f"run {outcome.run.run_id} (#{outcome.run.seq}) {outcome.run.status}: {outcome.run.facts} facts, "
        + ", ".join(f"{n} {s}" for s, n in counts.items())
        + f"; {len(outcome.errors)} collection errors; store {ws.store_url}"
    )
    if ws.config.notify is not None and not args.no_notify:
        _alert(ws, store, outcome.run, log)
    return outcome.exit_code


def _alert(ws: Workspace, store: Store, run: RunInfo, log: Any) -> None:
    """Send the drift against the previous run. The bundle is already written: nothing here may
    change the run's exit code, so even an unexpected failure is logged, not raised."""
    from annexa.notify.send import notify_run  # imports requests: only when alerting
    from annexa.reports.drift import drift_between

    assert ws.config.notify is not None
    try:
        drift = None
        if run.seq > 1:
            drift = drift_between(store, store.resolve(str(run.seq - 1)), run, ws.catalog, ws.config,
                                  ws.max_age_by_kind())
        notify_run(ws.config.notify, drift, store.url, log)
    except Exception:  # alerting must never lose or fail a run that is already published
        log.error("notify_failed", target="all", error="could not build or send the drift summary", exc_info=True)
