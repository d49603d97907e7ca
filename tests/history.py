"""Synthetic nightly history: runs written through the real Store API, one per day."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from fakes import FAKE_RULES, fake_fact

from annexa.evidence_store.store import RunInfo, Store
from annexa.mappings.catalog import load_catalog
from annexa.mappings.evaluate import evaluate
from annexa.mappings.rules import load_rules
from annexa.model import CollectionError, Fact, Source

START = datetime(2026, 8, 1, 2, 0, tzinfo=timezone.utc)


def stamp(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def write_night(
    store: Store, rules_file: Path, buckets: dict[str, Any], night: int, config: dict[str, Any] | None = None
) -> RunInfo:
    """One run on day `night` (0 = 2026-08-01) over fake buckets named as given; `config` is the
    configuration the run stores (its SoA's scope, reasons, attesters)."""
    when = START + timedelta(days=night)
    rules = load_rules([rules_file], {"fake.bucket"}, set(load_catalog().ids()))
    meta = {
        "mappings": {"object": store.put_json({"rules": [r.to_dict() for r in rules]}), "sha256": "x"},
        "config": {"object": store.put_json(config or {"targets": [{"fake": {}}]}), "sha256": "y"},
    }
    writer = store.begin_run(f"night-{night:03d}", stamp(when), meta)
    stored = [writer.add_fact(fake_fact(name, data, at=stamp(when)), "fake.buckets") for name, data in buckets.items()]
    results = evaluate(stored, (), rules, when, {"fake.bucket"})
    return writer.commit(results, stamp(when + timedelta(minutes=5)), {})


def write_history(
    store: Store, rules_file: Path, nights: list[dict[str, Any]], first: int = 0, config: dict[str, Any] | None = None
) -> list[RunInfo]:
    return [write_night(store, rules_file, buckets, n, config) for n, buckets in enumerate(nights, first)]


# -- a 90-day audit period, as an auditor meets it -------------------------------------------
#
# 100 nights from 2026-08-01 (the period is the first 90: 2026-08-01 to 2026-10-29; the 10 after
# it must never leak into a pack of the period). Two regions, a third added mid-period with a
# scope change; nights without a run; partial runs where one region's listing is denied;
# resources created and deleted; a policy document; attestations, one recorded after the
# period's last collection and one whose clock is skewed (dated before the run chained before it).

PERIOD_NIGHTS = 90
PERIOD_RULES_TEXT = (
    FAKE_RULES
    + """\
  - id: fake.policy-approved
    title: The information security policy is approved
    controls: [A.5.1]
    fact: documents.policy
    expect: "approved_by != null"
    severity: medium
    remediation: Have the policy approved.
"""
)
MISSED = (10, 11, 40, 77)
PARTIAL = (20, 55)  # region r2's listing is denied
CARRIED = 65  # the documents collector does not run: its batch is carried forward (carry.py)
SCOPE_CHANGE = 45  # region r3 added, A.7.4 excluded
ATTESTER = {"name": "Jo Park", "role": "Office Manager"}


def period_config(night: int) -> dict[str, Any]:
    regions = ["r1", "r2", "r3"] if night >= SCOPE_CHANGE else ["r1", "r2"]
    scope: dict[str, Any] = {"A.8.24": {"owner": "Platform team"}}
    if night >= SCOPE_CHANGE:
        scope["A.7.4"] = {"applicable": False, "justification": "No premises since the move to remote work"}
    return {"targets": [{"fake": {"regions": regions}}], "scope": scope, "attesters": [ATTESTER]}


def period_buckets(night: int) -> dict[str, dict[str, dict[str, Any]]]:
    """Region -> bucket name -> data on `night`."""
    out: dict[str, dict[str, dict[str, Any]]] = {"r1": {}, "r2": {}}
    for i in range(10):
        if not (i == 9 and night >= 30):  # b-r1-09 deleted on night 30
            out["r1"][f"b-r1-{i:02d}"] = {"encrypted": not (i == 3 and 5 <= night <= 25), "versioning": "Enabled"}
        out["r2"][f"b-r2-{i:02d}"] = {"encrypted": not (i == 4 and night >= 50), "versioning": "Enabled"}
    if night >= 60:
        out["r2"]["b-r2-new"] = {"encrypted": True}  # created unversioned: fails versioning
    if night >= SCOPE_CHANGE:
        out["r3"] = {f"b-r3-{i:02d}": {"encrypted": True, "versioning": "Enabled"} for i in range(5)}
    return out


def _attest(store: Store, when: datetime, control: str, note: str) -> RunInfo:
    at = stamp(when)
    meta = {
        "mappings": {"object": store.put_json({"rules": []}), "sha256": "x"},
        "config": {"object": store.put_json(period_config(0)), "sha256": "y"},
        "operator": "jo@example.org",
        "type": "attestation",
    }
    run_id = f"attest-{when:%Y%m%dT%H%M}"
    data = {
        "control": control,
        "result": "effective",
        "note": note,
        "attested_by": ATTESTER["name"],
        "role": ATTESTER["role"],
        "recorded_by": "jo@example.org",
        "attested_at": at,
        "expires_at": stamp(when + timedelta(days=180)),
        "file": None,
    }
    writer = store.begin_run(run_id, at, meta)
    writer.add_fact(
        Fact(
            "attestation.control",
            f"{control}@{run_id}",
            {"provider": "attestation"},
            data,
            Source(operations=("annexa attest",), principal="jo@example.org"),
            at,
        ),
        "attest",
    )
    return writer.commit([], at, {"callers": [], "collectors": [], "problems": []})


def _period_night(store: Store, rules: list[Any], night: int) -> RunInfo:
    when = START + timedelta(days=night)
    at = stamp(when)
    config = period_config(night)
    meta = {
        "mappings": {"object": store.put_json({"rules": [r.to_dict() for r in rules]}), "sha256": "x"},
        "config": {"object": store.put_json(config), "sha256": "y"},
        "operator": "ci@example.org",
    }
    writer = store.begin_run(f"night-{night:03d}", at, meta)
    stored = []
    errors = []
    collectors = []
    for region, buckets in period_buckets(night).items():
        scope = {"provider": "fake", "account": "111111111111", "region": region}
        if night in PARTIAL and region == "r2":
            error = CollectionError(
                kinds=("fake.bucket",),
                scope=scope,
                message="AccessDenied",
                code="AccessDenied",
                operation="fake:ListBuckets",
            )
            writer.add_error(error, "fake.buckets")
            errors.append(error)
            continue
        for name, data in buckets.items():
            fact = Fact(
                "fake.bucket",
                name,
                scope,
                data,
                Source(operations=("fake:ListBuckets",), principal="arn:fake:role/audit"),
                at,
            )
            stored.append(writer.add_fact(fact, "fake.buckets"))
    if night != CARRIED:
        policy = Fact(
            "documents.policy",
            "policies/information-security.md",
            {"provider": "documents", "org": "acme"},
            {
                "title": "Information security policy",
                "version": "3" if night >= 70 else "2",
                "approved_by": "CEO",
                "approved_at": "2026-07-01",
                "sha256": "ab" * 32,
            },
            Source(operations=("read",), principal="ci@example.org"),
            at,
        )
        stored.append(writer.add_fact(policy, "documents.policies"))
    collectors.append({"collector": "fake.buckets", "target": "targets[0]", "status": "partial" if errors else "ok"})
    kinds = {"fake.bucket"} if night == CARRIED else {"fake.bucket", "documents.policy"}
    results = evaluate(stored, errors, rules, when, kinds)
    return writer.commit(
        results,
        stamp(when + timedelta(minutes=5)),
        {"callers": [], "collectors": collectors, "problems": []},
        carry=lambda collector, _scope: collector == "documents.policies",  # a collector expected but not run
    )


def write_period_history(store: Store, rules_file: Path, nights: int = 100) -> list[RunInfo]:
    """The history described above, oldest first (statement runs included)."""
    rules_file.write_text(PERIOD_RULES_TEXT)
    rules = load_rules([rules_file], {"fake.bucket", "documents.policy"}, set(load_catalog().ids()))
    runs = []
    for night in range(nights):
        when = START + timedelta(days=night)
        if night == 30:
            runs.append(_attest(store, when - timedelta(hours=1), "A.5.1", "Policy reviewed by the board"))
        if night not in MISSED:
            runs.append(_period_night(store, rules, night))
        if night == 60:  # recorded after the night's run, by a machine whose clock is 2 hours slow
            runs.append(_attest(store, when - timedelta(hours=1), "A.6.3", "Awareness training held (clock skew)"))
        if night == PERIOD_NIGHTS - 1:  # after the period's last collection, on its last day
            runs.append(_attest(store, when + timedelta(hours=3), "A.7.1", "Perimeter inspected"))
    return runs
