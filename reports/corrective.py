"""The life of one non-conformity (ISO/IEC 27001:2022 clause 10.2), from its results and the
corrective-action records people stored about it. Pure: no store, no clock.

Identity: a non-conformity is one rule failing on one resource. Its id, `NC-` and the first
12 hex digits of sha256("rule\\nresource"), is computed from those two names only, so it is the
same in every run, after `annexa reindex`, in every period and in every copy of the store, and a
regression reopens the same id (the register counts reopenings). 48 bits keep a collision
between two items of one register below one in ten million up to 10,000 items.

States: `open` (failing), `in_progress` (failing; someone said the fix is under way),
`risk_accepted` (failing; the owner of a risk in the risk register accepted the residual risk of
this finding until a date, the acceptance naming that risk), `exception` (failing; an approved,
time-bounded deviation from the control: approver, expiry, the compensating control), `fixed` (results pass
again), `verified` (the pass held for `verify_after` collection runs in a row). `fixed` and
`verified` come from results only; nobody can set them. `closed` too: the resource no longer
exists, as of the first collection run that enumerated the resource's whole scope (its collector's
batch over the same provider/account/region, collected, not carried, without an error) and found
neither it nor a result for it. A run that did not enumerate that scope, or errored in it, proves
nothing, so the item stays open (no false pass); a resource that comes back failing reopens it.
Only collection runs count: an attestation or corrective-action run holds no results and
neither opens nor closes an item.
A run in which the result was not a fresh pass (an error, no result, or a result carried
forward from an earlier run because its collector did not run) restarts the count: a fix is
verified on evidence that it held, not on the absence of evidence. Results are replayed by
stretches of runs with the same result, so the cost grows with changes, not with nights.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple

from annexa.model import parse_timestamp

__all__ = [
    "ACCEPTED",
    "COMPUTED_STATES",
    "EXCEPTION",
    "GONE",
    "FAILING_STATES",
    "MANUAL_STATES",
    "NC_STATES",
    "TEXT_FIELDS",
    "Item",
    "RunRef",
    "Stretch",
    "follow",
    "nc_id",
]

NC_STATES = ("open", "in_progress", "fixed", "verified", "risk_accepted", "exception", "closed")
MANUAL_STATES = ("open", "in_progress")  # what a person may set while the rule fails
COMPUTED_STATES = ("fixed", "verified", "closed")  # from results (and the scope enumerated) only
GONE = "resource no longer exists"  # why an item is closed
ACCEPTED = "risk_accepted"
EXCEPTION = "exception"
FAILING_STATES = ("open", "in_progress", ACCEPTED, EXCEPTION)
TEXT_FIELDS = ("owner", "root_cause", "correction", "corrective_action")


def nc_id(rule: str, resource: str) -> str:
    return "NC-" + hashlib.sha256(f"{rule}\n{resource}".encode()).hexdigest()[:12]


class RunRef(NamedTuple):
    """A collection run as the lifecycle needs it."""

    seq: int
    run_id: str
    at: str  # the run's start


@dataclass(frozen=True)
class Stretch:
    """Consecutive collection runs in which one rule x resource had the same result.

    `status` is pass, fail, error, not_applicable or absent (no result in those runs); `fresh` is
    False for a result carried forward from an earlier run because its collector did not run.
    A stretch never spans the period's first run (the caller splits there)."""

    runs: Sequence[RunRef]
    status: str  # or `gone`: the resource's scope was enumerated in these runs without it
    fresh: bool = True


@dataclass
class Item:
    id: str
    rule: str
    resource: str
    phase: str = ""  # "", failing, fixed, verified
    manual: str = "open"
    last_result: str = ""
    first_seen: str | None = None
    last_seen: str | None = None
    opened_at: str | None = None
    fixed_at: str | None = None
    verified_at: str | None = None
    closed_at: str | None = None  # the resource was gone as of this run (see `closed` above)
    closed_run: str | None = None
    first_run: str | None = None
    last_run: str | None = None
    reopened: int = 0
    passing_runs: int = 0
    owner: str = ""
    root_cause: str = ""
    correction: str = ""
    corrective_action: str = ""
    due: str = ""
    acceptance: dict[str, Any] | None = None  # a risk acceptance: approver, role, expires_at, reason, risk
    exception: dict[str, Any] | None = None  # an exception: approver, role, expires_at, reason, compensating_control
    notes: list[str] = field(default_factory=list)
    updated_at: str | None = None
    in_period: bool = False  # failing or fixed-not-verified at the period's start, or failing in it

    def state(self, as_of: datetime) -> str:
        if self.phase == "failing":
            if self.acceptance_valid(as_of):
                return ACCEPTED
            return EXCEPTION if self.exception_valid(as_of) else self.manual
        return self.phase or "open"

    def acceptance_valid(self, as_of: datetime) -> bool:
        return self.acceptance is not None and parse_timestamp(self.acceptance["expires_at"]) > as_of

    def exception_valid(self, as_of: datetime) -> bool:
        return self.exception is not None and parse_timestamp(self.exception["expires_at"]) > as_of

    def flags(self, as_of: datetime) -> list[str]:
        """What needs someone's attention as of `as_of`: an overdue item, an expired acceptance."""
        flags = []
        if self.phase == "failing" and self.acceptance is not None and not self.acceptance_valid(as_of):
            flags.append(f"risk acceptance expired {self.acceptance['expires_at'][:10]}")
        if self.phase == "failing" and self.exception is not None and not self.exception_valid(as_of):
            flags.append(f"exception expired {self.exception['expires_at'][:10]}")
        if self.due and self.state(as_of) in MANUAL_STATES and self.due < as_of.strftime("%Y-%m-%d"):
            flags.append(f"overdue (due {self.due})")
        return flags


