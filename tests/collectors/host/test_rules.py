"""host.yaml judged by the real evaluator on whole hosts built from Debian 12 package files
(fixtures/hardened and fixtures/weak, see their SOURCES.md)."""

from __future__ import annotations

import json
import re
from datetime import datetime, timezone

from annexa.collectors.registry import load_registry
from annexa.mappings.catalog import load_catalog
from annexa.mappings.evaluate import evaluate
from annexa.mappings.rules import builtin_rule_files, load_rules
from annexa.model import CollectionError, Fact

_CONTROL = re.compile(r"^A\.(5\.([1-9]|[12][0-9]|3[0-7])|6\.[1-8]|7\.([1-9]|1[0-4])|8\.([1-9]|[12][0-9]|3[0-4]))$")
NOW = datetime(2026, 11, 22, tzinfo=timezone.utc)


def _results(collect, host_collectors, root, policy=None) -> dict[str, str]:
    """Rule id -> status for one host, collection errors included (as a run evaluates them);
    `policy`: the organisation policy settings (None: the defaults, no periodic password expiry)."""
    facts, errors = [], []
    for collector in host_collectors:
        for item in collect(collector, root):
            (facts if isinstance(item, Fact) else errors).append(item)
    rules = [
        r
        for r in load_rules(builtin_rule_files(), load_registry().kinds(), set(load_catalog().ids()))
        if r.id.startswith("host.")
    ]
    kinds = {kind for c in host_collectors for kind in c.kinds}
    return {r.rule: r.status for r in evaluate(facts, errors, rules, NOW, kinds, policy=policy)}


def test_hardened_host_passes_every_rule(collect, host_collectors, host_rules, fixtures_dir):
    """The hardened host follows a password policy of expiry within 365 days (PASS_MAX_DAYS 365)."""
    policy = {"password_max_age_days": 365}
    assert _results(collect, host_collectors, fixtures_dir / "hardened", policy) == {
        rule: "pass" for rule in host_rules
    }


def test_password_expiry_is_judged_against_the_organisation_policy(collect, host_collectors, fixtures_dir):
    """One policy key decides: `none` wants no periodic expiry (-1 or 99999), N wants 1..N days."""
    rule = "host.login-defs.password-max-age"
    hardened, weak = fixtures_dir / "hardened", fixtures_dir / "weak"  # PASS_MAX_DAYS 365 and 99999
    assert _results(collect, host_collectors, hardened)[rule] == "fail"
    assert _results(collect, host_collectors, weak)[rule] == "pass"
    assert _results(collect, host_collectors, weak, {"password_max_age_days": 365})[rule] == "fail"
    assert _results(collect, host_collectors, hardened, {"password_max_age_days": 364})[rule] == "fail"


def test_weak_host(collect, host_collectors, host_rules, fixtures_dir):
    """Debian 12 defaults as a container image, root login allowed through debconf."""
    assert _results(collect, host_collectors, fixtures_dir / "weak") == {
        "host.sshd.root-login-disabled": "fail",  # PermitRootLogin yes
        "host.sshd.password-auth-disabled": "fail",  # PasswordAuthentication defaults to yes
        "host.sshd.no-empty-passwords": "pass",  # PermitEmptyPasswords defaults to no
        "host.login-defs.password-max-age": "pass",  # PASS_MAX_DAYS 99999: no expiry, the default policy
        "host.login-defs.password-hashing": "pass",  # ENCRYPT_METHOD SHA512
        "host.time-sync.enabled": "fail",  # timesyncd does not run in a container
        "host.auto-updates.enabled": "fail",  # unattended-upgrades not installed
        "host.auditd.enabled-with-rules": "fail",  # no audit rules
        "host.firewall.default-deny": "fail",  # nftables not enabled, ufw ENABLED=no
        "host.disk-encryption.root": "error",  # no /etc/fstab in a container image: files cannot tell
    }


def test_empty_host_never_passes(collect, host_collectors, host_rules, tree):
    """Nothing configured (a bare container filesystem) must never read as compliant."""
    results = _results(collect, host_collectors, tree({"/etc/hostname": "bare"}))
    assert {r for r, s in results.items() if s == "pass"} == set()
    assert {r for r in host_rules if r.startswith("host.sshd.")} <= {
        r for r, s in results.items() if s == "not_applicable"
    }


def test_rules_are_well_formed_and_cover_the_collectors(host_rules, host_collectors):
    kinds = {kind for collector in host_collectors for kind in collector.kinds}
    assert len(host_rules) >= 10
    for rule_id, rule in host_rules.items():
        assert rule_id.startswith("host.") and rule["fact"] in kinds, rule_id
        assert rule["severity"] in ("low", "medium", "high", "critical")
        assert rule["controls"] and all(_CONTROL.match(c) for c in rule["controls"]), rule_id
        assert rule["remediation"].strip() and rule["title"].strip()
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
    """The live root: every collector yields a well-formed fact, a typed error, or a fact and the
    error saying why files cannot settle it; it never raises."""
    for collector in host_collectors:
        items = collect(collector, "/")
        assert 1 <= len(items) <= 2, collector.name
        facts = [i for i in items if isinstance(i, Fact)]
        errors = [i for i in items if isinstance(i, CollectionError)]
        for item in facts:
            assert item.kind == collector.name
            assert item.resource.startswith("host:") and item.scope["provider"] == "host"
            assert item.source.operations and item.source.endpoint is None
            assert isinstance(item.data, dict) and item.data
            json.dumps(item.data)
        for error in errors:
            assert error.kinds == collector.kinds and error.code, collector.name
        if len(items) == 2:
            assert facts and errors[0].code == "undetermined" and errors[0].resource == facts[0].resource
