"""A non-conformity whose resource disappears is closed as "resource no longer exists" as of the
first collection run that enumerated the resource's scope (same provider/account/region, read
completely, not carried) without it; never on a run that did not read that scope or errored in it."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from fakes import FAKE_RULES
from history import START, stamp

from annexa.evidence_store.store import Store, open_store
from annexa.mappings.catalog import load_catalog
from annexa.mappings.evaluate import evaluate
from annexa.mappings.rules import load_rules
from annexa.model import CollectionError, Fact, Source
from annexa.reports.nonconformities import build_register
from annexa.reports.period import resolve_period

ACCOUNT = "111122223333"
BAD = {"encrypted": False, "versioning": "Enabled"}
GOOD = {"encrypted": True, "versioning": "Enabled"}

# night -> region -> buckets (None: that region was not read that night; "error": its listing failed)
HISTORY: list[dict[str, Any]] = [
    {"eu-west-1": {"doomed": BAD, "returns": BAD, "scratched": {**GOOD, "versioning": "Suspended"}, "keep": GOOD},
     "us-east-1": {"elsewhere": BAD}, "ap-south-1": {"errored": BAD, "anchor": GOOD}},
    {"eu-west-1": {"doomed": BAD, "returns": BAD, "scratched": {**GOOD, "versioning": "Suspended"}, "keep": GOOD},
     "us-east-1": {"elsewhere": BAD}, "ap-south-1": {"errored": BAD, "anchor": GOOD}},
    # doomed and returns gone from a complete listing; scratched still there but out of the versioning
    # rule's `where`; us-east-1 not read at all; ap-south-1's listing failed
    {"eu-west-1": {"scratched": {**GOOD, "scratch": True}, "keep": GOOD}, "us-east-1": None, "ap-south-1": "error"},
    {"eu-west-1": {"returns": BAD, "scratched": {**GOOD, "scratch": True}, "keep": GOOD}, "us-east-1": None,
     "ap-south-1": {"anchor": GOOD}},
]  # fmt: skip


def _scope(region: str) -> dict[str, str]:
    return {"provider": "fake", "account": ACCOUNT, "region": region}


def _night(store: Store, rules_file: Path, night: int, regions: dict[str, Any]) -> None:
    when = START + timedelta(days=night)
    rules = load_rules([rules_file], {"fake.bucket"}, set(load_catalog().ids()))
    meta = {
        "mappings": {"object": store.put_json({"rules": [r.to_dict() for r in rules]}), "sha256": "x"},
        "config": {"object": store.put_json({"targets": [{"fake": {}}]}), "sha256": "y"},
    }
    writer = store.begin_run(f"night-{night:03d}", stamp(when), meta)
    stored, errors = [], []
    for region, buckets in regions.items():
        if buckets is None:
            continue
        if buckets == "error":
            error = CollectionError(
                kinds=("fake.bucket",), scope=_scope(region), message="AccessDenied", operation="fake:ListBuckets",
                code="AccessDenied", collected_at=stamp(when),
            )  # fmt: skip
            writer.add_error(error, "fake.buckets")
            errors.append(error)
            continue
        for name, data in buckets.items():
            fact = Fact(
                kind="fake.bucket",
                resource=f"arn:fake:bucket/{name}",
                scope=_scope(region),
                data=data,
                source=Source(operations=("fake:ListBuckets",), principal="arn:fake:user/auditor", pages=1),
                collected_at=stamp(when),
            )
            stored.append(writer.add_fact(fact, "fake.buckets"))
    results = evaluate(stored, errors, rules, when, {"fake.bucket"})
    writer.commit(results, stamp(when + timedelta(minutes=5)), {})


@pytest.fixture
def register(tmp_path: Path) -> dict[tuple[str, str], dict[str, Any]]:
    rules_file = tmp_path / "rules.yaml"
    rules_file.write_text(FAKE_RULES)
    store = open_store(str(tmp_path / "ev"))
    for night, regions in enumerate(HISTORY):
        _night(store, rules_file, night, regions)
    built = build_register(store, resolve_period(store, date(2026, 8, 1), date(2026, 8, 4)))
    return {(row["rule"], row["resource"].rsplit("/", 1)[1]): row for row in built.items}


def test_a_resource_gone_from_a_complete_listing_is_closed_as_of_that_run(register: dict) -> None:
    row = register[("fake.bucket-encrypted", "doomed")]
    assert (row["state"], row["closed_at"], row["closed_reason"]) == (
        "closed",
        "2026-08-03T02:00:00Z",
        "resource no longer exists (run night-002)",
    )
    assert row["last_seen"] == "2026-08-02T02:00:00Z" and row["days_open"] == 2.0


def test_a_scope_that_was_not_read_proves_nothing(register: dict) -> None:
    row = register[("fake.bucket-encrypted", "elsewhere")]
    assert (row["state"], row["closed_at"], row["closed_reason"]) == ("open", None, "")


def test_a_scope_whose_listing_failed_proves_nothing_until_a_complete_listing(register: dict) -> None:
    row = register[("fake.bucket-encrypted", "errored")]
    # night 2 errored in ap-south-1: still open then; night 3 listed ap-south-1 completely without it
    assert (row["state"], row["closed_at"], row["closed_reason"]) == (
        "closed",
        "2026-08-04T02:00:00Z",
        "resource no longer exists (run night-003)",
    )


def test_a_resource_still_there_without_a_result_stays_open(register: dict) -> None:
    row = register[("fake.bucket-versioned", "scratched")]  # out of the rule's `where`, but not gone
    assert (row["state"], row["closed_at"]) == ("open", None)


def test_a_resource_that_comes_back_failing_reopens_the_item(register: dict) -> None:
    row = register[("fake.bucket-encrypted", "returns")]
    assert (row["state"], row["reopened"], row["closed_at"], row["last_seen"]) == (
        "open",
        1,
        None,
        "2026-08-04T02:00:00Z",
    )
