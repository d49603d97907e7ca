"""Corrective actions (clause 10.2): what people record about a non-conformity, checked, then
stored as a signed, hash-chained run of type `corrective_action` (pipeline/statements.py).

`annexa nc update NC-ID ...` records one item; `annexa nc import FILE.csv` records every changed
row of a register exported with `annexa nc export` and edited in a ticket system. Both check
everything before writing anything: the id exists in the register; dates are dates; the state is
one a person may set (`open`, `in_progress` while the rule fails; `risk_accepted`: the residual
risk of the finding accepted by the owner of a risk in the risk register (`risks:`), naming that
risk; `exception`: an approved, time-bounded deviation from the control with its compensating
control; both with an approver from `attesters:` and an expiry within `attestations:
max_validity`; never `fixed`, `verified` or `closed`, which come from results); an import names
`file:line` of the first bad row and writes nothing when any row is bad.
"""

from __future__ import annotations

import csv
import functools
import io
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

from annexa.collectors.userfiles import reader
from annexa.errors import UsageError
from annexa.evidence_store.store import RunInfo, Store
from annexa.inputfiles import MiB, read_input_text
from annexa.mappings.scope import Attester
from annexa.model import Fact, Source, parse_timestamp
from annexa.pipeline.attestations import find_attester, statement_expiry
from annexa.pipeline.runner import new_run_id
from annexa.pipeline.statements import record_statements
from annexa.pipeline.workspace import Workspace
from annexa.reports.corrective import ACCEPTED, COMPUTED_STATES, EXCEPTION, FAILING_STATES, NC_STATES, TEXT_FIELDS
from annexa.reports.nonconformities import NC_KIND, NC_RUN_TYPE, Register, build_register
from annexa.reports.period import resolve_period
from annexa.reports.render import FORMULA_PREFIXES, iter_csv

__all__ = [
    "EDITABLE_COLUMNS",
    "EXPORT_COLUMNS",
    "FIELDS",
    "export_csv",
    "import_csv",
    "plan_update",
    "record_updates",
    "update_item",
]

# What a person may record about an item: (field, CLI option, CSV column).
FIELDS = (
    ("owner", "--owner", "owner"),
    ("root_cause", "--root-cause", "root_cause"),
    ("correction", "--correction", "correction"),
    ("corrective_action", "--action", "corrective_action"),
    ("due", "--due", "due"),
    ("state", "--state", "state"),
    ("approver", "--approver", "accepted_by"),
    ("expires", "--expires", "acceptance_expires"),
    ("risk", "--risk", "risk_id"),
    ("compensating_control", "--compensating-control", "compensating_control"),
    ("note", "--note", "note"),
)
# An exception's approver and expiry have columns of their own in a CSV (the FIELDS are the acceptance's).
EXCEPTION_COLUMNS = {"approver": "exception_approved_by", "expires": "exception_expires"}
DECISION_FIELDS = ("approver", "expires", "risk", "compensating_control")  # only with one of the two decisions
EDITABLE_COLUMNS = (
    *(column for _field, _option, column in FIELDS),
    *EXCEPTION_COLUMNS.values(),
)
# `nc export`: the id, the editable columns, then context an editor needs (ignored on import).
EXPORT_COLUMNS = (
    "id",
    "state",
    "owner",
    "due",
    "root_cause",
    "correction",
    "corrective_action",
    "accepted_by",
    "acceptance_expires",
    "risk_id",
    "exception_approved_by",
    "exception_expires",
    "compensating_control",
    "note",
    "flags",
    "severity",
    "controls",
    "rule",
    "resource",
    "first_seen",
    "last_seen",
    "fixed_at",
    "verified_at",
    "notes",
)
MAX_TEXT = 4000  # characters per field: a paragraph, not a document (attach documents as attestations)
MAX_CSV_BYTES = 32 * MiB

Where = Callable[[str], str]  # field -> how an error names it (`--due`, `file.csv:7: due`)


def current_register(store: Store, now: datetime) -> Register:
    return build_register(store, resolve_period(store, None, None), now)


