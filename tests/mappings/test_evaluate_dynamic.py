"""`controls_from` (controls named by the fact) and `join` (facts of another kind matched by key)."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from fakes import FAKE_SCOPE, fake_fact

from annexa.mappings.catalog import load_catalog
from annexa.mappings.evaluate import evaluate
from annexa.mappings.rules import load_rules
from annexa.model import CollectionError

NOW = datetime(2026, 11, 22, tzinfo=timezone.utc)
KINDS = {"fake.bucket", "fake.user"}

RULES = """\
rules:
  - id: t.claimed
    title: Documents are approved
    controls: [A.5.1]
    controls_from: claims
    fact: fake.bucket
    expect: approved
    severity: low
    remediation: r
  - id: t.leaver
    title: Leavers have no account
    controls: [A.6.5]
    fact: fake.bucket
    where: left
    join: {fact: fake.user, key: login, match: logins}
    expect: "length(joined) == `0`"
    observe: "joined[].resource"
    severity: high
    remediation: r
"""


def _rules(tmp_path: Path) -> list:
    path = tmp_path / "rules.yaml"
    path.write_text(RULES)
    return load_rules([path], KINDS, set(load_catalog().ids()))


def _by_key(results: list) -> dict:
    return {(r.rule, r.resource): r for r in results}


def test_controls_from_adds_the_claimed_controls_and_rejects_unknown_ids(tmp_path: Path) -> None:
    facts = [
        fake_fact("good", {"approved": True, "claims": ["A.8.13", "A.5.15"]}),
        fake_fact("made-up", {"approved": True, "claims": ["A.8.13", "A.5.99"]}),
        fake_fact("not-a-list", {"approved": True, "claims": "A.8.13"}),
        fake_fact("none", {"approved": False}),
    ]
    results = _by_key(evaluate(facts, [], _rules(tmp_path), NOW))
    assert results[("t.claimed", "good")].controls == ("A.5.1", "A.8.13", "A.5.15")
    assert results[("t.claimed", "good")].status == "pass"
    made_up = results[("t.claimed", "made-up")]
    assert made_up.status == "error" and "A.5.99" in made_up.message and made_up.controls == ("A.5.1",)
    assert results[("t.claimed", "not-a-list")].status == "error"
    assert results[("t.claimed", "none")].controls == ("A.5.1",) and results[("t.claimed", "none")].status == "fail"


def _user(login: str) -> object:
    return fake_fact(f"user/{login}", {"login": login}, kind="fake.user")


def test_join_matches_case_insensitively_whatever_the_order(tmp_path: Path) -> None:
    leaver = fake_fact("p1", {"left": True, "logins": ["Alice", "alice@example.com"]})
    clean = fake_fact("p2", {"left": True, "logins": ["bob"]})
    staying = fake_fact("p3", {"left": False, "logins": ["carol"]})
    facts = [leaver, _user("ALICE"), clean, staying, _user("carol")]
    results = _by_key(evaluate(facts, [], _rules(tmp_path), NOW, collected_kinds={"fake.bucket", "fake.user"}))
    assert results[("t.leaver", "p1")].status == "fail" and "user/ALICE" in results[("t.leaver", "p1")].message
    assert results[("t.leaver", "p2")].status == "pass"
    assert ("t.leaver", "p3") not in results


def test_join_against_a_kind_that_failed_to_collect_is_error(tmp_path: Path) -> None:
    leaver = fake_fact("p1", {"left": True, "logins": ["alice"]})
    error = CollectionError(kinds=("fake.user",), scope=FAKE_SCOPE, message="denied", code="AccessDenied")
    results = _by_key(evaluate([leaver], [error], _rules(tmp_path), NOW, collected_kinds={"fake.bucket", "fake.user"}))
    assert results[("t.leaver", "p1")].status == "error"


def test_join_against_a_kind_not_collected_is_not_applicable(tmp_path: Path) -> None:
    leaver = fake_fact("p1", {"left": True, "logins": ["alice"]})
    results = _by_key(evaluate([leaver], [], _rules(tmp_path), NOW, collected_kinds={"fake.bucket"}))
    assert results[("t.leaver", "-")].status == "not_applicable"
    assert "no fake.user was collected" in results[("t.leaver", "-")].message
