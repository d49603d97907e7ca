from __future__ import annotations

from pathlib import Path

import pytest

from annexa.errors import UsageError, UsageErrors
from annexa.mappings.catalog import load_catalog
from annexa.mappings.rules import builtin_rule_files, load_rules

KINDS = {"fake.bucket"}
IDS = set(load_catalog().ids())

GOOD = """\
rules:
  - id: fake.ok
    title: A rule
    controls: [A.8.24]
    fact: fake.bucket
    expect: "encrypted"
    severity: low
    remediation: Fix it.
"""


def _load(tmp_path: Path, text: str) -> list:
    path = tmp_path / "rules.yaml"
    path.write_text(text)
    return load_rules([path], KINDS, IDS)


def _error(tmp_path: Path, text: str) -> str:
    with pytest.raises(UsageError) as info:
        _load(tmp_path, text)
    message = str(info.value)
    assert "\n" not in message
    return message


def test_valid_rule_loads(tmp_path: Path) -> None:
    (rule,) = _load(tmp_path, GOOD)
    assert rule.id == "fake.ok" and rule.controls == ("A.8.24",) and rule.expect.text == "encrypted"
    assert rule.origin.endswith("rules.yaml:2")
    assert rule.rationale == ""  # user rule files may leave `rationale:` out (built-in ones may not)


@pytest.mark.parametrize(
    ("change", "line", "needle"),
    [
        (("controls: [A.8.24]", "controls: [A.8.99]"), 4, "unknown Annex A 2022 control id 'A.8.99'"),
        (("fact: fake.bucket", "fact: fake.bukket"), 5, "unknown fact kind 'fake.bukket'"),
        (('expect: "encrypted"', 'expect: "encrypted ==="'), 6, "invalid JMESPath in 'expect'"),
        (('expect: "encrypted"', 'expect: "nosuch(encrypted)"'), 6, "Unknown function"),
        # `!a.b` is `(!a).b`, always null: a filter on it matches nothing and a count of offenders passes.
        (('expect: "encrypted"', 'expect: "length(keys[?!rotation.enabled]) == `0`"'), 6, "write `!(a.b)`"),
        (('expect: "encrypted"', 'expect: "!policy.public | `true`"'), 6, "`!policy` is negated before"),
        (("severity: low", "severity: urgent"), 7, "severity 'urgent' is not one of"),
        (("remediation: Fix it.", "remediation: Fix it.\n    remedy: x"), 9, "unknown rule key 'remedy'"),
        (("title: A rule", "title: A rule\n    title: Again"), 4, "duplicate key 'title'"),
        (("    remediation: Fix it.\n", ""), 2, "missing required key 'remediation'"),
        (("id: fake.ok", "id: Fake OK"), 2, "must be lowercase"),
        (("rules:", "rulez:"), 1, "top-level `rules:`"),
    ],
)
def test_errors_name_file_and_line(tmp_path: Path, change: tuple[str, str], line: int, needle: str) -> None:
    message = _error(tmp_path, GOOD.replace(*change))
    assert f"rules.yaml:{line}:" in message
    assert needle in message


def test_duplicate_rule_ids_across_files(tmp_path: Path) -> None:
    a, b = tmp_path / "a.yaml", tmp_path / "b.yaml"
    a.write_text(GOOD)
    b.write_text("\n\n" + GOOD)
    with pytest.raises(UsageError, match=r"b\.yaml:4: duplicate rule id 'fake\.ok' \(first defined at .*a\.yaml:2\)"):
        load_rules([a, b], KINDS, IDS)


def test_yaml_syntax_error_names_line(tmp_path: Path) -> None:
    message = _error(tmp_path, GOOD + "  - id: [unclosed\n")
    assert "rules.yaml:" in message


def test_builtin_rules_reference_known_controls_and_kinds() -> None:
    """The whole shipped rule set loads against the registered collectors' kinds."""
    from annexa.collectors.registry import load_registry

    registry = load_registry()
    rules = load_rules(builtin_rule_files(), registry.kinds(), IDS)
    assert rules, "annexa ships rules"
    for rule in rules:
        assert rule.remediation and rule.title
        assert rule.fact.split(".")[0] in registry.providers()


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ("    controls_from: 'claims[?'\n", "invalid JMESPath in 'controls_from'"),
        ("    join: {fact: fake.nope, key: a, match: b}\n", "unknown fact kind 'fake.nope' in `join`"),
        ("    join: {fact: fake.bucket, key: a, match: b}\n", "cannot join its own fact kind"),
        ("    join: {fact: fake.user, key: a}\n", "`join` must be a mapping with exactly fact, key, match"),
        ("    join: {fact: fake.user, key: a, match: 'b['}\n", "invalid JMESPath in 'join.match'"),
    ],
)
def test_controls_from_and_join_are_validated(tmp_path: Path, extra: str, expected: str) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text(GOOD + extra)
    with pytest.raises(UsageError) as info:
        load_rules([path], KINDS | {"fake.user"}, IDS)
    assert expected in str(info.value) and f"{path}:" in str(info.value)


