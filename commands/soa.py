"""annexa soa: the Statement of Applicability with implementation status."""

from __future__ import annotations

import argparse

from annexa.attestations import manual_evidence
from annexa.commands.common import add_output, add_run_option, add_store_options, emit, render_rows, workspace
from annexa.reports.soa import SOA_COLUMNS, soa_html, soa_rows, soa_statuses, soa_workbook

NAME = "soa"
HELP = "Statement of Applicability with implementation status"
_TABLE = ("control", "status", "applicable", "title", "evidence", "last_evidence_at", "stale_since")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_store_options(parser)
    add_run_option(parser)
    add_output(parser, ("table", "json", "csv", "md", "xlsx", "html"), "table")


def run(args: argparse.Namespace) -> int:
    ws = workspace(args, config_required=False)
    store = ws.open_store()
    run_info = store.resolve(args.run)
    statuses = soa_statuses(
        store, run_info, ws.catalog, ws.config,
        manual=manual_evidence(store, run_info), max_age_by_kind=ws.max_age_by_kind(),
    )
    rows = soa_rows(statuses, run_info, ws.config.scope)
    if args.format == "xlsx":
        emit(soa_workbook(rows), args.output)
    elif args.format == "html":
        emit(soa_html(rows, run_info), args.output)
    else:
        emit(render_rows(rows, args.format, SOA_COLUMNS, _TABLE), args.output)
    return 0
