"""annexa reindex: verify the store, then rebuild its SQLite index from the verified bundles."""

from __future__ import annotations

import argparse

from annexa.commands.common import add_store_options, workspace
from annexa.errors import VerifyError
from annexa.evidence_store.verify import StoreSource, verify_chain
from annexa.words import plural

NAME = "reindex"
HELP = "verify the store, then rebuild its SQLite index from the verified bundles"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_store_options(parser)


def run(args: argparse.Namespace) -> int:
    ws = workspace(args, config_required=False)
    store = ws.read_store()
    # An index built from tampered evidence would make every report lie: verify everything first.
    report = verify_chain(StoreSource(store.backend), trust=store.trust)
    if not report.ok:
        for problem in report.problems:
            print(f"problem: {problem}")
        raise VerifyError(
            f"{ws.store_url}: not reindexed: verification found {plural(len(report.problems), 'problem')} "
            "(listed above)"
        )
    count = store.reindex()
    where = " (in memory only: the store is read-only)" if store.index().in_memory else ""
    print(f"reindexed {plural(count, 'run')} in {ws.store_url}{where}")
    return 0
