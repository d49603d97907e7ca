"""annexa runs: list the runs in the store."""

from __future__ import annotations

import argparse

from annexa.commands.common import add_output, add_store_options, emit, render_rows, workspace

NAME = "runs"
HELP = "list the runs in the store"
_COLUMNS = ("sequence", "type", "run_id", "status", "started_at", "finished_at", "facts", "results", "errors")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_store_options(parser)
    add_output(parser, ("table", "json", "csv"), "table")


def run(args: argparse.Namespace) -> int:
    store = workspace(args, config_required=False).read_store()
    rows = [run.to_dict() for run in store.runs()]
    emit(render_rows(rows, args.format, _COLUMNS, _COLUMNS), args.output, store.url)
    return 0
