"""annexa keygen: create the Ed25519 key pair that signs manifests."""

from __future__ import annotations

import argparse
from pathlib import Path

from annexa.evidence_store.signing import generate_keypair

NAME = "keygen"
HELP = "create an Ed25519 key pair for signing manifests"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "-o",
        "--output",
        default="annexa-signing.key",
        help="private key file (mode 0600; the public key is written beside it as FILE.pub)",
    )


def run(args: argparse.Namespace) -> int:
    pair = generate_keypair(Path(args.output))
    print(f"private key: {pair.private_path} (keep it secret; mode 0600)")
    print(f"public key:  {pair.public_path} (give it to your auditor)")
    print(f"fingerprint: {pair.fingerprint}")
    print(f"sign every run: add to annexa.yaml\n  signing: {{private_key: {pair.private_path}}}")
    return 0
