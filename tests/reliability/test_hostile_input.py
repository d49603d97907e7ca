"""Property tests: for thousands of generated inputs, the config and rule loaders and the
JMESPath evaluator either load/evaluate or raise one clear UsageError line; never a
traceback-worthy exception, never a hang."""

from __future__ import annotations

import string
from datetime import datetime, timezone
from pathlib import Path

import yaml
from fakes import FakeCollector, fake_fact
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from annexa.collectors.registry import Registry
from annexa.config import load_config
from annexa.errors import UsageError, UsageErrors
from annexa.mappings.catalog import load_catalog
from annexa.mappings.evaluate import evaluate
from annexa.mappings.jmes import compile_expression
from annexa.mappings.rules import load_rules

CATALOG = load_catalog()
IDS = set(CATALOG.ids())
REGISTRY = Registry(collectors={"fake.buckets": FakeCollector})
NOW = datetime(2026, 11, 22, tzinfo=timezone.utc)
SETTINGS = settings(max_examples=400, deadline=2000, suppress_health_check=[HealthCheck.function_scoped_fixture])

_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-10, 10**12),
    st.floats(allow_nan=True),
    st.text(max_size=20),
    st.sampled_from(["A.8.24", "A.9.9", "fake.bucket", "7d", "0d", "-1h", "high", "x[", "`1`", "s3://b/p", "../.."]),
)
_keys = st.one_of(
    st.sampled_from(
        [
            "store",
            "targets",
            "mappings",
            "scope",
            "max_age",
            "fake",
            "buckets",
            "fail",
            "applicable",
            "justification",
            "owner",
            "rules",
            "id",
            "title",
            "controls",
            "fact",
            "expect",
            "where",
            "observe",
            "severity",
            "remediation",
            "A.7.4",
            "A.8.24",
        ]
    ),
    st.text(string.ascii_letters + "._-", min_size=1, max_size=10),
)
_documents = st.recursive(
    _scalars,
    lambda children: st.one_of(st.lists(children, max_size=4), st.dictionaries(_keys, children, max_size=5)),
    max_leaves=25,
)
_raw_text = st.text(alphabet=string.printable + "äß€\u2028", max_size=300)


def _assert_one_line(err: UsageError, path: Path) -> None:
    """One line per problem (UsageErrors holds every problem of a file, each its own line)."""
    for message in err.lines if isinstance(err, UsageErrors) else [str(err)]:
        assert "\n" not in message.strip()
        assert str(path) in message


def _check_config(tmp_path: Path, text: str) -> None:
    path = tmp_path / "annexa.yaml"
    path.write_text(text, encoding="utf-8")
    try:
        load_config(path, REGISTRY, CATALOG)
    except UsageError as err:
        _assert_one_line(err, path)


def _check_rules(tmp_path: Path, text: str) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text(text, encoding="utf-8")
    try:
        rules = load_rules([path], {"fake.bucket"}, IDS)
    except UsageError as err:
        _assert_one_line(err, path)
        return
    # a rule that loads must evaluate without raising, whatever the fact holds
    facts = [fake_fact("r1", {"encrypted": True}), fake_fact("r2", None), fake_fact("r3", [1, "x", {"a": None}])]
    for result in evaluate(facts, [], rules, NOW, {"fake.bucket"}):
        assert result.status in ("pass", "fail", "error", "not_applicable")


@SETTINGS
@given(document=_documents)
def test_config_loader_structured(tmp_path: Path, document: object) -> None:
    _check_config(tmp_path, yaml.safe_dump(document, allow_unicode=True))


@SETTINGS
@given(document=st.dictionaries(_keys, _documents, max_size=6).map(lambda d: {"targets": [{"fake": d}], **d}))
def test_config_loader_near_valid(tmp_path: Path, document: dict) -> None:
    _check_config(tmp_path, yaml.safe_dump(document, allow_unicode=True))


@SETTINGS
@given(text=_raw_text)
def test_config_loader_raw_text(tmp_path: Path, text: str) -> None:
    _check_config(tmp_path, text)


_rule = st.fixed_dictionaries(
    {
        "id": st.sampled_from(["x.a", "x.b", "Bad Id"]),
        "title": _scalars,
        "controls": _documents,
        "fact": _scalars,
        "expect": st.one_of(_scalars, st.text(string.ascii_letters + "[]{}()|&!=<>.@`'* ", max_size=30)),
        "severity": _scalars,
        "remediation": _scalars,
    },
    optional={
        "where": st.text(string.ascii_letters + "[]{}()|&!=<>.@`' ", max_size=30),
        "observe": _scalars,
        "extra": _scalars,
    },
)


@SETTINGS
@given(rules=st.lists(_rule, max_size=3))
def test_rule_loader_structured(tmp_path: Path, rules: list) -> None:
    _check_rules(tmp_path, yaml.safe_dump({"rules": rules}, allow_unicode=True))


@SETTINGS
@given(text=_raw_text)
def test_rule_loader_raw_text(tmp_path: Path, text: str) -> None:
    _check_rules(tmp_path, text)


_jmes_text = st.text(alphabet=string.ascii_letters + string.digits + "[]{}()|&!=<>.@`'*,:?- _\"", max_size=60)


@SETTINGS
@given(expression=_jmes_text, data=_documents)
def test_jmespath_compile_and_search_never_crash(expression: str, data: object) -> None:
    try:
        compiled = compile_expression(expression)
    except ValueError as err:
        assert "\n" not in str(err)
        return
    try:
        compiled.search(data, NOW)
    except Exception as err:  # noqa: BLE001 - only JMESPath's own errors are acceptable here
        from jmespath.exceptions import JMESPathError

        assert isinstance(err, JMESPathError), repr(err)


def test_yaml_bombs_do_not_hang(tmp_path: Path) -> None:
    """Billion-laughs aliases are shared references, not copies: loading stays small and fast."""
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [*a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}]" for i in range(1, 9)]
    _check_config(tmp_path, "\n".join(lines) + "\ntargets: [{fake: {}}]\n")
    _check_rules(tmp_path, "\n".join(lines) + "\nrules: []\n")


def test_deeply_nested_yaml_is_a_clear_error(tmp_path: Path) -> None:
    _check_config(tmp_path, "targets: " + "[" * 5000 + "]" * 5000 + "\n")
    _check_rules(tmp_path, "rules: " + "{a: " * 3000 + "1" + "}" * 3000 + "\n")
