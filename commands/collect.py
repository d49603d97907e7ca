"""annexa collect: run the configured collectors and write one bundle."""

from __future__ import annotations

import argparse

import structlog

from annexa.commands.common import add_store_options, workspace
from annexa.errors import UsageError
from annexa.progress import progress_display
from annexa.runner import run_collection

NAME = "collect"
HELP = "run the configured collectors and write one bundle"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_store_options(parser)
    parser.add_argument("--run-id", help="use this run id instead of a generated one")


def run(args: argparse.Namespace) -> int:
    ws = workspace(args)
    if not ws.config.targets:
        raise UsageError(f"{args.config}: no targets configured")
    with progress_display() as progress:
        outcome = run_collection(
            ws.config, ws.registry, ws.rules, ws.catalog, ws.open_store(), structlog.get_logger(), progress,
            run_id=args.run_id,
        )
    counts = {s: sum(1 for r in outcome.results if r.status == s) for s in ("pass", "fail", "error", "not_applicable")}
    print(
        f"run {outcome.run.run_id} (#{outcome.run.seq}) {outcome.run.status}: {outcome.run.facts} facts, "
        + ", ".join(f"{n} {s}" for s, n in counts.items())
        + f"; {len(outcome.errors)} collection errors; store {ws.store_url}"
    )
    return outcome.exit_code
