"""annexa demo: the full picture on embedded fakes with ninety nights of history; `--quick`: one run
on a fake AWS account and this host."""

from __future__ import annotations

import argparse
from pathlib import Path

NAME = "demo"
HELP = "the full picture on embedded fakes with 90 nights of history; --quick: one run on fake AWS and this host"
DEFAULT_LOG_LEVEL = "warning"  # the summary and the progress display tell the story; --log-level info for more


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--dir",
        default="./annexa-demo",
        help="the folder the full demo writes (default: ./annexa-demo; a folder an earlier demo wrote is replaced)",
    )
    parser.add_argument("--quick", action="store_true", help="one run on a fake AWS account and this host")
    parser.add_argument("--store", help="with --quick: the store to add the run to (default: ./annexa-demo-quick)")


def run(args: argparse.Namespace) -> int:
    from annexa.commands.progress import progress_display
    from annexa.errors import UsageError

    if args.store is not None and not args.quick:
        raise UsageError("--store: only with --quick; the full demo writes its store inside --dir (DIR/evidence)")

    with progress_display() as progress:
        progress.phase("starting the demo")  # on screen at once: moto and the fakes take a few seconds to load
        if args.quick:
            from annexa.demo.run import run_demo  # imports moto, which only the demo needs

            progress.phase("building the fake AWS account (moto)")
            text = run_demo(Path(args.store or "./annexa-demo-quick"), progress)
        else:
            from annexa.demo.full import run_full_demo, summary

            text = summary(run_full_demo(Path(args.dir), say=progress.phase))
    print(text, end="")
    return 0