def test_controls_may_be_empty_only_with_controls_from(tmp_path: Path) -> None:
    (rule,) = _load(tmp_path, GOOD.replace("controls: [A.8.24]", "controls: []") + "    controls_from: names\n")
    assert rule.controls == () and rule.controls_from is not None
    assert "it may be [] only with `controls_from` or `clauses`" in _error(
        tmp_path, GOOD.replace("controls: [A.8.24]", "controls: []")
    )


def test_clauses_name_iso_27001_clauses_and_are_stored_with_the_rule(tmp_path: Path) -> None:
    (rule,) = _load(tmp_path, GOOD.replace("controls: [A.8.24]", 'controls: []\n    clauses: ["9.2", "6.1.2"]'))
    assert (rule.controls, rule.clauses, rule.to_dict()["clauses"]) == ((), ("9.2", "6.1.2"), ["9.2", "6.1.2"])
    for bad in ('["A.5.1"]', '["11.1"]', "9.2"):
        message = _error(tmp_path, GOOD.replace("controls: [A.8.24]", f"controls: []\n    clauses: {bad}"))
        assert "rules.yaml:5: `clauses` must be a list of ISO/IEC 27001 clauses such as 9.2 or 6.1.2" in message


def _rule(n: int, body: str) -> str:
    return (
        f"  - id: fake.r{n}\n    title: Rule {n}\n    controls: [A.8.24]\n    fact: fake.bucket\n"
        f"    expect: encrypted\n    severity: low\n    remediation: Fix it.\n{body}"
    )


def test_every_error_of_a_file_is_reported_in_one_pass(tmp_path: Path) -> None:
    text = "rules:\n" + "".join(
        [
            _rule(1, "    severty: high\n"),  # line 2, the bad key on line 9
            _rule(2, ""),  # fine: still loaded past the bad rule
            GOOD.replace("rules:\n", "").replace("A.8.24", "A.9.2.3"),  # line 17, controls on line 19
            GOOD.replace("rules:\n", "").replace("fake.ok", "fake.r2").replace("A.8.24", "A.8.204"),
        ]
    )
    with pytest.raises(UsageErrors) as info:
        _load(tmp_path, text)
    path = tmp_path / "rules.yaml"
    assert info.value.lines == [
        f"{path}:9: unknown rule key 'severty' (did you mean 'severity'?) (allowed: id, title, controls, fact, "
        "expect, severity, remediation, where, observe, controls_from, join, rationale, defaults, clauses)",
        f"{path}:19: unknown Annex A 2022 control id 'A.9.2.3': an ISO/IEC 27001:2013 id; in 2022 it is A.8.2 "
        "(ISO/IEC 27002:2022 Annex B)",
        f"{path}:26: unknown Annex A 2022 control id 'A.8.204' (did you mean 'A.8.24'?)",
    ]


def test_errors_stop_at_a_limit_with_a_count(tmp_path: Path) -> None:
    text = "rules:\n" + "".join(_rule(n, "    severty: high\n") for n in range(25))
    with pytest.raises(UsageErrors) as info:
        _load(tmp_path, text)
    assert len(info.value.lines) == 21
    assert info.value.lines[-1] == "... and 5 more problems"
    assert all("unknown rule key 'severty'" in line for line in info.value.lines[:20])


def test_a_2013_id_without_a_verified_mapping_points_to_annex_b(tmp_path: Path) -> None:
    message = _error(tmp_path, GOOD.replace("A.8.24", "A.13.2.1"))
    assert message.endswith(
        "unknown Annex A 2022 control id 'A.13.2.1': an ISO/IEC 27001:2013 id; see ISO/IEC 27002:2022 Annex B "
        "for its 2022 id"
    )


def test_the_2013_mapping_names_only_2022_ids_and_2013_ids() -> None:
    from annexa.mappings.legacy_ids import iso2013_to_2022

    mapping = iso2013_to_2022()
    assert len(mapping) == 102  # 114 controls in 2013; 12 left to the generic hint (see the file)
    assert {new for news in mapping.values() for new in news} <= IDS
    assert all(old.count(".") == 3 for old in mapping)
    assert (mapping["A.9.2.3"], mapping["A.12.4.1"], mapping["A.17.2.1"]) == (("A.8.2",), ("A.8.15",), ("A.8.14",))
    assert "A.13.2.1" not in mapping and "A.6.1.3" not in mapping
