"""The non-conformity register over a realistic history: 100 nights with missed nights, a night
whose evidence was carried forward, an evidence gap, corrective actions recorded between
collections, risk acceptances (one expired), an overdue item, a reopened item, verified fixes,
and an attestation recorded after the last collection run."""

from __future__ import annotations

import hashlib
import json
import zipfile
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from fakes import FAKE_RULES
from history import START, stamp, write_night

from annexa.evidence_store.store import Store, open_store
from annexa.mappings.catalog import load_catalog
from annexa.mappings.rules import load_rules
from annexa.pipeline.attestations import record_attestation
from annexa.pipeline.corrective import update_item
from annexa.pipeline.workspace import Workspace, load_workspace
from annexa.reports.corrective import RunRef, Stretch, follow, nc_id
from annexa.reports.nonconformities import Register, alert_lines, build_register
from annexa.reports.pack import PackOptions, build_pack
from annexa.reports.period import resolve_period

NIGHTS = 100
MISSED = {40, 41, 70}
CARRIED = 51  # a night whose collector did not run: its evidence is carried from night 50
RUN_CONFIG = {"targets": [{"fake": {}}], "nonconformities": {"verify_after": 3}}
CONFIG = """\
store: ./evidence
targets:
  - host: {}
attesters:
  - {name: Dana Chief, role: CISO}
  - {name: Jo Park, role: Office Manager}
risks: risks.csv
"""
RISKS = "id,title,owner,treatment\nR-7,Unencrypted legacy and public data,CISO,accept\n"
LATER = datetime(2026, 12, 1, tzinfo=timezone.utc)  # "now" for reading: after the history


def night_at(night: int, hour: int = 3) -> datetime:
    return START + timedelta(days=night, hours=hour - 2)


def buckets(night: int) -> dict[str, Any]:
    def enc(ok: bool) -> dict[str, Any]:
        return {"encrypted": ok, "versioning": "Enabled"}

    return {
        "fixed-verified": enc(night >= 10),
        "in-progress-overdue": enc(False),
        "accepted-expired": enc(False),
        "accepted-valid": enc(False),
        "reopened": enc(night >= 30 or 20 <= night <= 21),
        "carried": enc(night >= 50),
        # no `encrypted` on nights 60-64: the rule cannot tell (error), an evidence gap
        "gap": {"versioning": "Enabled"} if 60 <= night <= 64 else enc(True),
        "never-failed": enc(True),
        # cannot be evaluated on nights 75-76, missing from the listing on night 77, again not on 78
        **({} if night == 77 else {"flaky": {"versioning": "Enabled"} if night in (75, 76, 78) else enc(True)}),
    }


def _carried_run(store: Store, rules_file: Path, night: int) -> None:
    """A run in which no collector ran: every batch of the previous run is carried forward."""

    rules = load_rules([rules_file], {"fake.bucket"}, set(load_catalog().ids()))
    when = START + timedelta(days=night)
    meta = {
        "mappings": {"object": store.put_json({"rules": [r.to_dict() for r in rules]}), "sha256": "x"},
        "config": {"object": store.put_json(RUN_CONFIG), "sha256": "y"},
    }
    writer = store.begin_run(f"night-{night:03d}", stamp(when), meta)
    writer.commit([], stamp(when + timedelta(minutes=5)), {}, carry=lambda _collector, _scope: True)


def _update(ws: Workspace, resource: str, night: int, **fields: str) -> None:
    update_item(ws, nc_id("fake.bucket-encrypted", resource), fields, now=night_at(night))


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    root = tmp_path_factory.mktemp("ncworld")
    (root / "annexa.yaml").write_text(CONFIG)
    (root / "risks.csv").write_text(RISKS)
    rules_file = root / "rules.yaml"
    rules_file.write_text(FAKE_RULES)
    ws = load_workspace(root / "annexa.yaml")
    store = ws.open_store()
    for night in range(NIGHTS):
        if night in MISSED:
            continue
        if night == CARRIED:
            _carried_run(store, rules_file, night)
        else:
            write_night(store, rules_file, buckets(night), night, RUN_CONFIG)
        if night == 5:
            _update(ws, "in-progress-overdue", 5, owner="Ops team", state="in_progress", due="2026-09-01")
            _update(
                ws, "accepted-expired", 5, state="risk_accepted", risk="R-7", approver="dana chief", expires="2026-10-01",
                note="Legacy archive bucket; encryption breaks the vendor's reader until it is replaced",
            )  # fmt: skip
        if night == 25:
            _update(
                ws, "reopened", 25, root_cause="Terraform module default", correction="Bucket re-encrypted",
                corrective_action="Module default changed; CI policy check added", note="see TICKET-42",
            )  # fmt: skip
        if night == 95:
            _update(
                ws, "accepted-valid", 95, state="risk_accepted", risk="R-7", approver="Dana Chief", expires="2027-03-01",
                note="Public dataset, no confidentiality requirement",
            )  # fmt: skip
    # An attestation after the last collection run.
    record_attestation(
        ws, "A.6.3", None, "Awareness training held", "Jo Park", "effective", now=night_at(NIGHTS - 1, hour=4)
    )
    return ws


