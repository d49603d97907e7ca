"""annexa reindex: rebuild the store's SQLite index from its bundles."""

from __future__ import annotations

import argparse

from annexa.commands.common import add_store_options, workspace

NAME = "reindex"
HELP = "rebuild the store's SQLite index from its bundles"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_store_options(parser)


def run(args: argparse.Namespace) -> int:
    ws = workspace(args, config_required=False)
    count = ws.open_store().reindex()
    print(f"reindexed {count} runs in {ws.store_url}")
    return 0
