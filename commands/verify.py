"""annexa verify: check hashes, the chain and signatures of a store or an audit pack."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from annexa.commands.common import add_store_options, workspace
from annexa.errors import UsageError
from annexa.evidence_store.packfile import verify_path
from annexa.evidence_store.signing import fingerprint, load_public_key
from annexa.evidence_store.verify import StoreSource, verify_chain
from annexa.inputfiles import KEY_LIMIT, read_input

NAME = "verify"
HELP = "check hashes, the hash chain and signatures; exit 4 on any problem"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "target", nargs="?", help="store folder, pack .zip or unzipped pack (default: the configured store)"
    )
    add_store_options(parser)
    parser.add_argument(
        "--public-key",
        action="append",
        default=[],
        metavar="PEM",
        help="trust only signatures by this public key (repeatable); default: one key across the whole chain",
    )
    parser.add_argument("--format", choices=("text", "json"), default="text")


def _trusted(paths: list[str]) -> list[str]:
    keys = []
    for path in paths:
        try:
            keys.append(fingerprint(load_public_key(read_input(Path(path), KEY_LIMIT, "--public-key", "a PEM key"))))
        except ValueError as err:
            raise UsageError(f"--public-key {path}: {err}") from None
    return keys


def run(args: argparse.Namespace) -> int:
    trusted = _trusted(args.public_key)
    if args.target:
        report = verify_path(Path(args.target), trusted)
    else:
        report = verify_chain(
            StoreSource(workspace(args, config_required=False).open_store().backend), trusted_keys=trusted
        )
    if args.format == "json":
        print(json.dumps(report.to_dict(), indent=2))
    else:
        for problem in report.problems:
            print(f"problem: {problem}")
        for note in report.notes:
            print(f"note: {note}")
        for key, (first, last) in report.keys.items():
            print(f"signed by {key}: runs {first} to {last}")
        print(report.summary())
    return 0 if report.ok else 4
