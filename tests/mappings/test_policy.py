"""`policy:` settings: one organisation decision that every rule needing it reads through `policy(name)`."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from annexa.collectors.registry import load_registry
from annexa.errors import UsageError
from annexa.mappings.catalog import load_catalog
from annexa.mappings.evaluate import evaluate
from annexa.mappings.policy import POLICY_DEFAULTS, parse_policy, policy_record
from annexa.mappings.rules import builtin_rule_files, load_rules
from annexa.mappings.scope import ScopeError
from annexa.model import Fact, Source

NOW = datetime(2026, 11, 22, tzinfo=timezone.utc)
TAGS = {"owner_tag": "owner", "classification_tag": "data-classification"}  # the tag keys' defaults
HOST, AZURE = "host.login-defs.password-max-age", "azure.entra.password-expiry-policy"


@pytest.mark.parametrize(
    ("node", "expected"),
    [
        (None, {**TAGS, "password_max_age_days": None}),
        ({}, {**TAGS, "password_max_age_days": None}),
        ({"password_max_age_days": "none"}, {**TAGS, "password_max_age_days": None}),
        ({"password_max_age_days": "None"}, {**TAGS, "password_max_age_days": None}),
        ({"password_max_age_days": None}, {**TAGS, "password_max_age_days": None}),
        ({"password_max_age_days": 90}, {**TAGS, "password_max_age_days": 90}),
        ({"password_max_age_days": 1}, {**TAGS, "password_max_age_days": 1}),
        ({"password_max_age_days": 3650}, {**TAGS, "password_max_age_days": 3650}),
    ],
)
def test_policy_values(node: Any, expected: dict[str, Any]) -> None:
    assert parse_policy(node) == expected
    assert parse_policy(policy_record(expected)) == expected  # the stored record parses back the same


def test_the_record_spells_none_out() -> None:
    assert policy_record(POLICY_DEFAULTS) == {**TAGS, "password_max_age_days": "none"}
    assert policy_record({"password_max_age_days": 60}) == {"password_max_age_days": 60}


def test_tag_keys_are_the_organisations_choice() -> None:
    assert parse_policy({"owner_tag": "Owner"})["owner_tag"] == "Owner"  # AWS tag keys are case-sensitive
    with pytest.raises(ScopeError, match="policy classification_tag must be a tag key"):
        parse_policy({"classification_tag": ""})


@pytest.mark.parametrize(
    ("node", "needle"),
    [
        ({"password_max_age_days": 0}, "not 0"),
        ({"password_max_age_days": -1}, "not -1"),
        ({"password_max_age_days": 3651}, "from 1 to 3650"),
        ({"password_max_age_days": True}, "not True"),
        ({"password_max_age_days": "90"}, "not '90'"),
        ({"password_max_age_days": 90.5}, "not 90.5"),
        ({"password_max_age": 90}, "unknown policy key 'password_max_age'"),
        ([1], "`policy` must be a mapping"),
    ],
)
def test_bad_policy_values_are_rejected(node: Any, needle: str) -> None:
    with pytest.raises(ScopeError) as info:
        parse_policy(node)
    assert needle in info.value.message


def test_a_rule_naming_an_unknown_policy_setting_fails_at_load(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text(
        "rules:\n  - id: x.y\n    title: T\n    controls: [A.5.17]\n    fact: host.login_defs\n"
        "    expect: \"pass_max_days <= policy('password_max_days')\"\n    severity: low\n    remediation: R\n"
    )
    with pytest.raises(UsageError) as info:
        load_rules([path], {"host.login_defs"}, set(load_catalog().ids()))
    assert f"{path}:6:" in str(info.value) and "policy('password_max_days'): not a policy setting" in str(info.value)


def _judge(policy: dict[str, Any] | None, host_max_days: int, azure_days: int | None) -> dict[str, str]:
    rules = [
        r
        for r in load_rules(builtin_rule_files(), load_registry().kinds(), set(load_catalog().ids()))
        if r.id in (HOST, AZURE)
    ]
    source = Source(operations=("read /etc/login.defs",), principal="test")
    facts = [
        Fact(
            kind="host.login_defs",
            resource="host:h1",
            scope={"provider": "host"},
            data={"present": True, "pass_max_days": host_max_days, "unparsable": []},
            source=source,
        ),
        Fact(
            kind="azure.entra.domain",
            resource="t:domain/example.com",
            scope={"provider": "azure"},
            data={
                "name": "example.com",
                "is_verified": True,
                "authentication_type": "Managed",
                "password_validity_period_days": azure_days,
            },
            source=source,
        ),
    ]
    results = evaluate(facts, (), rules, NOW, {"host.login_defs", "azure.entra.domain"}, policy=policy)
    return {r.rule: r.status for r in results}


NEVER = 2147483647  # Entra ID's "never expire"


@pytest.mark.parametrize(
    ("policy", "host_days", "azure_days", "host", "azure"),
    [
        # `none` (the default): no periodic expiry on either side
        (None, -1, NEVER, "pass", "pass"),
        (None, 99999, NEVER, "pass", "pass"),
        ({"password_max_age_days": None}, 365, 90, "fail", "fail"),
        (None, 0, None, "fail", "fail"),  # null: the domain default (90 days), not "never"
        # a number N: both must expire passwords within N days
        ({"password_max_age_days": 90}, 90, 90, "pass", "pass"),
        ({"password_max_age_days": 90}, 60, 30, "pass", "pass"),
        ({"password_max_age_days": 90}, 91, 91, "fail", "fail"),
        ({"password_max_age_days": 90}, 99999, NEVER, "fail", "fail"),
        ({"password_max_age_days": 90}, -1, None, "fail", "fail"),  # null is never assumed to be within N
        ({"password_max_age_days": 90}, 0, 90, "fail", "pass"),  # PASS_MAX_DAYS 0 is not a maximum age
    ],
)
def test_host_and_entra_password_expiry_follow_the_same_policy(
    policy: dict[str, Any] | None, host_days: int, azure_days: int | None, host: str, azure: str
) -> None:
    assert _judge(policy, host_days, azure_days) == {HOST: host, AZURE: azure}


def test_the_result_message_shows_the_policy_it_was_judged_against() -> None:
    rules = [
        r for r in load_rules(builtin_rule_files(), load_registry().kinds(), set(load_catalog().ids())) if r.id == HOST
    ]
    fact = Fact(
        kind="host.login_defs",
        resource="host:h1",
        scope={"provider": "host"},
        data={"present": True, "pass_max_days": 400, "unparsable": []},
        source=Source(operations=("read /etc/login.defs",), principal="test"),
    )
    (result,) = evaluate([fact], (), rules, NOW, {"host.login_defs"}, policy={"password_max_age_days": 365})
    assert result.status == "fail"
    assert result.message.endswith(
        'observed {"pass_max_days": 400, "policy_max_age_days": 365, "present": true, "unparsable": []}'
    )