def _register(ws: Workspace, start: date | None = None, end: date | None = None) -> Register:
    store = ws.open_store()
    return build_register(store, resolve_period(store, start, end), LATER)


def _items(register: Register) -> dict[str, dict[str, Any]]:
    return {row["resource"]: row for row in register.items if row["rule"] == "fake.bucket-encrypted"}


def test_the_register_after_a_trailing_attestation_still_sees_the_last_collection(world: Workspace) -> None:
    store = world.open_store()
    assert store.runs()[-1].type == "attestation"
    items = _items(_register(world))
    assert {name: row["state"] for name, row in items.items()} == {
        "fixed-verified": "verified",
        "in-progress-overdue": "in_progress",
        "accepted-expired": "open",
        "accepted-valid": "risk_accepted",
        "reopened": "verified",
        "carried": "verified",
    }
    assert items["accepted-valid"]["last_result"] == "fail"


def test_ids_are_stable_hashes_of_rule_and_resource(world: Workspace) -> None:
    items = _items(_register(world))
    assert items["reopened"]["id"] == nc_id("fake.bucket-encrypted", "reopened")
    assert items["reopened"]["id"] == "NC-" + hashlib.sha256(b"fake.bucket-encrypted\nreopened").hexdigest()[:12]
    # the same ids in any period and after a rebuild of the index
    store = world.open_store()
    store.reindex()
    again = _items(_register(world, date(2026, 9, 1), date(2026, 9, 30)))
    assert {row["id"] for row in again.values()} <= {row["id"] for row in items.values()}
    assert again["in-progress-overdue"]["id"] == items["in-progress-overdue"]["id"]


def test_a_fix_is_fixed_when_it_passes_and_verified_after_three_collection_runs(world: Workspace) -> None:
    row = _items(_register(world))["fixed-verified"]
    assert (row["first_seen"], row["last_seen"], row["fixed_at"], row["verified_at"]) == (
        "2026-08-01T02:00:00Z",
        "2026-08-10T02:00:00Z",
        "2026-08-11T02:00:00Z",
        "2026-08-13T02:00:00Z",
    )
    assert (row["days_open"], row["reopened"], row["flags"]) == (10.0, 0, [])
    # As of 2026-08-12 the fix had held for two runs only: fixed, not verified.
    early = _items(_register(world, date(2026, 8, 1), date(2026, 8, 12)))["fixed-verified"]
    assert (early["state"], early["passing_runs"], early["verified_at"]) == ("fixed", 2, None)


def test_a_regression_after_fixed_reopens_the_same_id_and_keeps_its_corrective_action(world: Workspace) -> None:
    row = _items(_register(world))["reopened"]
    assert row["reopened"] == 1
    assert (row["first_seen"], row["last_seen"], row["fixed_at"], row["verified_at"]) == (
        "2026-08-01T02:00:00Z",
        "2026-08-30T02:00:00Z",
        "2026-08-31T02:00:00Z",
        "2026-09-02T02:00:00Z",
    )
    assert (row["root_cause"], row["correction"], row["corrective_action"]) == (
        "Terraform module default",
        "Bucket re-encrypted",
        "Module default changed; CI policy check added",
    )
    assert len(row["notes"]) == 1 and row["notes"][0].endswith(": see TICKET-42")
    assert row["notes"][0].startswith("2026-08-26T03:00:00Z ")
    # Up to 2026-08-30: fixed on the 21st, reopened on the 23rd, still open at the period's end.
    august = _items(_register(world, date(2026, 8, 1), date(2026, 8, 30)))["reopened"]
    assert (august["state"], august["reopened"], august["fixed_at"]) == ("open", 1, None)
    assert august["days_open"] == 7.9  # from the reopening (2026-08-23T02:00) to the period's end


