"""annexa nonconformities: the register of failing rule x resource spans."""

from __future__ import annotations

import argparse

from annexa.commands.common import add_output, add_store_options, emit, render_rows, workspace
from annexa.reports.nonconformities import NC_COLUMNS, TABLE_COLUMNS, nonconformities, nonconformity_workbook
from annexa.reports.period import parse_date, resolve_period

NAME = "nonconformities"
HELP = "the non-conformity register; each failing rule x resource with first seen, last seen, days open, fixed at"


def add_period_options(parser: argparse.ArgumentParser, required: bool) -> None:
    parser.add_argument(
        "--from",
        dest="start",
        type=parse_date,
        required=required,
        metavar="DATE",
        help="first day (UTC), e.g. 2026-08-01" + ("" if required else "; default: the first run"),
    )
    parser.add_argument(
        "--to",
        dest="end",
        type=parse_date,
        required=required,
        metavar="DATE",
        help="last day (UTC), inclusive" + ("" if required else "; default: the latest run"),
    )


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_store_options(parser)
    add_period_options(parser, required=False)
    add_output(parser, ("table", "json", "csv", "xlsx"), "table")


def run(args: argparse.Namespace) -> int:
    store = workspace(args, config_required=False).read_store()
    rows = nonconformities(store, resolve_period(store, args.start, args.end))
    if args.format == "xlsx":
        emit(nonconformity_workbook(rows), args.output, store.url)
    else:
        emit(render_rows(rows, args.format, NC_COLUMNS, TABLE_COLUMNS), args.output, store.url)
    return 0
