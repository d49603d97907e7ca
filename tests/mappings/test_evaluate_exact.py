"""The evaluator's messages and edge cases, exactly: what a finding says is what an auditor reads."""

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


def _rules(tmp_path: Path, body: str) -> list:
    path = tmp_path / "rules.yaml"
    path.write_text("rules:\n" + body)
    return load_rules([path], KINDS, set(load_catalog().ids()))


def _rule(rule_id: str, fact: str = "fake.bucket", **keys: str) -> str:
    lines = [
        f"  - id: {rule_id}",
        "    title: t",
        f"    controls: [{keys.pop('controls', 'A.8.1')}]",
        f"    fact: {fact}",
    ]
    lines += [f"    {key}: {value}" for key, value in keys.items()]
    lines += ["    severity: low", "    remediation: r"]
    return "\n".join(lines) + "\n"


def _one(tmp_path: Path, body: str, data: object, kinds: set[str] | None = None):  # type: ignore[no-untyped-def]
    results = evaluate([fake_fact("b", data)], [], _rules(tmp_path, body), NOW, kinds or set())
    (result,) = [r for r in results if r.resource == "b"]
    return result


def test_guards_are_judged_with_the_evaluation_time(tmp_path: Path) -> None:
    """`&&` reads its right side only where its left holds, judged with days_since() at evaluation time."""
    body = _rule("t.g", expect='"end != null && days_since(end) > `0` && gone"')
    future = _one(tmp_path, body, {"end": "2099-01-01"})
    assert (future.status, future.message) == ("fail", "not satisfied: end != null && days_since(end) > `0` && gone")
    past = _one(tmp_path, body, {"end": "2026-01-01"})
    assert (past.status, past.message) == ("error", "property gone missing from the API response")
    where = _rule("t.w", where='"days_since(end) > `0` && gone"', expect="ok")
    assert _one(tmp_path, where, {"end": "2026-01-01", "gone": True, "ok": True}).status == "pass"
    assert evaluate([fake_fact("b", {"end": "2099-01-01", "ok": True})], [], _rules(tmp_path, where), NOW) == []


def test_where_and_observe_use_the_evaluation_time(tmp_path: Path) -> None:
    body = _rule("t.o", where='"days_since(at) > `1`"', expect="ok", observe='"days_since(at)"')
    result = _one(tmp_path, body, {"at": "2026-11-20T00:00:00Z", "ok": True})
    assert result.message == "satisfied: ok; observed 2.0"
    assert evaluate([fake_fact("b", {"at": "2026-11-21T12:00:00Z", "ok": True})], [], _rules(tmp_path, body), NOW) == []


def test_observation_and_applied_defaults_are_both_kept_and_objects_are_shown_sorted(tmp_path: Path) -> None:
    body = _rule("t.d", expect='"level >= `2`"', observe='"{z: level, a: name}"', defaults="{level: 0}")
    result = _one(tmp_path, body, {"name": "n"})
    assert result.message == (
        'not satisfied: level >= `2`; observed {"a": "n", "z": 0}; default applied (absent from the API response): '
        "level = 0"
    )


def test_missing_alternatives_and_several_missing_properties(tmp_path: Path) -> None:
    body = _rule("t.m", expect='"[not_null(a, b, c), d]"')
    assert _one(tmp_path, body, {}).message == (
        "property a (or b, c) missing from the API response; property d missing from the API response"
    )


def test_an_expression_error_is_quoted_from_jmespath(tmp_path: Path) -> None:
    body = _rule("t.e", expect='"length(tags) > `0`"')
    result = _one(tmp_path, body, {"tags": None})
    assert (result.status, result.message) == (
        "error",
        "rule could not be evaluated on this resource: In function length(), invalid type for value: None, "
        "expected one of: ['string', 'array', 'object'], received: \"null\"",
    )


CLAIMS = _rule("t.c", controls="A.5.1", controls_from="claims", expect="ok")


def test_controls_from_problems_are_named(tmp_path: Path) -> None:
    def message(data: object) -> str:
        result = _one(tmp_path, CLAIMS, data)
        assert result.status == "error" and result.controls == ("A.5.1",)
        return str(result.message)

    prefix = "rule could not be evaluated on this resource: "
    assert message({"claims": "A.5.15", "ok": True}) == (
        prefix + 'controls_from must give a list of control ids; observed "A.5.15"'
    )
    assert message({"claims": ["A.9.9", "B.1"], "ok": True}) == (
        prefix + "names unknown Annex A 2022 control ids: A.9.9, B.1"
    )
    broken = _rule("t.c", controls="A.5.1", controls_from='"sort(claims)"', expect="ok")
    result = _one(tmp_path, broken, {"claims": [1, "x"], "ok": True})
    assert result.message == (
        prefix + "controls_from could not be evaluated: In function sort(), invalid type for value: x, "
        "expected one of: ['array-string', 'array-number'], received: \"str\""
    )
    absent = _one(tmp_path, CLAIMS, {"claims": None, "ok": True})
    assert (absent.status, absent.controls) == ("pass", ("A.5.1",))