def test_a_carried_night_does_not_count_towards_verification(world: Workspace) -> None:
    row = _items(_register(world))["carried"]
    # passes on nights 50, (51 carried), 52, 53, 54: three fresh passes in a row end on night 54
    assert (row["fixed_at"], row["verified_at"]) == ("2026-09-20T02:00:00Z", "2026-09-24T02:00:00Z")


def test_overdue_and_expired_items_are_flagged_and_alerted(world: Workspace) -> None:
    register = _register(world)
    items = _items(register)
    assert items["in-progress-overdue"]["flags"] == ["overdue (due 2026-09-01)"]
    assert items["in-progress-overdue"]["owner"] == "Ops team"
    expired = items["accepted-expired"]
    assert expired["flags"] == ["risk acceptance expired 2026-10-01"]
    assert (expired["accepted_by"], expired["acceptance_expires"]) == ("Dana Chief", "2026-10-01T00:00:00Z")
    valid = items["accepted-valid"]
    assert (valid["state"], valid["flags"], valid["accepted_by"]) == ("risk_accepted", [], "Dana Chief")
    assert valid["acceptance_reason"] == "Public dataset, no confidentiality requirement"
    # At the end of August the acceptance was still valid and the due date (1 September) not passed.
    sept = _items(_register(world, date(2026, 8, 1), date(2026, 8, 31)))
    assert (sept["accepted-expired"]["state"], sept["accepted-expired"]["flags"]) == ("risk_accepted", [])
    assert sept["in-progress-overdue"]["flags"] == []
    lines = alert_lines(register)
    overdue_id = nc_id("fake.bucket-encrypted", "in-progress-overdue")
    assert (
        f"{overdue_id} fake.bucket-encrypted on in-progress-overdue (in_progress, owner Ops team): overdue (due 2026-09-01)"
        in lines
    )
    assert len(lines) == 2


def test_evidence_gaps_are_listed_apart_with_their_runs(world: Workspace) -> None:
    register = _register(world)
    assert "gap" not in _items(register)
    (gap,) = [g for g in register.gaps if g["resource"] == "gap"]
    assert (gap["rule"], gap["from"], gap["to"], gap["runs"], gap["evaluated_again"]) == (
        "fake.bucket-encrypted",
        "2026-09-30T02:00:00Z",
        "2026-10-04T02:00:00Z",
        5,
        "2026-10-05T02:00:00Z",
    )
    assert (gap["first_run"], gap["last_run"]) == ("night-060", "night-064")
    assert gap["controls"] == ["A.8.24"]
    # a night without a result ends a stretch; both stretches were evaluated again on night 79
    flaky = [
        (g["from"][:10], g["to"][:10], g["runs"], g["evaluated_again"])
        for g in register.gaps
        if g["resource"] == "flaky"
    ]
    assert flaky == [
        ("2026-10-15", "2026-10-16", 2, "2026-10-19T02:00:00Z"),
        ("2026-10-18", "2026-10-18", 1, "2026-10-19T02:00:00Z"),
    ]
    assert len(register.gaps) == 3
    # a period that ends before the gap does not list it
    assert list(_register(world, date(2026, 8, 1), date(2026, 9, 29)).gaps) == []


def test_an_item_verified_before_the_period_is_not_in_it(world: Workspace) -> None:
    october = _items(_register(world, date(2026, 10, 1), date(2026, 10, 31)))
    assert set(october) == {"in-progress-overdue", "accepted-expired", "accepted-valid"}


# -- the lifecycle alone ------------------------------------------------------------


def _obs(*statuses: str, grouped: bool = True) -> list[Stretch]:
    """Stretches from one status per run (`pass~`: a carried pass), consecutive equal ones grouped."""
    out: list[Stretch] = []
    for n, status in enumerate(statuses, 1):
        run = RunRef(n * 2, f"r{n}", f"2026-08-{n:02d}T00:00:00Z")
        fresh = not status.endswith("~")
        last = out[-1] if out else None
        if grouped and last is not None and (last.status, last.fresh) == (status.rstrip("~"), fresh):
            out[-1] = Stretch([*last.runs, run], last.status, fresh)
        else:
            out.append(Stretch([run], status.rstrip("~"), fresh))
    return out


