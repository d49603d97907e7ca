"""annexa soa: the Statement of Applicability with implementation status."""

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
from annexa.pipeline.attestations import manual_evidence
from annexa.reports.soa import SOA_COLUMNS, evidence_sources, soa_html, soa_rows, soa_statuses, soa_workbook

NAME = "soa"
HELP = "Statement of Applicability with implementation status"
_TABLE = ("control", "status", "applicable", "title", "evidence", "evidence_sources", "last_evidence_at", "stale_since")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_store_options(parser)
    add_run_option(parser)
    add_output(parser, ("table", "json", "csv", "md", "xlsx", "html"), "table")
    add_crosswalk_option(parser)


def run(args: argparse.Namespace) -> int:
    ws = workspace(args, config_required=False)
    crosswalk = crosswalk_column(args, ws)
    store = ws.open_store()
    run_info = store.resolve(args.run)
    results = store.results(run_info)
    statuses = soa_statuses(
        store,
        run_info,
        ws.catalog,
        ws.config,
        manual=manual_evidence(store, run_info),
        max_age_by_kind=ws.max_age_by_kind(),
        results=results,
    )
    rows = soa_rows(statuses, run_info, ws.config.scope, evidence_sources(results))
    columns, table = SOA_COLUMNS, _TABLE
    if crosswalk is not None:
        for row in rows:
            row["crosswalk"] = crosswalk.ids([row["control"]])
        columns, table = (*columns, "crosswalk"), (*table[:2], "crosswalk", *table[2:])
    if args.format == "xlsx":
        emit(soa_workbook(rows), args.output, store.url)
    elif args.format == "html":
        emit(soa_html(rows, run_info), args.output, store.url)
    else:
        emit(render_rows(rows, args.format, columns, table), args.output, store.url)
    return 0
