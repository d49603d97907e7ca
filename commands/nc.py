"""annexa nc: record corrective actions on the non-conformity register (clause 10.2)."""

from __future__ import annotations

import argparse
from datetime import datetime, timezone
from pathlib import Path

from annexa.commands.common import add_store_options, emit_chunks, timestamp_exit, workspace
from annexa.errors import UsageError
from annexa.pipeline.corrective import current_register, export_csv, import_csv, update_item
from annexa.reports.corrective import NC_STATES

NAME = "nc"
HELP = "corrective actions: update one non-conformity, or export/import the register as CSV for a ticket system"
DESCRIPTION = f"""\
{HELP}.

ISO/IEC 27001:2022 clause 10.2. List the register with `annexa nonconformities`. Every update is
stored as a signed, hash-chained run of its own; nothing is written when any part is wrong.

An item's id (NC- and 12 hex digits) comes from its rule and resource, so it never changes; a
rule that fails again on the same resource reopens the same id. States: open and in_progress
(set by people while the rule fails), risk_accepted (--accept-risk --risk RISK-ID: the owner of
that risk in the `risks:` register accepts the finding's residual risk until --expires),
exception (--exception: an approved, time-bounded deviation from the control, with
--compensating-control), fixed (computed: the rule passes again), verified (computed: the pass
held for `nonconformities: {{verify_after: N}}` collection runs in a row, 3 by default) and closed
(computed: a run that read the resource's whole scope no longer finds the resource). Both
decisions need --approver (one of `attesters:`), --expires and --note, and are flagged once
expired."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = DESCRIPTION
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    actions = parser.add_subparsers(dest="nc_action", metavar="ACTION", parser_class=type(parser))
    actions.required = True

    update = actions.add_parser(
        "update", help="record owner, root cause, actions, due date, state, a risk acceptance or an exception"
    )
    add_store_options(update)
    update.add_argument(
        "nc", metavar="NC-ID", help="the item's id, e.g. NC-3fa2c1d4e5b6 (see `annexa nonconformities`)"
    )
    update.add_argument("--owner", help="who owns the correction (empty text clears it)")
    update.add_argument("--root-cause", help="why it happened")
    update.add_argument("--correction", help="what was done to fix this occurrence")
    update.add_argument("--action", help="the corrective action: what stops it happening again")
    update.add_argument("--due", metavar="DATE", help="due date, e.g. 2027-01-31 (flagged overdue once it has passed)")
    update.add_argument(
        "--state",
        metavar="STATE",
        help=f"one of {', '.join(NC_STATES)}; people set open or in_progress while the rule fails, "
        "risk_accepted as --accept-risk, exception as --exception; fixed, verified and closed are computed",
    )
    decision = update.add_mutually_exclusive_group()
    decision.add_argument(
        "--accept-risk",
        action="store_true",
        help="the owner of risk --risk accepts the residual risk of this finding until --expires "
        "(--approver: that owner; --note: why)",
    )
    decision.add_argument(
        "--exception",
        action="store_true",
        help="an approved deviation from the control until --expires, with --compensating-control "
        "(--approver, --note: why)",
    )
    update.add_argument("--risk", metavar="RISK-ID", help="the risk accepted: an id of the `risks:` register")
    update.add_argument("--compensating-control", help="what reduces the risk while the exception lasts")
    update.add_argument("--approver", help="who accepts the risk or approves the exception: one of `attesters:`")
    update.add_argument(
        "--expires",
        metavar="DATE",
        help="when the acceptance or exception ends, e.g. 2027-01-31 (at most `attestations: max_validity`, 365 days)",
    )
    update.add_argument("--note", help="a note for the record (the reason, for a risk acceptance or an exception)")

    export = actions.add_parser(
        "export", help="the register as CSV: id, editable columns, then context (read only on import)"
    )
    add_store_options(export)
    export.add_argument("--format", choices=("csv",), default="csv", help="output format (default: csv)")
    export.add_argument("-o", "--output", help="write to this file instead of standard output")

    imported = actions.add_parser(
        "import",
        help="record the changed rows of an edited export; every row is checked first, nothing is written on error",
    )
    add_store_options(imported)
    imported.add_argument("file", type=Path, help="a CSV file in the form `annexa nc export` writes")


def run(args: argparse.Namespace) -> int:
    if args.nc_action == "export":
        ws = workspace(args, config_required=False)
        store = ws.read_store()
        emit_chunks(export_csv(current_register(store, datetime.now(timezone.utc))), args.output, store.url)
        return 0
    ws = workspace(args)
    if args.nc_action == "import":
        run_info, rows = import_csv(ws, args.file)
        if run_info is None:
            print(f"{args.file}: {rows} rows, nothing changed; nothing recorded")
        else:
            print(
                f"recorded {run_info.facts} changed items of {rows} rows from {args.file}: "
                f"run {run_info.run_id} (#{run_info.seq}) in {ws.store_url}"
            )
        return timestamp_exit(ws, 0)
    fields = {
        name: value
        for name, value in (
            ("owner", args.owner),
            ("root_cause", args.root_cause),
            ("correction", args.correction),
            ("corrective_action", args.action),
            ("due", args.due),
            ("state", "risk_accepted" if args.accept_risk else "exception" if args.exception else args.state),
            ("approver", args.approver),
            ("expires", args.expires),
            ("risk", args.risk),
            ("compensating_control", args.compensating_control),
            ("note", args.note),
        )
        if value is not None
    }
    if args.accept_risk and args.state not in (None, "risk_accepted"):
        raise UsageError(f"--state {args.state}: --accept-risk sets the state risk_accepted; give one of them")
    if args.exception and args.state not in (None, "exception"):
        raise UsageError(f"--state {args.state}: --exception sets the state exception; give one of them")
    run_info, plan = update_item(ws, args.nc, fields)
    changed = ", ".join(sorted(plan["set"])) or "note"
    print(f"recorded {plan['nc']} ({changed}): run {run_info.run_id} (#{run_info.seq}) in {ws.store_url}")
    return timestamp_exit(ws, 0)