@pytest.mark.parametrize(
    ("statuses", "verify_after", "state", "passing"),
    [
        (("fail", "pass", "pass"), 3, "fixed", 2),
        (("fail", "pass", "pass", "pass"), 3, "verified", 3),
        (("fail", "pass", "error", "pass", "pass"), 3, "fixed", 2),  # an error restarts the count
        (("fail", "pass", "absent", "pass", "pass", "pass"), 3, "verified", 3),
        (("fail", "pass", "pass~", "pass"), 3, "fixed", 1),  # a carried pass is no evidence it held
        (("fail", "pass"), 1, "verified", 1),
        (("fail", "pass", "pass", "pass", "fail"), 3, "open", 0),  # reopened after verified
        (("fail", "error", "absent"), 3, "open", 0),  # not evaluated is not fixed
        (("fail", "fail", "pass", "pass", "pass", "pass", "pass"), 3, "verified", 5),
        (("fail", "pass", "pass", "pass~", "pass", "pass", "pass"), 2, "verified", 5),  # once verified, it stays
    ],
)
def test_lifecycle(statuses: tuple[str, ...], verify_after: int, state: str, passing: int) -> None:
    as_of = datetime(2026, 9, 1, tzinfo=timezone.utc)
    item = follow("r", "x", _obs(*statuses), [], verify_after, 1)
    assert (item.state(as_of), item.passing_runs) == (state, passing)
    # run by run gives the same as by stretches
    single = follow("r", "x", _obs(*statuses, grouped=False), [], verify_after, 1)
    assert (single.state(as_of), single.passing_runs, single.verified_at, single.fixed_at, single.last_seen) == (
        item.state(as_of),
        item.passing_runs,
        item.verified_at,
        item.fixed_at,
        item.last_seen,
    )


def test_records_apply_in_chain_order_and_an_acceptance_ends_with_the_fix() -> None:
    acceptance = {"approver": "A", "role": "CISO", "expires_at": "2027-01-01T00:00:00Z", "reason": "why"}
    records = [
        {"sequence": 3, "recorded_at": "t3", "recorded_by": "u", "set": {"risk_acceptance": acceptance}, "note": ""},
        {"sequence": 7, "recorded_at": "t7", "recorded_by": "u", "set": {"owner": "B"}, "note": "n"},
    ]
    as_of = datetime(2026, 9, 1, tzinfo=timezone.utc)
    accepted = follow("r", "x", _obs("fail", "fail", "fail"), records, 3, 1)
    assert (accepted.state(as_of), accepted.owner, accepted.notes) == ("risk_accepted", "B", ["t7 u: n"])
    fixed_then_failed = follow("r", "x", _obs("fail", "fail", "pass", "fail"), records, 3, 1)
    assert (fixed_then_failed.state(as_of), fixed_then_failed.acceptance) == ("open", None)


def test_an_exception_is_its_own_state_expires_and_is_replaced_by_an_acceptance() -> None:
    exception = {
        "approver": "A",
        "role": "CISO",
        "expires_at": "2026-10-01T00:00:00Z",
        "reason": "vendor",
        "compensating_control": "restore test",
    }
    acceptance = {"approver": "A", "role": "CISO", "expires_at": "2027-01-01T00:00:00Z", "reason": "why"}
    first = {"sequence": 2, "recorded_at": "t2", "recorded_by": "u", "set": {"exception": exception}, "note": ""}
    item = follow("r", "x", _obs("fail", "fail", "fail"), [first], 3, 1)
    before, after = datetime(2026, 9, 1, tzinfo=timezone.utc), datetime(2026, 10, 2, tzinfo=timezone.utc)
    assert (item.state(before), item.flags(before), item.acceptance) == ("exception", [], None)
    assert (item.state(after), item.flags(after)) == ("open", ["exception expired 2026-10-01"])
    second = {"sequence": 3, "recorded_at": "t3", "recorded_by": "u", "set": {"risk_acceptance": acceptance}}
    replaced = follow("r", "x", _obs("fail", "fail", "fail", "fail"), [first, {**second, "note": ""}], 3, 1)
    assert (replaced.state(after), replaced.exception, replaced.flags(after)) == ("risk_accepted", None, [])
    fixed = follow("r", "x", _obs("fail", "fail", "pass"), [first], 3, 1)
    assert (fixed.state(before), fixed.exception) == ("fixed", None)  # it covered the failure it was recorded for


