"""annexa pack: one zip with everything an auditor needs for a period, verifiable offline."""

from __future__ import annotations

import argparse

from annexa.commands.common import add_store_options, check_output, workspace
from annexa.commands.nonconformities import add_period_options
from annexa.errors import UsageError
from annexa.reports.pack import PackOptions, build_pack
from annexa.words import plural

NAME = "pack"
_BY_FREQUENCY = -1  # `--sample` without N
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
    parser.add_argument(
        "--sample",
        type=int,
        nargs="?",
        const=_BY_FREQUENCY,
        metavar="N",
        help="draw N (resource, day) pairs per control across the period, each shown with its stored evidence; "
        "without N, the size for how often the controls operate (daily 25, weekly 5, monthly 2, quarterly 2; "
        "annexa.yaml `pack: {sample_sizes: ...}` overrides)",
    )
    parser.add_argument("--seed", type=int, help="seed for --sample (recorded in the pack); default: random")


def run(args: argparse.Namespace) -> int:
    if not args.output.lower().endswith(".zip"):  # `-o p.tar` must not quietly get a zip named .tar
        raise UsageError(f"--output {args.output}: an audit pack is a zip file; give a name ending in .zip")
    ws = workspace(args, config_required=False)
    output = check_output(args.output, ws.store_url)
    if args.sample is not None and args.sample < 1 and args.sample != _BY_FREQUENCY:
        raise UsageError(f"--sample {args.sample}: give a positive number of (resource, day) pairs per control")
    options = PackOptions(
        args.start,
        args.end,
        tuple(args.controls),
        0 if args.sample == _BY_FREQUENCY else args.sample,
        args.seed,
        ws.registry.max_age_by_kind(),
        ws.config.sample_sizes,
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
