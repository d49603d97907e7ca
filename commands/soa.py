"""annexa soa: the Statement of Applicability of a run, judged with that run's own settings."""

from __future__ import annotations

import argparse
import sys

from annexa.commands.common import (
    add_crosswalk_option,
    add_output,
    add_run_option,
    add_store_options,
    crosswalk_column,
    emit,
    workspace,
)
from annexa.reports.soa import build_soa, render_soa
from annexa.words import plural

NAME = "soa"
HELP = "Statement of Applicability of a run (status, evidence class)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_store_options(parser)
    add_run_option(parser)
    add_output(parser, ("table", "json", "csv", "md", "xlsx", "html"), "table")
    add_crosswalk_option(parser)


def run(args: argparse.Namespace) -> int:
    ws = workspace(args, config_required=False)  # only for the store and the catalog: the run holds its settings
    crosswalk = crosswalk_column(args, ws)
    store = ws.read_store()
    soa = build_soa(store, store.resolve(args.run), ws.catalog, ws.registry.max_age_by_kind())
    extra: tuple[str, ...] = ()
    if crosswalk is not None:
        for row in soa.rows:
            row["crosswalk"] = crosswalk.ids([row["control"]])
            row["text"]["crosswalk"] = row["crosswalk"]
        extra = ("crosswalk",)
    emit(render_soa(soa, args.format, extra), args.output, store.url)
    if soa.later_attestations:
        print(
            f"annexa: {plural(soa.later_attestations, 'attestation')} recorded after run {soa.run.run_id} count from "
            "the next collection run's SoA",
            file=sys.stderr,
        )
    return 0
