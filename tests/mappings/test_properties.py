"""Which properties an expression reads (mappings/properties.py), case by case, and what the
evaluator makes of an absent one: `error`, or the rule's declared default, never a guess."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import pytest
from fakes import fake_fact

from annexa.errors import UsageError
from annexa.mappings.catalog import load_catalog
from annexa.mappings.evaluate import evaluate
from annexa.mappings.jmes import node_holds
from annexa.mappings.properties import apply_defaults, missing, parse_path, path_text, required_paths
from annexa.mappings.rules import builtin_rule_files, load_rules
from annexa.model import Fact

NOW = datetime(2026, 11, 22, tzinfo=timezone.utc)


def _clauses(expression: str) -> list[list[str]]:
    """Each clause's alternatives, then `if <guard>` per `&&` it sits behind (its left side's first field)."""
    out = []
    for clause in required_paths(expression):
        guards = [f"if {json.loads(g[1]).get('value') or json.loads(g[1])['type']}" for g in sorted(clause.guards)]
        out.append([*sorted(path_text(p) for p in clause.paths), *guards])
    return out


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("a", [["a"]]),
        ("a.b.c", [["a"], ["a.b"], ["a.b.c"]]),
        ('"x-y".z', [['"x-y"'], ['"x-y".z']]),
        # projections and filters: the list is required, its elements' properties are not
        ("rules[].enabled", [["rules"]]),
        ("rules[*].enabled", [["rules"]]),
        ("a.b[*].c", [["a"], ["a.b"]]),
        ("perms[?from_port == `22`].cidr", [["perms"]]),
        ("tags.*", [["tags"]]),
        ("items[0].name", [["items"]]),
        ("items[1:3]", [["items"]]),
        ("sort_by(users, &created)[0].name", [["users"]]),
        ("a[].b[].c", [["a"]]),
        # alternatives: one side suffices
        ("not_null(a, b.c)", [["a", "b"], ["a", "b.c"]]),
        ("a || b", [["a", "b"]]),
        ("(a && b) || c", [["a", "c"], ["b", "c", "if a"]]),
        ("a || `true`", [["a"]]),  # a literal is a fallback for null, not an alternative to `a`
        ("not_null(a, `1`)", [["a"]]),
        ("`1` || `2`", []),
        ("a || a.b", [["a"]]),
        # `b` is read only where `a` holds
        ("a && b", [["a"], ["b", "if a"]]),
        ("a && b && c", [["a"], ["b", "if a"], ["c", "if and_expression"]]),
        ("contains(mapped, 'x') && x != null", [["mapped"], ["x", "if contains"]]),
        # everything else needs all it reads
        ("!a", [["a"]]),
        ("a == 'x'", [["a"]]),
        ("a != null", [["a"]]),
        ("length(a) > `0`", [["a"]]),
        ("contains(tags, 'x')", [["tags"]]),
        ("{x: a, y: b.c}", [["a"], ["b"], ["b.c"]]),
        ("a | (b && c)", [["a"], ["a.b"], ["a.c", "if b"]]),
        ("[a, b]", [["a"], ["b"]]),
        ("a | b", [["a"], ["a.b"]]),
        ("a | length(@)", [["a"]]),
        # the object as a whole: nothing is required
        ("@", []),
        ("keys(@)", []),
        ("contains(keys(@), 'x')", []),
        ("`1` == `1`", []),
    ],
)
def test_required_paths(expression: str, expected: list[list[str]]) -> None:
    assert _clauses(expression) == expected


def test_too_many_alternatives_are_refused() -> None:
    expression = " || ".join(f"(a{i} && b{i} && c{i})" for i in range(8))
    with pytest.raises(ValueError, match="too many alternatives"):
        required_paths(expression)


@pytest.mark.parametrize(
    ("data", "expression", "absent"),
    [
        ({}, "a.b", [["a"]]),
        ({"a": {}}, "a.b", [["a.b"]]),
        ({"a": None}, "a.b", []),  # the source said null: JMESPath's null is the true reading
        ({"a": [1]}, "a.b", []),  # a list has no properties: not "missing"
        ({"a": "text"}, "a.b", []),
        ({"a": {"b": None}}, "a.b.c", []),
        ({"b": 1}, "a || b", []),
        ({}, "a || b", [["a", "b"]]),
        ({"a": {"x": 1}}, "not_null(a.b, c)", [["a.b", "c"]]),
        ({"rules": [{"enabled": True}, {}]}, "rules[].enabled", []),
        ([], "a", []),  # data that is not an object
        ({"a": False}, "a && b", []),  # `a` is false: the result is false whatever `b` is
        ({"a": True}, "a && b", [["b"]]),
        ({}, "a && b", [["a"]]),
        ({"mapped": ["x"]}, "contains(mapped, 'x') && x != null", [["x"]]),
        ({"mapped": []}, "contains(mapped, 'x') && x != null", []),
        ({"end": "2026-01-01"}, "end != null && days_since(end) > `0` && gone", [["gone"]]),
        ({"end": "2099-01-01"}, "end != null && days_since(end) > `0` && gone", []),
    ],
)
def test_missing(data: object, expression: str, absent: list[list[str]]) -> None:
    found = missing(data, required_paths(expression), lambda node, value: node_holds(node, value, NOW))
    assert [[path_text(p) for p in paths] for paths in found] == absent


def test_apply_defaults_fills_only_what_is_absent_and_never_changes_the_input() -> None:
    data = {"properties": {"minimumTlsVersion": "TLS1_2"}}
    reqs = required_paths("properties.networkAccessPolicy == 'Deny' && properties.minimumTlsVersion == 'TLS1_2'")
    defaults = {("properties", "networkAccessPolicy"): "AllowAll", ("properties", "minimumTlsVersion"): "TLS1_0"}
    filled, applied, unmet = apply_defaults(data, reqs, defaults)
    assert filled == {"properties": {"minimumTlsVersion": "TLS1_2", "networkAccessPolicy": "AllowAll"}}
    assert applied == [("properties", "networkAccessPolicy")] and unmet == []
    assert data == {"properties": {"minimumTlsVersion": "TLS1_2"}}
    # the parent is absent: the parent is what is missing, a child's default cannot stand in for it
    _, applied, unmet = apply_defaults({}, reqs, defaults)
    assert applied == [] and unmet == [[("properties",)]]
    # a default for the parent object, then one for its child
    nested = {("p",): {}, ("p", "q"): 1}
    filled, applied, unmet = apply_defaults({}, required_paths("p.q == `1`"), nested)
    assert filled == {"p": {"q": 1}} and applied == [("p",), ("p", "q")] and unmet == []


def test_parse_path() -> None:
    assert parse_path('properties."x-y".z') == ("properties", "x-y", "z")
    for bad in ("a[0]", "a || b", "length(a)", "a.["):
        with pytest.raises(ValueError):
            parse_path(bad)


RULES = """\
rules:
  - id: t.policy
    title: Storage denies public network access
    controls: [A.8.20]
    fact: fake.bucket
    where: "kind != 'scratch'"
    expect: "properties.networkAccessPolicy == 'Deny' && properties.encryption.enabled"
    rationale: Public network access to storage is what A.8.20 asks to restrict.
    defaults: {properties.networkAccessPolicy: AllowAll}
    severity: high
    remediation: Deny public network access.
