"""annexa pack: one zip with everything an auditor needs for a period, verifiable offline."""

from __future__ import annotations

import argparse

from annexa.commands.common import add_store_options, check_output, workspace
from annexa.commands.nonconformities import add_period_options
from annexa.errors import UsageError
from annexa.reports.pack import PackOptions, build_pack
from annexa.words import plural

NAME = "pack"
HELP = "audit pack for a period; offline HTML, SoA workbook, non-conformities, evidence, VERIFY.md"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_store_options(parser)
    add_period_options(parser, required=True)
    parser.add_argument("-o", "--output", required=True, help="the pack file to write; a zip, so its name ends in .zip")
    parser.add_argument(
        "--controls",
        action="append",
        default=[],
        metavar="PATTERN",
        help="only these controls, e.g. A.8.* (repeatable); default: all 93",
    )
    parser.add_argument("--sample", type=int, metavar="N", help="show a random sample of N resources per control")
    parser.add_argument("--seed", type=int, help="seed for --sample (recorded in the pack); default: random")


def run(args: argparse.Namespace) -> int:
    if not args.output.lower().endswith(".zip"):  # `-o p.tar` must not quietly get a zip named .tar
        raise UsageError(f"--output {args.output}: an audit pack is a zip file; give a name ending in .zip")
    ws = workspace(args, config_required=False)
    output = check_output(args.output, ws.store_url)
    options = PackOptions(
        args.start, args.end, tuple(args.controls), args.sample, args.seed, ws.registry.max_age_by_kind()
    )
    summary = build_pack(ws.read_store(), ws.catalog, options, output, ws.signer())
    seed = f", sample seed {summary.seed}" if summary.seed is not None else ""
    sealed = "sealed" if summary.sealed else "not sealed (no `signing:` key)"
    print(
        f"wrote {summary.path} ({plural(summary.bytes, 'byte')}, {sealed}): runs {summary.first_run} to "
        f"{summary.last_run}, {plural(summary.controls, 'control')}, {plural(summary.manifests, 'manifest')}, "
        f"{plural(summary.objects, 'object')}{seed}"
    )
    return 0
