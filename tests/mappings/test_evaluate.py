from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from fakes import FAKE_SCOPE, fake_fact

from annexa.mappings.catalog import load_catalog
from annexa.mappings.evaluate import evaluate
from annexa.mappings.rules import load_rules
from annexa.model import CollectionError

NOW = datetime(2026, 11, 22, tzinfo=timezone.utc)


def _rules(path: Path) -> list:
    return load_rules([path], {"fake.bucket"}, set(load_catalog().ids()))


def _by_key(results: list) -> dict:
    return {(r.rule, r.resource): r for r in results}


def test_pass_fail_and_where(fake_rules_file: Path) -> None:
    facts = [
        fake_fact("b1", {"encrypted": True, "versioning": "Enabled"}),
        fake_fact("b2", {"encrypted": False, "versioning": "Suspended"}),
        fake_fact("b3", {"encrypted": True, "scratch": True}),
    ]
    results = _by_key(evaluate(facts, [], _rules(fake_rules_file), NOW))
    assert results[("fake.bucket-encrypted", "b1")].status == "pass"
    assert results[("fake.bucket-encrypted", "b2")].status == "fail"
    assert "observed false" in results[("fake.bucket-encrypted", "b2")].message
    assert results[("fake.bucket-versioned", "b1")].status == "pass"
    assert results[("fake.bucket-versioned", "b2")].status == "fail"
    assert ("fake.bucket-versioned", "b3") not in results  # `where` excludes scratch buckets
    assert results[("fake.bucket-encrypted", "b1")].controls == ("A.8.24",)


def test_scope_error_is_error_never_pass(fake_rules_file: Path) -> None:
    error = CollectionError(
        kinds=("fake.bucket",), scope=FAKE_SCOPE, message="denied", code="AccessDenied", operation="fake:ListBuckets"
    )
    results = evaluate([], [error], _rules(fake_rules_file), NOW, collected_kinds={"fake.bucket"})
    assert {r.status for r in results} == {"error"}
    assert {r.rule for r in results} == {"fake.bucket-encrypted", "fake.bucket-versioned"}
    assert "AccessDenied" in results[0].message and "fake:ListBuckets" in results[0].message


def test_resource_error_overrides_a_passing_fact(fake_rules_file: Path) -> None:
    fact = fake_fact("b1", {"encrypted": True, "versioning": "Enabled"})
    error = CollectionError(kinds=("fake.bucket",), scope=FAKE_SCOPE, message="denied", resource="b1")
    results = _by_key(evaluate([fact], [error], _rules(fake_rules_file), NOW))
    assert results[("fake.bucket-encrypted", "b1")].status == "error"
    assert results[("fake.bucket-versioned", "b1")].status == "error"


def test_collected_kind_without_resources_is_not_applicable(fake_rules_file: Path) -> None:
    results = evaluate([], [], _rules(fake_rules_file), NOW, collected_kinds={"fake.bucket"})
    assert {(r.status, r.resource) for r in results} == {("not_applicable", "-")}
    assert evaluate([], [], _rules(fake_rules_file), NOW, collected_kinds=set()) == []


def test_type_error_in_expression_is_error(tmp_path: Path) -> None:
    path = tmp_path / "r.yaml"
    path.write_text(
        "rules:\n  - {id: t.len, title: t, controls: [A.8.1], fact: fake.bucket, expect: 'length(tags) > `0`',"
        " severity: low, remediation: r}\n"
    )
    (result,) = evaluate([fake_fact("b1", {"tags": None})], [], _rules(path), NOW)
    assert result.status == "error" and "could not be evaluated" in result.message


def test_days_since_uses_evaluation_time(tmp_path: Path) -> None:
    path = tmp_path / "r.yaml"
    path.write_text(
        "rules:\n  - {id: t.age, title: t, controls: [A.5.17], fact: fake.bucket,"
        " expect: 'days_since(rotated) <= `90`', severity: low, remediation: r}\n"
    )
    facts = [
        fake_fact("new", {"rotated": "2026-11-01T00:00:00Z"}),
        fake_fact("old", {"rotated": "2026-01-01T00:00:00+00:00"}),
        fake_fact("never", {"rotated": None}),
    ]
    results = _by_key(evaluate(facts, [], _rules(path), NOW))
    assert results[("t.age", "new")].status == "pass"
    assert results[("t.age", "old")].status == "fail"
    assert results[("t.age", "never")].status == "fail"  # JMESPath: null <= 90 is null, never a pass


