"""annexa findings: the rule results of a run."""

from __future__ import annotations

import argparse
import shutil

from annexa.commands.common import (
    add_crosswalk_option,
    add_output,
    add_run_option,
    add_store_options,
    crosswalk_column,
    emit_chunks,
    workspace,
)
from annexa.errors import UsageError
from annexa.mappings.evaluate import STATUSES
from annexa.reports.findings import FINDING_COLUMNS, iter_finding_rows, load_findings
from annexa.reports.findings_html import findings_html_chunks
from annexa.reports.findings_text import findings_text_chunks
from annexa.reports.render import iter_csv, iter_json

NAME = "findings"
HELP = "rule results of a run"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_store_options(parser)
    add_run_option(parser)
    parser.add_argument("--status", help="only these statuses, comma-separated (pass,fail,error,not_applicable)")
    add_output(parser, ("table", "json", "csv", "html"), "table")
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
    run_info = store.resolve(args.run)
    if args.format in ("table", "html"):
        extend = None
        if crosswalk is not None:
            extend = lambda row: {**row, "crosswalk": crosswalk.ids(row["controls"])}  # noqa: E731
        findings = load_findings(store, run_info, statuses, extend)  # counted in one pass, rows read as written
        if args.format == "html":
            emit_chunks(findings_html_chunks(findings), args.output, store.url)
            return 0
        # The terminal's width when printing to one; wide enough not to wrap lines in a file or a pipe.
        width = shutil.get_terminal_size((100, 24)).columns if not args.output else 100
        show_passed = statuses is not None and bool(statuses & {"pass", "not_applicable"})
        emit_chunks(findings_text_chunks(findings, width, show_passed), args.output, store.url)
        return 0
    rows = iter_finding_rows(store, run_info, statuses)  # streamed: memory flat in the number of results
    columns = FINDING_COLUMNS
    if crosswalk is not None:
        rows = ({**row, "crosswalk": crosswalk.ids(row["controls"])} for row in rows)
        columns = (*columns, "crosswalk")
    chunks = iter_json(rows) if args.format == "json" else iter_csv(rows, columns)
    emit_chunks(chunks, args.output, store.url)
    return 0