def plan_update(
    row: Mapping[str, Any], fields: Mapping[str, str], ws: Workspace, now: datetime, verify_after: int, where: Where
) -> dict[str, Any]:
    """The record for item `row` from what a person asked (`fields`, by FIELDS name); UsageError
    naming the field (through `where`) when anything is wrong."""
    changes: dict[str, Any] = {}
    for name in TEXT_FIELDS:
        if name in fields:
            changes[name] = _text(fields[name], where(name))
    if "due" in fields:
        changes["due"] = _due(fields["due"], where("due"))
    note = _text(fields.get("note", ""), where("note"))
    state = fields.get("state")
    state = state.strip() if state is not None else None
    for name, only in (("risk", ACCEPTED), ("compensating_control", EXCEPTION)):
        if fields.get(name) and state != only:
            raise UsageError(
                f"{where(name)}: only with {'a risk acceptance' if only == ACCEPTED else 'an exception'} (state {only})"
            )
    if state not in (ACCEPTED, EXCEPTION):
        for name in DECISION_FIELDS:
            if fields.get(name):
                raise UsageError(
                    f"{where(name)}: only with a risk acceptance (--accept-risk; in a CSV, state risk_accepted) "
                    "or an exception (--exception; in a CSV, state exception)"
                )
    if state is not None:
        if state not in NC_STATES:
            raise UsageError(f"{where('state')}: {state!r} is not one of {', '.join(NC_STATES)}")
        if state in COMPUTED_STATES:
            raise UsageError(
                f"{where('state')}: `{state}` is computed, never set: an item is fixed when its rule passes again, "
                f"verified once the pass held for {verify_after} collection runs, and closed when a run that read "
                "its resource's whole scope no longer finds the resource"
            )
        if row["state"] not in FAILING_STATES:
            since = (
                f"its resource no longer exists since {row['closed_at']}"
                if row["state"] == "closed"
                else f"its rule passes since {row['fixed_at']}"
            )
            raise UsageError(
                f"{where('state')}: {row['id']} is {row['state']} ({since}): only a "
                f"failing item can be set {state}; it reopens by itself if the rule fails again"
            )
        if state == ACCEPTED:
            changes["risk_acceptance"] = _acceptance(fields, note, ws, now, where)
        elif state == EXCEPTION:
            changes["exception"] = _exception(fields, note, ws, now, where)
        else:
            changes["state"] = state
    if not changes and not note:
        raise UsageError(f"{row['id']}: nothing to record (give at least one of the fields to change, or a note)")
    return {"nc": row["id"], "rule": row["rule"], "resource": row["resource"], "set": changes, "note": note}


def _decision(
    what: str, fields: Mapping[str, str], note: str, ws: Workspace, now: datetime, where: Where
) -> tuple[Attester, str]:
    """The approver and expiry every decision needs (a risk acceptance, an exception)."""
    approver_name = (fields.get("approver") or "").strip()
    if not approver_name:
        raise UsageError(f"{where('approver')}: {what} needs its approver (one of the `attesters:`)")
    expires = (fields.get("expires") or "").strip()
    if not expires:
        raise UsageError(f"{where('expires')}: {what} needs an expiry date, e.g. 2027-01-31")
    if not note:
        raise UsageError(f"{where('note')}: {what} must say why (--note)")
    approver = find_attester(ws, approver_name, where("approver"))
    return approver, statement_expiry(expires, now, ws, where("expires"))


def _acceptance(fields: Mapping[str, str], note: str, ws: Workspace, now: datetime, where: Where) -> dict[str, Any]:
    """A risk owner accepting the residual risk of this finding: the risk is one of the risk register's
    (`risks:`), and the approver is its owner (the attester's name or role is the register's owner)."""
    risk_id = (fields.get("risk") or "").strip()
    if not risk_id:
        raise UsageError(f"{where('risk')}: a risk acceptance names the risk it accepts (an id of the `risks:` file)")
    risk = ws.config.risks.get(risk_id)
    if risk is None:
        known = ", ".join(sorted(ws.config.risks)[:10]) or "the configuration has no `risks:` file"
        raise UsageError(f"{where('risk')}: {risk_id[:40]!r} is not in the risk register ({known})")
    approver, expires_at = _decision("a risk acceptance", fields, note, ws, now, where)
    owner = " ".join(risk.owner.split()).casefold()
    if owner not in (approver.name.casefold(), " ".join(approver.role.split()).casefold()):
        raise UsageError(
            f"{where('approver')}: {approver.name} ({approver.role}) does not own risk {risk.id}; its owner "
            f"{risk.owner!r} accepts it"
        )
    return {
        "approver": approver.name,
        "role": approver.role,
        "expires_at": expires_at,
        "reason": note,
        "risk": {"id": risk.id, "title": risk.title, "owner": risk.owner},
    }


