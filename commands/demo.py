"""annexa demo: the whole flow on an embedded fake AWS account and this host."""

from __future__ import annotations

import argparse
from pathlib import Path

NAME = "demo"
HELP = "the whole flow on an embedded fake AWS account and this host; no credentials needed"
DEFAULT_LOG_LEVEL = "warning"  # the summary and the progress display tell the story; --log-level info for more


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--store", default="./annexa-demo", help="where to write the demo store (default: ./annexa-demo)"
    )


def run(args: argparse.Namespace) -> int:
    from annexa.demo.run import run_demo  # imports moto, which only the demo needs

    return run_demo(Path(args.store))
