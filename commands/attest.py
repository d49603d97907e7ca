"""annexa attest: record an attestation (a file, a statement) as evidence for one control."""

from __future__ import annotations

import argparse
from pathlib import Path

from annexa.commands.common import add_store_options, workspace
from annexa.pipeline.attestations import record_attestation

NAME = "attest"
HELP = "record attested evidence for one control; a file or statement, valid until --expires"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_store_options(parser)
    parser.add_argument("control", metavar="CONTROL", help="Annex A 2022 control id, e.g. A.7.4")
    parser.add_argument("--file", type=Path, help="the evidence file (report, photo, contract); stored with its sha256")
    parser.add_argument("--note", default="", help="what is attested, in one or two sentences")
    parser.add_argument("--by", required=True, help="who attests (name and role)")
    parser.add_argument("--expires", required=True, help="date the attestation stops counting, e.g. 2027-05-01")


def run(args: argparse.Namespace) -> int:
    ws = workspace(args, config_required=False)
    run, data = record_attestation(ws, args.control, args.file, args.note, args.by, args.expires)
    file = data["file"]
    what = f"{file['name']} (sha256 {file['sha256']})" if file else "statement"
    print(
        f"attested {data['control']}: {what} by {data['attested_by']}, valid until {data['expires_at']}; "
        f"run {run.run_id} (#{run.seq}) in {ws.store_url}"
    )
    return 0