def test_rules_without_own_controls_take_them_all_from_the_fact(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text(
        "rules:\n  - id: fake.imported\n    title: t\n    controls: []\n    controls_from: names\n"
        "    fact: fake.bucket\n    expect: ok\n    severity: low\n    remediation: r\n"
    )
    rules = load_rules([path], {"fake.bucket"}, set(load_catalog().ids()))
    facts = [
        fake_fact("arn:a", {"names": ["A.8.24"], "ok": True}),
        fake_fact("arn:b", {"names": ["A.8.24", "A.5.15"], "ok": False}),
        fake_fact("arn:c", {"names": "A.8.24", "ok": True}),  # not a list: error, never a pass
    ]
    got = {r.resource: (r.status, r.controls) for r in evaluate(facts, [], rules, NOW, collected_kinds={"fake.bucket"})}
    assert got["arn:a"] == ("pass", ("A.8.24",))
    assert got["arn:b"] == ("fail", ("A.8.24", "A.5.15"))
    assert got["arn:c"][0] == "error"
    error = CollectionError(kinds=("fake.bucket",), scope=FAKE_SCOPE, message="truncated", code="BadImportFile")
    (unread,) = evaluate([], [error], rules, NOW, collected_kinds={"fake.bucket"})
    assert unread.status == "error" and len(unread.controls) == 93  # it could have evidenced any control


def test_results_whole(fake_rules_file: Path) -> None:
    """Every field of each kind of result, compared whole."""
    from annexa.model import Result

    facts = [
        fake_fact("b1", {"encrypted": True, "versioning": "Enabled"}, at="2026-11-21T01:00:00Z"),
        fake_fact("b2", {"encrypted": False}, at="2026-11-21T01:00:00Z"),
    ]
    error = CollectionError(
        kinds=("fake.bucket",), scope=FAKE_SCOPE, message="denied", code="AccessDenied", operation="fake:Get",
        resource="b3", collected_at="2026-11-21T01:05:00Z",
    )  # fmt: skip
    results = evaluate(facts, [error], _rules(fake_rules_file), NOW, evidence_classes={"fake.bucket": "record"})
    scope = dict(FAKE_SCOPE)
    at = "2026-11-21T01:00:00Z"
    assert [r.to_dict() for r in results] == [
        Result("fake.bucket-encrypted", ("A.8.24",), "fake.bucket", "b1", scope, "pass", "high",
               "satisfied: encrypted == `true`; observed true", at, "record").to_dict(),
        Result("fake.bucket-encrypted", ("A.8.24",), "fake.bucket", "b2", scope, "fail", "high",
               "not satisfied: encrypted == `true`; observed false", at, "record").to_dict(),
        Result("fake.bucket-encrypted", ("A.8.24",), "fake.bucket", "b3", scope, "error", "high",
               "collection failed (fake:Get): AccessDenied: denied", "2026-11-21T01:05:00Z", "record").to_dict(),
        Result("fake.bucket-versioned", ("A.8.13", "A.8.24"), "fake.bucket", "b1", scope, "pass", "medium",
               "satisfied: versioning == 'Enabled'; default applied (absent from the API response): scratch = false",
               at, "record").to_dict(),
        Result("fake.bucket-versioned", ("A.8.13", "A.8.24"), "fake.bucket", "b2", scope, "fail", "medium",
               "not satisfied: versioning == 'Enabled'; default applied (absent from the API response): "
               'scratch = false, versioning = "Disabled"', at, "record").to_dict(),
        Result("fake.bucket-versioned", ("A.8.13", "A.8.24"), "fake.bucket", "b3", scope, "error", "medium",
               "collection failed (fake:Get): AccessDenied: denied", "2026-11-21T01:05:00Z", "record").to_dict(),
    ]  # fmt: skip
    # a second error for the same resource adds to the message once; the same error again adds nothing
    again = CollectionError(
        kinds=("fake.bucket",), scope=FAKE_SCOPE, message="timeout", resource="b3", collected_at="2026-11-21T01:06:00Z"
    )
    results = evaluate([], [error, again, error], _rules(fake_rules_file), NOW)
    assert [r.message for r in results] == [
        "collection failed (fake:Get): AccessDenied: denied; collection failed: timeout",
        "collection failed (fake:Get): AccessDenied: denied; collection failed: timeout",
    ]
    assert {r.collected_at for r in results} == {"2026-11-21T01:05:00Z"}
    (empty, _) = evaluate([], [], _rules(fake_rules_file), NOW, {"fake.bucket"})
    assert empty.to_dict() == Result(
        "fake.bucket-encrypted", ("A.8.24",), "fake.bucket", "-", {}, "not_applicable", "high",
        "no fake.bucket resource matched this rule", "", "automated",
    ).to_dict()  # fmt: skip


def test_scope_errors_without_a_resource_name_the_scope(fake_rules_file: Path) -> None:
    error = CollectionError(kinds=("fake.bucket",), scope=FAKE_SCOPE, message="denied")
    (first, _) = evaluate([], [error], _rules(fake_rules_file), NOW)
    assert (first.resource, first.message) == ("fake/111122223333/eu-west-1", "collection failed: denied")


def test_long_observations_are_cut(tmp_path: Path) -> None:
    path = tmp_path / "r.yaml"
    path.write_text(
        "rules:\n  - {id: t.o, title: t, controls: [A.8.1], fact: fake.bucket, expect: 'x == `1`', observe: x,"
        " severity: low, remediation: r}\n"
    )
    (result,) = evaluate([fake_fact("b", {"x": "y" * 500})], [], _rules(path), NOW)
    observed = result.message.split("; observed ", 1)[1]
    assert len(observed) == 200 and observed.endswith("…") and observed.startswith('"yyy')
    (short,) = evaluate([fake_fact("b", {"x": "y" * 198})], [], _rules(path), NOW)
    assert short.message.endswith('"' + "y" * 198 + '"')  # exactly 200 characters: kept whole
