"""host.yaml against the fixture hosts: hardened passes every rule, weak fails every rule."""

from __future__ import annotations

import json
import re

import jmespath

from annexa.model import Fact

_CONTROL = re.compile(r"^A\.(5\.([1-9]|[12][0-9]|3[0-7])|6\.[1-8]|7\.([1-9]|1[0-4])|8\.([1-9]|[12][0-9]|3[0-4]))$")


def _facts(collect, host_collectors, root) -> dict[str, Fact]:
    facts = {}
    for collector in host_collectors:
        items = collect(collector, root)
        assert len(items) == 1 and isinstance(items[0], Fact), (collector.name, items)
        facts[items[0].kind] = items[0]
    return facts


def _outcomes(facts, rules) -> dict[str, bool | None]:
    """Per rule: True pass, False fail, None not applicable (the evaluator's semantics)."""
    outcomes = {}
    for rule_id, rule in rules.items():
        data = facts[rule["fact"]].data
        if "where" in rule and not jmespath.search(rule["where"], data):
            outcomes[rule_id] = None
        else:
            outcomes[rule_id] = bool(jmespath.search(rule["expect"], data))
    return outcomes


def test_hardened_host_passes_every_rule(collect, host_collectors, host_rules, fixtures_dir):
    facts = _facts(collect, host_collectors, fixtures_dir / "hardened")
    outcomes = _outcomes(facts, host_rules)
    assert outcomes == {rule_id: True for rule_id in host_rules}
    assert facts["host.os"].resource == "host:hardened-01"


def test_weak_host_fails_every_rule(collect, host_collectors, host_rules, fixtures_dir):
    outcomes = _outcomes(_facts(collect, host_collectors, fixtures_dir / "weak"), host_rules)
    assert outcomes == {rule_id: False for rule_id in host_rules}


def test_empty_host_fails_rather_than_passes(collect, host_collectors, host_rules, tree):
    """Nothing configured (a bare container filesystem) must never read as compliant."""
    outcomes = _outcomes(_facts(collect, host_collectors, tree({"/etc/hostname": "bare"})), host_rules)
    sshd_rules = {r for r in host_rules if r.startswith("host.sshd.")}
    assert all(outcomes[r] is None for r in sshd_rules)  # no sshd: nothing to judge
    assert all(outcomes[r] is False for r in set(host_rules) - sshd_rules)


def test_rules_are_well_formed_and_cover_the_collectors(host_rules, host_collectors):
    kinds = {kind for collector in host_collectors for kind in collector.kinds}
    assert len(host_rules) >= 10
    for rule_id, rule in host_rules.items():
        assert rule_id.startswith("host."), rule_id
        assert rule["fact"] in kinds, rule_id
        assert rule["severity"] in ("low", "medium", "high", "critical")
        assert rule["controls"] and all(_CONTROL.match(c) for c in rule["controls"]), rule_id
        assert rule["remediation"].strip() and rule["title"].strip()
        for key in ("where", "expect", "observe"):
            if key in rule:
                jmespath.compile(rule[key])
    assert {r["fact"] for r in host_rules.values()} == kinds - {"host.os"}  # host.os is context only


def test_each_collector_declares_itself(host_collectors):
    assert len(host_collectors) == 8
    for collector in host_collectors:
        assert collector.provider == "host"
        assert collector.kinds == (collector.name,) and collector.name.startswith("host.")
        assert collector.permissions and all(
            p.split()[0] in ("read", "stat", "readlink") for p in collector.permissions
        )
        assert collector.__doc__ and len(collector.__doc__.split()) >= 10, collector.name


def test_collectors_run_on_this_machine(collect, host_collectors):
    """The live root: every collector yields one well-formed fact or a typed error, never raises."""
    for collector in host_collectors:
        items = collect(collector, "/")
        assert len(items) == 1, collector.name
        item = items[0]
        if isinstance(item, Fact):
            assert item.kind == collector.name
            assert item.resource.startswith("host:") and item.scope["provider"] == "host"
            assert item.source.operations and item.source.endpoint is None
            assert isinstance(item.data, dict) and item.data
            json.dumps(item.data)
        else:
            assert item.kinds == collector.kinds and item.code, collector.name