LEAVER = _rule(
    "t.leaver",
    where="left",
    join="{fact: fake.user, key: login, match: logins}",
    expect='"length(joined) == `0`"',
    observe='"joined[].{kind: kind, resource: resource, name: data.name}"',
)
PLAIN = _rule("t.plain", expect="ok")


def _leavers(tmp_path: Path, people: list, users: list, kinds: set[str], errors: list | None = None) -> dict:
    facts = [fake_fact(name, data) for name, data in people]
    facts += [fake_fact(name, data, kind="fake.user") for name, data in users]
    results = evaluate(facts, errors or [], _rules(tmp_path, LEAVER + PLAIN), NOW, kinds)
    return {(r.rule, r.resource): r for r in results}


def test_joined_facts_carry_kind_resource_and_data(tmp_path: Path) -> None:
    got = _leavers(
        tmp_path,
        [("p", {"left": True, "logins": ["Ann "], "ok": True})],
        [("u1", {"login": " ann", "name": "Ann"}), ("u2", {"login": "bob", "name": "Bob"})],
        {"fake.bucket", "fake.user"},
    )
    assert got[("t.leaver", "p")].message == (
        'not satisfied: length(joined) == `0`; observed [{"kind": "fake.user", "name": "Ann", "resource": "u1"}]'
    )
    # a plain rule over the same kind, listed after the join rule, is judged too
    assert got[("t.plain", "p")].status == "pass"


def test_blank_and_non_text_keys_never_join(tmp_path: Path) -> None:
    got = _leavers(
        tmp_path,
        [("p", {"left": True, "logins": ["", "  ", 1.5, {"x": 1}, None], "ok": True})],
        [("u1", {"login": ""}), ("u2", {"login": 1.5}), ("u3", {"login": {"x": 1}}), ("u4", {"login": "  "})],
        {"fake.bucket", "fake.user"},
    )
    assert got[("t.leaver", "p")].status == "pass"
    numbers = _leavers(
        tmp_path,
        [("p", {"left": True, "logins": [7], "ok": True})],
        [("u", {"login": "7"})],
        {"fake.bucket", "fake.user"},
    )
    assert numbers[("t.leaver", "p")].status == "fail"  # an id given as a number matches its text


def test_a_joined_kind_collected_but_empty_matches_nothing(tmp_path: Path) -> None:
    got = _leavers(tmp_path, [("p", {"left": True, "logins": ["ann"], "ok": True})], [], {"fake.bucket", "fake.user"})
    assert got[("t.leaver", "p")].status == "pass"


def test_a_joined_kind_that_failed_is_error_whatever_the_fact_says(tmp_path: Path) -> None:
    error = CollectionError(kinds=("fake.user",), scope=FAKE_SCOPE, message="denied")
    got = _leavers(tmp_path, [("p", {"left": True, "logins": [], "ok": True})], [], {"fake.bucket"}, [error])
    leaver = got[("t.leaver", "p")]
    assert (leaver.status, leaver.message) == (
        "error",
        "fake.user could not be collected, so this cannot be checked against it",
    )
    unselected = _leavers(tmp_path, [("q", {"left": False, "logins": [], "ok": True})], [], {"fake.bucket"}, [error])
    assert ("t.leaver", "q") not in unselected


def test_a_joined_fact_whose_data_is_not_an_object_is_an_error(tmp_path: Path) -> None:
    body = _rule("t.j", join="{fact: fake.user, key: login, match: logins}", expect='"length(joined) == `0`"')
    facts = [fake_fact("p", ["not", "an", "object"]), fake_fact("u", {"login": "x"}, kind="fake.user")]
    (result,) = [r for r in evaluate(facts, [], _rules(tmp_path, body), NOW, KINDS) if r.resource == "p"]
    assert (result.status, result.message) == (
        "error",
        "rule could not be evaluated on this resource: its data is not an object",
    )


def test_collection_errors_combine_in_a_fixed_order(tmp_path: Path) -> None:
    rules = _rules(tmp_path, PLAIN)
    first = CollectionError(kinds=("fake.bucket",), scope={"provider": "a"}, message="zeta", resource="r")
    second = CollectionError(kinds=("fake.bucket",), scope={"provider": "b"}, message="alpha", resource="r")
    one = evaluate([], [first, second], rules, NOW)
    other = evaluate([], [second, first], rules, NOW)
    assert (
        [r.message for r in one] == [r.message for r in other] == ["collection failed: alpha; collection failed: zeta"]
    )