"""


def _rule_file(tmp_path: Path, text: str = RULES) -> Path:
    path = tmp_path / "rules.yaml"
    path.write_text(text)
    return path


def _judge(tmp_path: Path, data: object) -> tuple[str, str]:
    rules = load_rules([_rule_file(tmp_path)], {"fake.bucket"}, set(load_catalog().ids()))
    results = evaluate([fake_fact("b", data)], [], rules, NOW)
    assert len(results) == 1
    return results[0].status, results[0].message


def test_absent_property_is_an_error_naming_it(tmp_path: Path) -> None:
    status, message = _judge(tmp_path, {"kind": "data", "properties": {"networkAccessPolicy": "Deny"}})
    assert (status, message) == ("error", "property properties.encryption missing from the API response")


def test_absent_property_in_where_is_an_error_not_a_silent_skip(tmp_path: Path) -> None:
    status, message = _judge(tmp_path, {"properties": {"networkAccessPolicy": "Deny", "encryption": {"enabled": 1}}})
    assert (status, message) == ("error", "property kind missing from the API response")


def test_declared_default_applies_where_absent_and_says_so(tmp_path: Path) -> None:
    status, message = _judge(tmp_path, {"kind": "data", "properties": {"encryption": {"enabled": True}}})
    assert status == "fail"
    assert message.endswith(
        '; default applied (absent from the API response): properties.networkAccessPolicy = "AllowAll"'
    )


def test_a_present_value_beats_the_default(tmp_path: Path) -> None:
    data = {"kind": "data", "properties": {"networkAccessPolicy": "Deny", "encryption": {"enabled": True}}}
    status, message = _judge(tmp_path, data)
    assert status == "pass" and "default applied" not in message


def test_rationale_and_defaults_are_stored_with_the_rule(tmp_path: Path) -> None:
    (rule,) = load_rules([_rule_file(tmp_path)], {"fake.bucket"}, set(load_catalog().ids()))
    stored = rule.to_dict()
    assert stored["rationale"] == "Public network access to storage is what A.8.20 asks to restrict."
    assert stored["defaults"] == {"properties.networkAccessPolicy": "AllowAll"}


@pytest.mark.parametrize(
    ("replace", "message"),
    [
        ("defaults: {properties.networkAccessPolicy: AllowAll}", "defaults: {tags: {}}"),
        ("defaults: {properties.networkAccessPolicy: AllowAll}", "defaults: {a[0]: 1}"),
        ("defaults: {properties.networkAccessPolicy: AllowAll}", "defaults: []"),
        ("rationale: Public network access to storage is what A.8.20 asks to restrict.", "rationale: ''"),
    ],
)
def test_bad_defaults_and_rationale_are_load_errors_with_file_and_line(
    tmp_path: Path, replace: str, message: str
) -> None:
    path = _rule_file(tmp_path, RULES.replace(replace, message))
    with pytest.raises(UsageError, match=rf"^{path}:\d+: "):
        load_rules([path], {"fake.bucket"}, set(load_catalog().ids()))


def test_defaults_must_name_a_property_the_rule_reads(tmp_path: Path) -> None:
    path = _rule_file(tmp_path, RULES.replace("{properties.networkAccessPolicy: AllowAll}", "{properties.sku: x}"))
    with pytest.raises(UsageError, match=r"rules.yaml:9: defaults: 'properties.sku' is not a property"):
        load_rules([path], {"fake.bucket"}, set(load_catalog().ids()))


def test_results_carry_the_evidence_class_of_their_kind(tmp_path: Path) -> None:
    rules = load_rules([_rule_file(tmp_path)], {"fake.bucket"}, set(load_catalog().ids()))
    fact = fake_fact("b", {"kind": "x", "properties": {"networkAccessPolicy": "Deny", "encryption": {"enabled": 1}}})
    (stamped,) = evaluate([fact], [], rules, NOW, evidence_classes={"fake.bucket": "record"})
    (derived,) = evaluate([fact], [], rules, NOW)
    assert (stamped.evidence_class, derived.evidence_class) == ("record", "automated")
    (empty,) = evaluate([], [], rules, NOW, {"fake.bucket"}, evidence_classes={"fake.bucket": "document"})
    assert (empty.status, empty.evidence_class) == ("not_applicable", "document")


def _every_builtin_rule() -> list:
    from annexa.collectors.registry import load_registry

    registry = load_registry()
    return load_rules(builtin_rule_files(), registry.kinds(), set(load_catalog().ids()))


def test_no_builtin_rule_passes_on_an_empty_response() -> None:
    """Whatever a rule reads, a response that returned nothing of it is never a pass."""
    for rule in _every_builtin_rule():
        if rule.join is not None:
            continue  # judged against other facts; covered by the people tests
        fact = Fact(rule.fact, "r", {"provider": "x"}, {}, fake_fact("r", {}).source, "2026-11-21T00:00:00Z")
        statuses = {r.status for r in evaluate([fact], [], [rule], NOW)}
        assert "pass" not in statuses, rule.id