def follow(
    rule: str,
    resource: str,
    stretches: Iterable[Stretch],
    records: Sequence[dict[str, Any]],
    verify_after: int,
    period_first_seq: int,
) -> Item:
    """Replay one rule x resource's collection results and its records (each with `sequence`, the
    run that stored it) in chain order; `in_period` says whether the item concerns the period
    that starts at run `period_first_seq`.

    A record stored within a stretch is applied after it: records change only what people
    decide, which the runs of a stretch after its first never read."""
    item = Item(nc_id(rule, resource), rule, resource)
    pending = sorted(records, key=lambda r: r["sequence"])
    position = 0
    seen_period = False
    for stretch in stretches:
        first = stretch.runs[0]
        while position < len(pending) and pending[position]["sequence"] < first.seq:
            _apply(item, pending[position])
            position += 1
        if not seen_period and first.seq >= period_first_seq:
            seen_period = True
            item.in_period = item.phase in ("failing", "fixed")
        _observe(item, stretch, verify_after)
        if seen_period and stretch.status == "fail":
            item.in_period = True
    for record in pending[position:]:
        _apply(item, record)
    if not seen_period:
        item.in_period = item.phase in ("failing", "fixed")
    return item


def _observe(item: Item, stretch: Stretch, verify_after: int) -> None:
    runs = stretch.runs
    first, last = runs[0], runs[-1]
    item.last_result = stretch.status if stretch.fresh else f"{stretch.status} (carried)"
    if stretch.status == "fail":
        if item.phase != "failing":
            if item.phase:
                item.reopened += 1
            item.phase, item.manual, item.opened_at = "failing", "open", first.at
            item.fixed_at = item.verified_at = item.closed_at = item.closed_run = None
            item.passing_runs = 0
        if item.first_seen is None:
            item.first_seen, item.first_run = first.at, first.run_id
        item.last_seen, item.last_run = last.at, last.run_id
        return
    if stretch.status == "gone":
        if item.phase == "failing":
            item.phase, item.closed_at, item.closed_run = "closed", first.at, first.run_id
            item.acceptance = item.exception = None
        return
    if stretch.status == "pass" and stretch.fresh:
        if item.phase == "failing":
            # A risk acceptance or exception covers the failure it was recorded for; a regression needs a new one.
            item.phase, item.fixed_at, item.passing_runs = "fixed", first.at, 0
            item.acceptance = item.exception = None
        if item.phase == "fixed":
            needed = verify_after - item.passing_runs  # runs of this stretch until the fix held long enough
            if needed <= len(runs):
                item.phase, item.verified_at = "verified", runs[needed - 1].at
        if item.phase in ("fixed", "verified"):
            item.passing_runs += len(runs)
        return
    if item.phase == "fixed":
        item.passing_runs = 0  # no fresh pass in these runs: the fix has to hold again from the next one


def _apply(item: Item, record: dict[str, Any]) -> None:
    """One stored corrective-action record; checked when it was written, so only applied here."""
    changes = record.get("set") or {}
    for name in (*TEXT_FIELDS, "due"):
        if name in changes:
            setattr(item, name, changes[name])
    if "state" in changes and item.phase == "failing":
        item.manual = changes["state"]
        item.acceptance = item.exception = None  # setting open or in_progress ends either
    if "risk_acceptance" in changes and item.phase == "failing":
        item.acceptance, item.exception = dict(changes["risk_acceptance"]), None  # one decision at a time
    if "exception" in changes and item.phase == "failing":
        item.exception, item.acceptance = dict(changes["exception"]), None
    if record.get("note"):
        item.notes.append(f"{record['recorded_at']} {record['recorded_by']}: {record['note']}")
    item.updated_at = record["recorded_at"]
