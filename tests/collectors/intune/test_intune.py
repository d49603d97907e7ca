"""The Intune collector against the loopback Graph fake built from Microsoft's published examples."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from annexa.collectors.base import Context, Target
from annexa.collectors.intune.devices import GRAPH_CALLS, IntuneDevicesCollector
from annexa.demo.intune_fake import DEVICES, POLICIES, TENANT, FakeIntune, demo_tenant, fake_intune, graph_token
from annexa.model import CollectionError, Fact

PERMISSIONS = Path(__file__).resolve().parents[3] / "policies" / "intune-graph-permissions.json"


@pytest.fixture
def intune(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeIntune]:
    monkeypatch.setenv("INTUNE_GRAPH_TOKEN", graph_token())
    with fake_intune() as fake:
        demo_tenant(fake)
        yield fake


def _collect(fake: FakeIntune) -> list[Fact | CollectionError]:
    options = {
        "tenant_id": TENANT,
        "graph_endpoint": fake.graph_endpoint,
        "credential": {"type": "access_token_env", "graph_token_env": "INTUNE_GRAPH_TOKEN"},
    }
    return list(IntuneDevicesCollector().collect(Target("intune", options, 0), Context("run", None)))


def _facts(items: list[Fact | CollectionError]) -> dict[str, Fact]:
    return {item.resource: item for item in items if isinstance(item, Fact)}


def test_devices_and_compliance_policies_are_read_across_pages(intune: FakeIntune) -> None:
    facts = _facts(_collect(intune))
    devices = {r: f for r, f in facts.items() if f.kind == "intune.device"}
    assert len(devices) == 3
    assert [q.get("$skiptoken") for _, path, q in intune.requests if path == DEVICES] == [None, "2"]
    dana = facts[f"{TENANT}:intune/device/705c034c-034c-705c-4c03-5c704c035c73"]
    assert dana.scope == {"provider": "intune", "tenant": TENANT}
    assert dana.data == {
        "owners": ["dana@acme.example"],
        "os": "macOS",
        "os_version": "15.1.1",
        "reported_state": "compliant",
        "compliance_state": "compliant",
        "is_encrypted": True,
        "last_sync": "2026-11-30T08:30:00Z",
        "enrolled": "2025-03-03T09:00:00Z",
        "ownership": "company",
        "management_agent": "mdm",
    }
    windows = facts[f"{TENANT}:intune/compliancePolicy/2919ae62-ae62-2919-62ae-192962ae1929"]
    assert windows.data == {
        "type": "windows10CompliancePolicy",
        "platform": "windows",
        "display_name": "Windows laptops baseline",
        "assigned": True,
        "password_required": True,
        "minutes_inactivity_before_lock": 10,
        "firewall_required": True,
        "antivirus_required": True,
        "encryption_required": True,
        "os_minimum_version": "10.0.22631",
    }
    assert (
        "antivirus_required" not in facts[f"{TENANT}:intune/compliancePolicy/ddbadff3-dff3-ddba-f3df-baddf3dfbadd"].data
    )
    assert facts[f"{TENANT}:intune"].data["devices"] == 3
    assert {method for method, *_ in intune.requests} == {"GET"}


def test_serial_numbers_and_hardware_ids_are_neither_asked_for_nor_kept(intune: FakeIntune) -> None:
    stored = json.dumps([f.data for f in _facts(_collect(intune)).values()])
    for value in ("Serial Number value", "Imei value", "Meid value", "Phone Number value", "Wi Fi Mac Address value"):
        assert value not in stored
    (select,) = {q["$select"] for _, path, q in intune.requests if path == DEVICES}
    assert not {"serialNumber", "imei", "meid", "phoneNumber", "wiFiMacAddress", "deviceName"} & set(select.split(","))


def test_an_unknown_state_is_left_out_so_the_rule_says_error(intune: FakeIntune) -> None:
    intune.devices[0]["complianceState"] = "unknown"
    del intune.devices[0]["isEncrypted"]
    ben = _facts(_collect(intune))[f"{TENANT}:intune/device/705c034c-034c-705c-4c03-5c704c035c71"]
    assert "compliance_state" not in ben.data and "is_encrypted" not in ben.data
    assert ben.data["reported_state"] == "unknown"


def test_a_setting_left_not_configured_is_null_and_unexpanded_assignments_are_unknown(intune: FakeIntune) -> None:
    intune.policies[1]["passwordMinutesOfInactivityBeforeLock"] = None
    intune.policies[1].pop("assignments")
    mac = _facts(_collect(intune))[f"{TENANT}:intune/compliancePolicy/ddbadff3-dff3-ddba-f3df-baddf3dfbadd"]
    assert mac.data["minutes_inactivity_before_lock"] is None
    assert "assigned" not in mac.data


def test_a_missing_permission_is_an_error_for_what_it_guards_only(intune: FakeIntune) -> None:
    intune.deny(DEVICES)
    items = _collect(intune)
    (error,) = [i for i in items if isinstance(i, CollectionError)]
    assert (error.code, error.kinds) == ("Authorization_RequestDenied", ("intune.device", "intune.coverage"))
    assert "Insufficient privileges" in error.message
    assert {f.kind for f in _facts(items).values()} == {"intune.compliance_policy"}


def test_throttling_is_waited_out_with_retry_after(intune: FakeIntune) -> None:
    intune.throttle_once(POLICIES)
    items = _collect(intune)
    assert [i for i in items if isinstance(i, CollectionError)] == []
    assert [path for _, path, _ in intune.requests].count(POLICIES) == 2


def test_the_published_permissions_cover_every_call(intune: FakeIntune) -> None:
    published = json.loads(PERMISSIONS.read_text())
    assert published["calls"] == GRAPH_CALLS
    assert published["application_permissions"] == sorted(set(GRAPH_CALLS.values()))
    assert sorted(IntuneDevicesCollector.permissions) == published["application_permissions"]
    _collect(intune)
    made = {f"GET {path.removeprefix('/graph')}" for _, path, _ in intune.requests}
    assert made == set(published["calls"])


def test_device_facts_survive_redaction_unchanged(intune: FakeIntune) -> None:
    from annexa.evidence_store.redact import redact

    facts = _facts(_collect(intune)).values()
    assert [f.resource for f in facts if redact(f.data) != f.data or redact(f.resource) != f.resource] == []


def test_a_device_without_an_id_is_an_error_for_devices_not_a_crash(intune: FakeIntune) -> None:
    del intune.devices[1]["id"]
    items = _collect(intune)
    (error,) = [i for i in items if isinstance(i, CollectionError)]
    assert (error.code, error.kinds) == ("InvalidResponse", ("intune.device", "intune.coverage"))
    assert len([f for f in _facts(items).values() if f.kind == "intune.device"]) == 2