def _exception(fields: Mapping[str, str], note: str, ws: Workspace, now: datetime, where: Where) -> dict[str, Any]:
    """An approved, time-bounded deviation from the control, with the control that compensates."""
    compensating = _text(fields.get("compensating_control") or "", where("compensating_control"))
    if not compensating:
        raise UsageError(
            f"{where('compensating_control')}: an exception names its compensating control (what reduces the risk "
            "while the control is not met)"
        )
    approver, expires_at = _decision("an exception", fields, note, ws, now, where)
    return {
        "approver": approver.name,
        "role": approver.role,
        "expires_at": expires_at,
        "reason": note,
        "compensating_control": compensating,
    }


def _text(value: str, where: str) -> str:
    text = value.strip()
    if len(text) > MAX_TEXT:
        raise UsageError(f"{where}: {len(text)} characters; at most {MAX_TEXT} (link to a longer document instead)")
    return text


def _due(value: str, where: str) -> str:
    text = value.strip()
    if not text:
        return ""  # clears the due date
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise UsageError(f"{where}: {text[:40]!r} is not a date such as 2027-01-31") from None
    if len(text) != 10 or not date(1970, 1, 1) <= day <= date(9998, 12, 31):
        raise UsageError(f"{where}: {text[:40]!r} is not a date such as 2027-01-31")
    return day.isoformat()


def record_updates(ws: Workspace, plans: Sequence[dict[str, Any]], via: str, now: datetime) -> RunInfo:
    """Write the checked records as one signed `corrective_action` run (one fact per item)."""
    recorded_at = now.strftime("%Y-%m-%dT%H:%M:%SZ")
    run_id = new_run_id(now)
    by = reader()
    facts = [
        Fact(
            kind=NC_KIND,
            resource=f"{plan['nc']}@{run_id}",
            scope={"provider": NC_RUN_TYPE},
            data={**plan, "recorded_by": by, "recorded_at": recorded_at, "via": via},
            source=Source(operations=(via,), principal=by),
            collected_at=recorded_at,
        )
        for plan in plans
    ]
    return record_statements(ws, NC_RUN_TYPE, "nc", facts, run_id, recorded_at)


def _now(now: datetime | None) -> datetime:
    return (now or datetime.now(timezone.utc)).replace(microsecond=0)


def update_item(
    ws: Workspace, nc: str, fields: Mapping[str, str], now: datetime | None = None
) -> tuple[RunInfo, dict[str, Any]]:
    """`annexa nc update`: check `fields` against item `nc` as the register has it now, then record."""
    now = _now(now)
    store = ws.open_store()
    register = current_register(store, now)
    row = next((r for r in register.items if r["id"].upper() == nc.strip().upper()), None)
    if row is None:
        raise UsageError(f"NC-ID: no non-conformity {nc!r} in {ws.store_url} (see `annexa nonconformities`)")
    options = {name: option for name, option, _column in FIELDS}
    plan = plan_update(row, fields, ws, now, register.verify_after, lambda name: options[name])
    return record_updates(ws, [plan], "annexa nc update", now), plan


def export_csv(register: Register) -> Iterator[str]:
    """The register for a ticket system: the id, the editable columns (note empty), then context;
    a row at a time."""
    return iter_csv(({**row, "note": ""} for row in register.items), EXPORT_COLUMNS)


def import_csv(ws: Workspace, file: Path, now: datetime | None = None) -> tuple[RunInfo | None, int]:
    """`annexa nc import`: every row checked first; writes one run with the changed rows, or
    nothing (UsageError naming file:line) when any row is wrong. Returns (run or None, rows read)."""
    now = _now(now)
    text = read_input_text(file, MAX_CSV_BYTES, None, "a CSV file")
    store = ws.open_store()
    register = current_register(store, now)
    rows = _csv_rows(text, file)
    named = {cells.get("id", "").strip().upper() for _line, cells in rows}
    by_id = {row["id"].upper(): row for row in register.items if row["id"].upper() in named}  # not the whole register
    plans, errors, seen = [], [], {}
    for line, cells in rows:
        where = functools.partial(_cell_location, f"{file}:{line}")
        given = cells.get("id", "").strip()
        nc = given.upper()
        try:
            if nc in seen:
                raise UsageError(f"{file}:{line}: id {given} is also on line {seen[nc]}; one row per item")
            seen[nc] = line
            row = by_id.get(nc)
            if row is None:
                raise UsageError(f"{file}:{line}: id: no non-conformity {given[:40]!r} in {ws.store_url}")
            fields = _changed(row, cells)
            if fields.get("state") == EXCEPTION:  # an exception's approver and expiry have their own columns
                where = functools.partial(_cell_location, f"{file}:{line}", columns=EXCEPTION_COLUMNS)
            if fields:
                plans.append(plan_update(row, fields, ws, now, register.verify_after, where))
        except UsageError as err:
            errors.append(str(err))
    if errors:
        more = f" (and {len(errors) - 1} more rows with errors)" if len(errors) > 1 else ""
        raise UsageError(errors[0] + more + "; nothing was recorded")
    if not plans:
        return None, len(rows)
    return record_updates(ws, plans, f"annexa nc import {file.name}", now), len(rows)


