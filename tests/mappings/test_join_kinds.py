"""A join over several kinds: staff and leavers against devices from Fleet and from Intune."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from fakes import FAKE_SCOPE, fake_fact

from annexa.mappings.catalog import load_catalog
from annexa.mappings.evaluate import evaluate
from annexa.mappings.rules import load_rules
from annexa.model import CollectionError

NOW = datetime(2026, 11, 22, tzinfo=timezone.utc)
KINDS = {"fake.bucket", "fake.user", "fake.device"}
RULE = """rules:
  - id: t.has-device
    title: t
    controls: [A.8.1]
    fact: fake.bucket
    join: {fact: [fake.user, fake.device], key: owners, match: "[email]"}
    expect: "length(joined) > `0`"
    severity: low
    remediation: r
"""


def _results(
    tmp_path: Path, facts: list, collected: set[str], errors: list | None = None
) -> dict[str, tuple[str, str]]:
    path = tmp_path / "rules.yaml"
    path.write_text(RULE)
    rules = load_rules([path], KINDS, set(load_catalog().ids()))
    return {r.resource: (r.status, r.message) for r in evaluate(facts, errors or [], rules, NOW, collected)}


def test_a_match_in_either_kind_counts(tmp_path: Path) -> None:
    facts = [
        fake_fact("ana", {"email": "Ana@acme.example"}),
        fake_fact("ben", {"email": "ben@acme.example"}),
        fake_fact("chen", {"email": "chen@acme.example"}),
        fake_fact("mac", {"owners": ["ana@acme.example"]}, kind="fake.user"),
        fake_fact("pc", {"owners": ["ben@acme.example"]}, kind="fake.device"),
    ]
    got = _results(tmp_path, facts, {"fake.bucket", "fake.user", "fake.device"})
    assert {name: status for name, (status, _) in got.items()} == {"ana": "pass", "ben": "pass", "chen": "fail"}


def test_one_kind_not_configured_leaves_the_other_to_decide(tmp_path: Path) -> None:
    facts = [fake_fact("ben", {"email": "ben@acme.example"}), fake_fact("pc", {"owners": ["ben"]}, kind="fake.device")]
    assert _results(tmp_path, facts, {"fake.bucket", "fake.device"})["ben"][0] == "fail"


def test_one_kind_that_failed_makes_it_an_error_even_when_the_other_matched(tmp_path: Path) -> None:
    facts = [
        fake_fact("ben", {"email": "ben@acme.example"}),
        fake_fact("pc", {"owners": ["ben@acme.example"]}, kind="fake.device"),
    ]
    error = CollectionError(kinds=("fake.user",), scope=FAKE_SCOPE, message="denied")
    got = _results(tmp_path, facts, {"fake.bucket", "fake.device"}, [error])
    assert got["ben"] == ("error", "fake.user could not be collected, so this cannot be checked against it")


def test_the_rule_records_its_kinds_as_written(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text(RULE)
    (rule,) = load_rules([path], KINDS, set(load_catalog().ids()))
    assert rule.to_dict()["join"] == {"fact": ["fake.user", "fake.device"], "key": "owners", "match": "[email]"}
