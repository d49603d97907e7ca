"""annexa export: a run in another tool's format (OSCAL assessment results, OCSF findings)."""

from __future__ import annotations

import argparse

from annexa.commands.common import add_run_option, add_store_options, emit_chunks, workspace
from annexa.reports.ocsf import compliance_findings, json_lines
from annexa.reports.oscal import assessment_results_chunks

NAME = "export"
HELP = "export a run as OSCAL assessment results; or as OCSF compliance findings (JSON lines)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_store_options(parser)
    parser.add_argument(
        "format", choices=("oscal", "ocsf"), help="oscal: OSCAL 1.2.1 assessment results; ocsf: OCSF 1.1.0"
    )
    add_run_option(parser)
    parser.add_argument("-o", "--output", help="write to this file instead of standard output")


def run(args: argparse.Namespace) -> int:
    ws = workspace(args, config_required=False)
    store = ws.read_store()
    run_info = store.resolve(args.run)
    if args.format == "oscal":
        chunks = assessment_results_chunks(store, run_info, ws.catalog, ws.registry.max_age_by_kind())
        emit_chunks(chunks, args.output, store.url)
    else:
        emit_chunks(json_lines(compliance_findings(store, run_info)), args.output, store.url)
    return 0
