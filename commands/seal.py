"""annexa seal: merge the shards of a sharded run into one run of the hash chain."""

from __future__ import annotations

import argparse

import structlog

from annexa.commands.common import add_store_options, run_summary, timestamp_exit, workspace
from annexa.evidence_store.lock import holding_run_lock
from annexa.pipeline.shards import seal_run, validate_run_id

NAME = "seal"
HELP = "write a sharded run once all its shards are in"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_store_options(parser)
    parser.add_argument("--run-id", required=True, help="the run id the shards were collected under")


def run(args: argparse.Namespace) -> int:
    validate_run_id(args.run_id)
    ws = workspace(args)
    store = ws.open_store(signed=True)
    log = structlog.get_logger()
    with holding_run_lock(store.backend.run_lock(), store.url, args.run_id, log):
        outcome = seal_run(ws.config, ws.rules, ws.catalog, store, log, args.run_id, ws.registry)
    print(run_summary(outcome, ws.store_url))
    return timestamp_exit(ws, outcome.exit_code)
