from __future__ import annotations

from pathlib import Path

import pytest

from annexa.errors import UsageError
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
    assert "it may be [] only with `controls_from`" in _error(
        tmp_path, GOOD.replace("controls: [A.8.24]", "controls: []")
    )