def _pack(world: Workspace, tmp_path: Path, controls: list[str]) -> tuple[dict[str, str], openpyxl.Workbook]:
    """The pack of 1 October to 8 November for `controls`: its text files by name, and its register's workbook."""
    output = tmp_path / "pack.zip"
    build_pack(
        world.open_store(), load_catalog(), PackOptions(date(2026, 10, 1), date(2026, 11, 8), controls=controls), output
    )
    with zipfile.ZipFile(output) as archive:
        root = archive.namelist()[0].split("/")[0]
        texts = {
            name.split("/", 1)[1]: archive.read(name).decode()
            for name in archive.namelist()
            if name.endswith((".json", ".csv", ".html"))
        }
        archive.extract(f"{root}/nonconformities.xlsx", tmp_path)
    return texts, openpyxl.load_workbook(tmp_path / root / "nonconformities.xlsx")


def test_the_pack_shows_the_register_its_flags_and_the_gaps(world: Workspace, tmp_path: Path) -> None:
    texts, book = _pack(world, tmp_path, ["A.8.24"])
    register = json.loads(texts["nonconformities.json"])
    page, index = texts["controls/A.8.24.html"], texts["index.html"]
    states = {row["resource"]: (row["id"], row["state"], row["flags"]) for row in register}
    assert states["accepted-expired"] == (
        nc_id("fake.bucket-encrypted", "accepted-expired"),
        "open",
        ["risk acceptance expired 2026-10-01"],
    )
    assert states["accepted-valid"][1] == "risk_accepted"
    assert (
        "overdue (due 2026-09-01)" in page
        and "risk accepted (risk R-7 accepted by Dana Chief until 2027-03-01)" in page
    )
    assert "(3 not fixed, 2 overdue or past their risk acceptance)" in index
    gaps = list(book["Evidence gaps"].iter_rows(min_row=2, values_only=True))
    assert [(g[1], g[2], g[3], g[5]) for g in gaps] == [
        ("fake.bucket-encrypted", "gap", "2026-09-30T02:00:00Z", "5"),
        ("fake.bucket-encrypted", "flaky", "2026-10-15T02:00:00Z", "2"),
        ("fake.bucket-encrypted", "flaky", "2026-10-18T02:00:00Z", "1"),
    ]


def test_verify_after_is_read_from_the_last_collection_runs_configuration(tmp_path: Path) -> None:
    rules_file = tmp_path / "rules.yaml"
    rules_file.write_text(FAKE_RULES)
    store = open_store(str(tmp_path / "ev"))
    config = {"targets": [{"fake": {}}], "nonconformities": {"verify_after": 5}}
    for night in range(6):  # fails on night 0, passes on nights 1-5
        write_night(store, rules_file, {"b": {"encrypted": night > 0, "versioning": "Enabled"}}, night, config)
    period = resolve_period(store, None, date(2026, 8, 5))  # four passing runs
    (row,) = build_register(store, period, LATER).items
    assert (row["state"], row["passing_runs"], build_register(store, period, LATER).verify_after) == ("fixed", 4, 5)
    (row,) = build_register(store, resolve_period(store, None, None), LATER).items
    assert (row["state"], row["verified_at"]) == ("verified", "2026-08-06T02:00:00Z")


def test_the_register_lists_items_not_yet_fixed_first_then_by_first_seen_rule_and_resource(world: Workspace) -> None:
    rows = [(row["state"], row["resource"]) for row in _register(world).items]
    assert rows == [
        ("open", "accepted-expired"),
        ("risk_accepted", "accepted-valid"),
        ("in_progress", "in-progress-overdue"),
        ("verified", "carried"),
        ("verified", "fixed-verified"),
        ("verified", "reopened"),
    ]


def test_a_gap_that_ends_on_the_periods_first_run_is_in_the_period(world: Workspace) -> None:
    def flaky(start: date) -> list[tuple[str, str]]:
        gaps = _register(world, start, date(2026, 10, 31)).gaps
        return [(g["from"][:10], g["to"][:10]) for g in gaps if g["resource"] == "flaky"]

    assert flaky(date(2026, 10, 16)) == [("2026-10-15", "2026-10-16"), ("2026-10-18", "2026-10-18")]
    assert flaky(date(2026, 10, 17)) == [("2026-10-18", "2026-10-18")]


def test_a_pack_of_other_controls_lists_none_of_the_registers_items_or_gaps(world: Workspace, tmp_path: Path) -> None:
    texts, book = _pack(world, tmp_path, ["A.5.1"])
    register, csv_lines = json.loads(texts["nonconformities.json"]), texts["nonconformities.csv"].splitlines()
    assert (register, len(csv_lines), book["Evidence gaps"].max_row) == ([], 1, 1)
    assert "non-conformities in the period: 0 (0 not fixed)" in texts["index.html"]
