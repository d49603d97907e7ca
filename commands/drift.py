"""annexa drift: what changed between two runs; exit 3 when anything regressed."""

from __future__ import annotations

import argparse
import sys

import structlog

from annexa.commands.common import add_store_options, emit, workspace
from annexa.commands.terminal import terminal_safe
from annexa.errors import UsageError
from annexa.reports.drift import drift_between, previous_collection, render_drift

NAME = "drift"
HELP = "what changed between two runs; exit 3 when anything regressed"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_store_options(parser)
    parser.add_argument("--from", dest="from_run", help="the earlier run (default: the run before --to)")
    parser.add_argument("--to", dest="to_run", default="latest", help="the later run (default: latest)")
    parser.add_argument("--format", choices=("table", "json", "md"), default="table", help="output format")
    parser.add_argument("-o", "--output", help="write to this file instead of standard output")
    parser.add_argument("--notify", action="store_true", help="also send the summary to the configured `notify:`")


def run(args: argparse.Namespace) -> int:
    ws = workspace(args, config_required=args.notify)
    if args.notify and ws.config.notify is None:
        raise UsageError(f"--notify: {args.config} has no `notify:` section")
    store = ws.read_store()
    after = store.resolve(args.to_run)
    if args.from_run:
        before = store.resolve(args.from_run)
        if before.seq >= after.seq:
            raise UsageError(f"--from: run #{before.seq} is not earlier than --to run #{after.seq}")
    else:
        found = previous_collection(store, after)
        if found is None:
            where = terminal_safe(store.url)
            print(
                f"annexa: run #{after.seq} is the first collection run in {where}: nothing to compare yet",
                file=sys.stderr,
            )
            return 0
        before = found
    drift = drift_between(store, before, after, ws.catalog, ws.registry.max_age_by_kind())
    emit(render_drift(drift, args.format), args.output, store.url)
    if args.notify and ws.config.notify is not None:
        from annexa.notify.send import notify_run  # imports requests: only when alerting

        head = store.head()
        notify_run(
            ws.config.notify,
            drift,
            store.url,
            structlog.get_logger(),
            head=f"{head.seq}:{head.manifest_sha256}" if head else None,
        )
    return drift.exit_code