def test_errors_of_rules_whose_controls_come_from_facts_name_every_control_in_catalog_order(tmp_path: Path) -> None:
    body = "  - {id: t.i, title: t, controls: [], controls_from: c, fact: fake.bucket, expect: ok, severity: low, remediation: r}\n"
    error = CollectionError(kinds=("fake.bucket",), scope=FAKE_SCOPE, message="bad file")
    (result,) = evaluate([], [error], _rules(tmp_path, body), NOW)
    assert result.controls == tuple(load_catalog().ids())
    assert result.controls[8:11] == ("A.5.9", "A.5.10", "A.5.11")


def test_two_alternatives_are_named_too(tmp_path: Path) -> None:
    body = _rule("t.two", expect='"a || b"')
    assert _one(tmp_path, body, {}).message == "property a (or b) missing from the API response"


def test_controls_from_and_join_keys_are_judged_with_the_evaluation_time(tmp_path: Path) -> None:
    claims = _rule("t.c", controls="A.5.1", controls_from='"days_since(at) > `1` && claims || `[]`"', expect="ok")
    old = _one(tmp_path, claims, {"at": "2026-01-01", "claims": ["A.5.2"], "ok": True})
    new = _one(tmp_path, claims, {"at": "2026-11-21T12:00:00Z", "claims": ["A.5.2"], "ok": True})
    assert (old.controls, new.controls) == (("A.5.1", "A.5.2"), ("A.5.1",))
    body = _rule(
        "t.k",
        join="{fact: fake.user, key: \"days_since(since) > `1` && login || ''\", match: logins}",
        expect='"length(joined) == `0`"',
    )
    facts = [
        fake_fact("p", {"logins": ["ann", "bob"]}),
        fake_fact("u1", {"login": "ann", "since": "2026-01-01"}, kind="fake.user"),
        fake_fact("u2", {"login": "bob", "since": "2026-11-21T12:00:00Z"}, kind="fake.user"),  # too new to count
    ]
    (result,) = [r for r in evaluate(facts, [], _rules(tmp_path, body), NOW, KINDS) if r.resource == "p"]
    assert result.status == "fail"
    facts[1] = fake_fact("u1", {"login": "ann", "since": "2026-11-21T12:00:00Z"}, kind="fake.user")
    (result,) = [r for r in evaluate(facts, [], _rules(tmp_path, body), NOW, KINDS) if r.resource == "p"]
    assert result.status == "pass"


def test_error_results_keep_their_controls(tmp_path: Path) -> None:
    prefix = "rule could not be evaluated on this resource: "
    where_error = _rule("t.w", controls="A.8.2", where='"length(tags) > `0`"', expect="ok")
    result = _one(tmp_path, where_error, {"tags": None, "ok": True})
    assert (result.status, result.controls, result.message) == (
        "error",
        ("A.8.2",),
        prefix + "In function length(), invalid type for value: None, expected one of: ['string', 'array', "
        "'object'], received: \"null\"",
    )
    missing_where = _rule("t.m", controls="A.8.3", where="scratch", expect="ok")
    assert _one(tmp_path, missing_where, {"ok": True}).controls == ("A.8.3",)
    missing_expect = _rule("t.e", controls="A.8.4", expect="ok")
    assert _one(tmp_path, missing_expect, {}).controls == ("A.8.4",)
    expression = _rule("t.x", controls="A.8.5", expect='"length(tags) > `0`"')
    assert _one(tmp_path, expression, {"tags": None}).controls == ("A.8.5",)
    joinable = _rule("t.j", controls="A.8.6", join="{fact: fake.user, key: login, match: logins}", expect="ok")
    facts = [fake_fact("p", ["x"]), fake_fact("u", {"login": "x"}, kind="fake.user")]
    (result,) = [r for r in evaluate(facts, [], _rules(tmp_path, joinable), NOW, KINDS) if r.resource == "p"]
    assert (result.status, result.controls) == ("error", ("A.8.6",))


def test_a_failed_join_keeps_the_controls_the_fact_names(tmp_path: Path) -> None:
    body = _rule(
        "t.j",
        controls="A.6.5",
        controls_from="claims",
        join="{fact: fake.user, key: login, match: logins}",
        expect='"length(joined) == `0`"',
    )
    error = CollectionError(kinds=("fake.user",), scope=FAKE_SCOPE, message="denied")
    facts = [fake_fact("p", {"claims": ["A.5.18"], "logins": []})]
    (result,) = [r for r in evaluate(facts, [error], _rules(tmp_path, body), NOW, {"fake.bucket"}) if r.resource == "p"]
    assert (result.status, result.controls) == ("error", ("A.6.5", "A.5.18"))