_COLUMN_OF = {name: column for name, _option, column in FIELDS}


def _cell_location(line: str, name: str, columns: Mapping[str, str] | None = None) -> str:
    return f"{line}: {(columns or {}).get(name) or _COLUMN_OF[name]}"


def _csv_rows(text: str, file: Path) -> list[tuple[int, dict[str, str]]]:
    """(line of the record's first line, editable cells) per data row; UsageError for a bad header."""
    reader_ = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader_)
    except StopIteration:
        raise UsageError(f"{file}:1: empty file; expected a header (export one with `annexa nc export`)") from None
    except csv.Error as err:
        raise UsageError(f"{file}:1: {err}") from None
    names = [h.strip() for h in header]
    if "id" not in names:
        raise UsageError(f"{file}:1: no `id` column (export the register with `annexa nc export`)")
    known = set(EXPORT_COLUMNS)
    for name in names:
        if name not in known:
            raise UsageError(
                f"{file}:1: unknown column {name[:40]!r} (editable: {', '.join(EDITABLE_COLUMNS)}; "
                "the other columns of `annexa nc export` are read only)"
            )
    if len(set(names)) != len(names):
        raise UsageError(f"{file}:1: a column is named twice")
    out = []
    line = reader_.line_num + 1
    try:
        for record in reader_:
            if any(cell.strip() for cell in record):
                if len(record) != len(names):
                    raise UsageError(f"{file}:{line}: {len(record)} cells, the header has {len(names)}")
                cells = {name: _unneutralise(value) for name, value in zip(names, record, strict=True)}
                out.append((line, {n: v for n, v in cells.items() if n == "id" or n in EDITABLE_COLUMNS}))
            line = reader_.line_num + 1
    except csv.Error as err:
        raise UsageError(f"{file}:{line}: {err}") from None
    return out


def _unneutralise(cell: str) -> str:
    """Undo the quote `annexa nc export` puts before a cell a spreadsheet would run as a formula."""
    return cell[1:] if cell.startswith("'") and cell[1:].startswith(FORMULA_PREFIXES) else cell


# A decision's fields and their CSV columns, by the state that records it.
_DECISION_COLUMNS = {
    ACCEPTED: {"approver": "accepted_by", "expires": "acceptance_expires", "risk": "risk_id"},
    EXCEPTION: {**EXCEPTION_COLUMNS, "compensating_control": "compensating_control"},
}


def _changed(row: Mapping[str, Any], cells: Mapping[str, str]) -> dict[str, str]:
    """The FIELDS a row changes against the register (an absent column changes nothing)."""
    fields: dict[str, str] = {}
    for name, _option, column in FIELDS:
        if column not in cells or name in ("state", "note", *DECISION_FIELDS):
            continue
        if not _same(cells[column], row.get(column)):
            fields[name] = cells[column]
    note = cells.get("note", "").strip()
    if note:
        fields["note"] = note
    state = cells.get("state", "").strip()
    edited = {
        decision: {
            name: cells[column].strip()
            for name, column in columns.items()
            if column in cells and not _same(cells[column], row.get(column))
        }
        for decision, columns in _DECISION_COLUMNS.items()
    }
    if "state" in cells and state != row["state"]:
        fields["state"] = state
    elif state in edited and row["state"] == state and edited[state]:
        fields["state"] = state  # a new approver, expiry, risk or compensating control: a new decision
    if fields.get("state") in _DECISION_COLUMNS:
        fields.update({name: cells.get(column, "") for name, column in _DECISION_COLUMNS[state].items()})
    else:
        for changes in edited.values():
            fields.update({name: value for name, value in changes.items() if value})
    return fields


def _same(cell: str, value: Any) -> bool:
    """Whether a cell says what the register holds (a date or instant however it is written)."""
    text, held = cell.strip(), str(value or "").strip()
    if text == held:
        return True
    try:
        return bool(text and held) and parse_timestamp(text) == parse_timestamp(held)
    except ValueError:
        return False
