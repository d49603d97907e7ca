"""annexa findings: the rule results of a run."""

from __future__ import annotations

import argparse

from annexa.commands.common import (
    add_crosswalk_option,
    add_output,
    add_run_option,
    add_store_options,
    crosswalk_column,
    emit,
    render_rows,
    workspace,
)
from annexa.errors import UsageError
from annexa.mappings.evaluate import STATUSES
from annexa.reports.findings import FINDING_COLUMNS, TABLE_COLUMNS, finding_rows

NAME = "findings"
HELP = "rule results of a run"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_store_options(parser)
    add_run_option(parser)
    parser.add_argument("--status", help="only these statuses, comma-separated (pass,fail,error,not_applicable)")
    add_output(parser, ("table", "json", "csv"), "table")
    add_crosswalk_option(parser)


def run(args: argparse.Namespace) -> int:
    statuses = None
    if args.status:
        statuses = {s.strip() for s in args.status.split(",") if s.strip()}
        unknown = statuses - set(STATUSES)
        if unknown:
            raise UsageError(f"--status: unknown status {sorted(unknown)[0]!r} (use {', '.join(STATUSES)})")
    ws = workspace(args, config_required=False)
    crosswalk = crosswalk_column(args, ws)
    store = ws.read_store()
    rows = finding_rows(store, store.resolve(args.run), statuses)
    columns, table = FINDING_COLUMNS, TABLE_COLUMNS
    if crosswalk is not None:
        for row in rows:
            row["crosswalk"] = crosswalk.ids(row["controls"])
        columns, table = (*columns, "crosswalk"), (*table[:5], "crosswalk", *table[5:])
    emit(render_rows(rows, args.format, columns, table), args.output, store.url)
    return 0
