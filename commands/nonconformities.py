"""annexa nonconformities: the register of failing rule x resource spans."""

from __future__ import annotations

import argparse

from annexa.commands.common import BINARY, add_output, add_store_options, emit, emit_chunks, render_rows, workspace
from annexa.errors import UsageError
from annexa.reports.nonconformities import (
    GAP_COLUMNS,
    GAP_TABLE_COLUMNS,
    NC_COLUMNS,
    TABLE_COLUMNS,
    build_register,
    nonconformity_workbook_chunks,
)
from annexa.reports.period import parse_date, resolve_period
from annexa.reports.render import iter_csv, iter_json

NAME = "nonconformities"
HELP = (
    "the non-conformity register and the evidence gaps; each failing rule x resource with its id, state, owner, "
    "due date, corrective action, risk acceptance, first seen, fixed and verified; overdue and expired items flagged"
)


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
    parser.add_argument(
        "--gaps",
        action="store_true",
        help="list the evidence gaps instead: the runs in which a rule could not be evaluated on a resource "
        "(`error`); the xlsx workbook always has both sheets",
    )


def run(args: argparse.Namespace) -> int:
    store = workspace(args, config_required=False).read_store()
    register = build_register(store, resolve_period(store, args.start, args.end))
    if args.format == "xlsx":
        if not args.output:
            raise UsageError(BINARY)
        emit_chunks(nonconformity_workbook_chunks(register.items, register.gaps), args.output, store.url)
        return 0
    rows, columns, table = (
        (register.gaps, GAP_COLUMNS, GAP_TABLE_COLUMNS) if args.gaps else (register.items, NC_COLUMNS, TABLE_COLUMNS)
    )
    if args.format in ("json", "csv"):  # written as they are rendered, not as one string
        emit_chunks(iter_json(rows) if args.format == "json" else iter_csv(rows, columns), args.output, store.url)
    else:
        emit(render_rows(list(rows), args.format, columns, table), args.output, store.url)  # aligned: widths first
    return 0
