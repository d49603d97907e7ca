"""annexa head: print the store's current head (`SEQ:SHA256`) to publish as an anchor."""

from __future__ import annotations

import argparse

from annexa.commands.common import add_store_options, store_access
from annexa.errors import StoreError

NAME = "head"
HELP = "print the head of the hash chain as SEQ:SHA256, to publish"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_store_options(parser)


def run(args: argparse.Namespace) -> int:
    ws = store_access(args, config_required=False)  # the store and trust settings only, no rules
    store = ws.read_store()
    head = store.head()  # the newest manifest, checked against the trust policy before it is published
    if head is None:
        raise StoreError(f"{store.url}: the store has no runs yet (run `annexa collect` first)")
    print(f"{head.seq}:{head.manifest_sha256}")
    return 0
