"""The Fleet devices collector against the loopback fake built from Fleet's REST API reference."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timezone
from typing import Any

import pytest

from annexa.collectors.base import Context, Target
from annexa.collectors.fleet.devices import FleetDevicesCollector
from annexa.collectors.registry import load_registry
from annexa.demo.fleet_fake import POLICY_NAMES, TOKEN, FakeFleet, demo_fleet, fake_fleet
from annexa.mappings.catalog import load_catalog
from annexa.mappings.evaluate import evaluate
from annexa.mappings.rules import builtin_rule_files, load_rules
from annexa.model import CollectionError, Fact


@pytest.fixture
def fleet(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeFleet]:
    monkeypatch.setenv("FLEET_API_TOKEN", TOKEN)
    with fake_fleet() as fake:
        demo_fleet(fake)
        yield fake


def _collect(fake: FakeFleet, **options: Any) -> list[Fact | CollectionError]:
    target = Target("fleet", {"base_url": fake.url, "name": "acme", "policies": POLICY_NAMES, **options}, 0)
    return list(FleetDevicesCollector().collect(target, Context("run", None)))


def _facts(items: list[Fact | CollectionError]) -> dict[str, Fact]:
    return {item.resource: item for item in items if isinstance(item, Fact)}


def test_each_host_becomes_a_device_with_its_mapped_policies(fleet: FakeFleet) -> None:
    facts = _facts(_collect(fleet))
    assert sorted(facts) == ["fleet:acme", "fleet:acme/host/1", "fleet:acme/host/2", "fleet:acme/host/3"]
    chen = facts["fleet:acme/host/2"]
    assert chen.kind == "fleet.device" and chen.scope == {"provider": "fleet", "org": "acme"}
    assert chen.data["owners"] == ["chen@acme.example"]
    assert chen.data["disk_encryption_enabled"] is False
    assert chen.data["policies"] == {
        "antivirus": "pass",
        "firewall": "pass",
        "os_updates": "fail",
        "removable_storage": "pass",
        "screen_lock": "fail",
    }
    assert (chen.data["platform"], chen.data["os_version"]) == ("ubuntu", "Ubuntu 24.04.1 LTS")
    assert facts["fleet:acme/host/3"].data["owners"] == []
    assert facts["fleet:acme"].data == {
        "devices": 3,
        "devices_read": 3,
        "with_owner": 2,
        "owners": 2,
        "reporting_days": 7,
        "reporting": facts["fleet:acme"].data["reporting"],  # depends on today: the demo's dates are fixed here
        "policies_not_global": [],
    }


def test_no_serial_numbers_addresses_or_locations_are_kept(fleet: FakeFleet) -> None:
    stored = json.dumps([f.data for f in _facts(_collect(fleet)).values()])
    # the Get host example carries these; none may reach the evidence
    for value in ("172.27.0.6", "02:42:ac:1b:00:06", "New York", "309a4b7d", "hardware_serial", "geolocation"):
        assert value not in stored


def test_hosts_are_read_page_by_page_until_a_short_page(fleet: FakeFleet) -> None:
    assert len(_facts(_collect(fleet, per_page=2))) == 4
    pages = [q["page"] for method, path, q, _ in fleet.requests if path == "/api/v1/fleet/hosts"]
    assert pages == ["0", "1"]
    assert {method for method, *_ in fleet.requests} == {"GET"}
    assert {auth for *_, auth in fleet.requests} == {f"Bearer {TOKEN}"}


def test_an_unknown_encryption_state_or_an_unanswered_policy_is_an_error_never_a_pass(fleet: FakeFleet) -> None:
    fleet.hosts[0]["disk_encryption_enabled"] = None
    fleet.hosts[0]["policies"][0]["response"] = ""  # antivirus: not answered yet
    facts = _facts(_collect(fleet))
    ana = facts["fleet:acme/host/1"]
    assert "disk_encryption_enabled" not in ana.data and "antivirus" not in ana.data["policies"]
    assert ana.data["unknown"] == {"antivirus": "the host has not answered the mapped policy yet"}
    registry = load_registry()
    rules = load_rules(builtin_rule_files(), registry.kinds(), set(load_catalog().ids()))
    results = {
        r.rule: r.status
        for r in evaluate(facts.values(), [], rules, datetime.now(timezone.utc), {"fleet.device", "fleet.coverage"})
        if r.resource == "fleet:acme/host/1"
    }
    assert results["fleet.device-disk-encrypted"] == "error"
    assert results["fleet.device-antivirus"] == "error"
    assert results["fleet.device-firewall"] == "pass"


def test_a_purpose_the_target_does_not_map_is_not_judged(fleet: FakeFleet) -> None:
    facts = _facts(_collect(fleet, policies={"screen_lock": POLICY_NAMES["screen_lock"]}))
    assert facts["fleet:acme/host/1"].data["mapped"] == ["screen_lock"]
    assert facts["fleet:acme/host/1"].data["policies"] == {"screen_lock": "pass"}


def test_a_rate_limit_is_waited_out_and_retried(fleet: FakeFleet) -> None:
    fleet.throttle_once("/api/v1/fleet/hosts")
    items = _collect(fleet)
    assert [i for i in items if isinstance(i, CollectionError)] == []
    assert [path for _, path, *_ in fleet.requests].count("/api/v1/fleet/hosts") == 2


def test_a_refused_token_is_one_error_for_every_kind(fleet: FakeFleet) -> None:
    fleet.deny("/api/v1/fleet/me")
    (error,) = _collect(fleet)
    assert isinstance(error, CollectionError)
    assert (error.code, error.kinds, error.message) == (
        "unauthorized",
        ("fleet.device", "fleet.coverage"),
        "Authentication failed",
    )


def test_a_host_that_cannot_be_read_is_an_error_for_that_host_only(fleet: FakeFleet) -> None:
    fleet.deny("/api/v1/fleet/hosts/2")
    items = _collect(fleet)
    errors = [i for i in items if isinstance(i, CollectionError)]
    assert [(e.resource, e.kinds, e.code) for e in errors] == [("fleet:acme/host/2", ("fleet.device",), "unauthorized")]
    assert len(_facts(items)) == 3


def test_without_a_token_nothing_is_called(fleet: FakeFleet, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FLEET_API_TOKEN")
    (error,) = _collect(fleet)
    assert isinstance(error, CollectionError) and error.code == "no_credentials"
    assert fleet.requests == []


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({}, "base_url is required"),
        ({"base_url": "http://fleet.example.com"}, "must use https://"),
        ({"base_url": "https://fleet.example.com", "policies": {"disk": "x"}}, "unknown purpose 'disk'"),
        ({"base_url": "https://fleet.example.com", "policies": {"firewall": []}}, "must name a Fleet policy"),
    ],
)
def test_bad_options_are_refused_when_the_config_is_loaded(options: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        FleetDevicesCollector.check_options(options)


def test_device_facts_survive_redaction_unchanged(fleet: FakeFleet) -> None:
    from annexa.evidence_store.redact import redact

    facts = _facts(_collect(fleet)).values()
    assert [f.resource for f in facts if redact(f.data) != f.data or redact(f.resource) != f.resource] == []


def test_a_malformed_host_is_an_error_not_a_crash(fleet: FakeFleet) -> None:
    fleet.hosts[1]["id"] = "two"  # listed with a non-numeric id
    items = _collect(fleet)
    errors = [i for i in items if isinstance(i, CollectionError)]
    assert [(e.code, e.kinds) for e in errors] == [("bad_response", ("fleet.device",))]
    assert sorted(_facts(items)) == ["fleet:acme", "fleet:acme/host/1", "fleet:acme/host/3"]
