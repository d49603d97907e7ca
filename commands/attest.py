"""annexa attest: record a named attester's statement (and a file) as evidence for one control."""

from __future__ import annotations

import argparse
from pathlib import Path

from annexa.commands.common import add_store_options, timestamp_exit, workspace
from annexa.mappings.scope import ATTESTATION_RESULTS
from annexa.pipeline.attestations import record_attestation

NAME = "attest"
HELP = "record an attester's statement (outcome, file or note) about one control"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_store_options(parser)
    parser.add_argument("control", metavar="CONTROL", help="Annex A 2022 control id, e.g. A.7.4")
    parser.add_argument(
        "--by", required=True, help="who attests: one of the `attesters:` names in annexa.yaml (their role is recorded)"
    )
    parser.add_argument(
        "--result",
        required=True,
        choices=ATTESTATION_RESULTS,
        help="effective: the control works; not-effective: it does not (the control is not_implemented); "
        "exception: a documented exception until --expires (needs --note)",
    )
    parser.add_argument(
        "--file", type=Path, help="the evidence file (report, photo, certificate); stored with its sha256"
    )
    parser.add_argument("--note", default="", help="what is attested, in one or two sentences")
    parser.add_argument(
        "--expires",
        help="date the statement stops counting, e.g. 2027-05-01 "
        "(default and maximum: `attestations: max_validity`, 365 days unless set)",
    )
    parser.add_argument(
        "--sign-key", type=Path, help="the attester's Ed25519 private key, when annexa.yaml lists their public key"
    )


def run(args: argparse.Namespace) -> int:
    ws = workspace(args)
    run, data = record_attestation(
        ws, args.control, args.file, args.note, args.by, args.result, args.expires, args.sign_key
    )
    file = data["file"]
    what = f"{file['name']} (sha256 {file['sha256']})" if file else "statement"
    signed = ", signed" if "proof" in data else ""
    print(
        f"attested {data['control']} {data['result']}: {what} by {data['attested_by']} ({data['role']}){signed}, "
        f"valid until {data['expires_at']}; run {run.run_id} (#{run.seq}) in {ws.store_url}; "
        "it counts in the SoA of the next collection run"
    )
    return timestamp_exit(ws, 0)
