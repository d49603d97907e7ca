"""A loopback fake of Microsoft Graph's Intune endpoints, for the demo and the tests.

Bodies come from Microsoft's published Graph examples (demo/data/graph-intune-examples.json names
the pages and commits): the managedDevice list example, windows10CompliancePolicy and
macOSCompliancePolicy, and Graph's error shape, changed only where the demo's story needs it
(ids, owners, operating systems, flags, dates). Collections page by `@odata.nextLink` (`page_size`
items a page, a `$skiptoken`), `throttle_once(path)` answers one request with a 429 and
`Retry-After`, `deny(path)` with 403 `Authorization_RequestDenied`. Only GET is answered.

The demo's tenant (dates as of demo.material.AUTHORED_ON, moved by `shift_days`): ben@acme.example's
Windows laptop (encrypted, compliant) and personal Android phone (not encrypted, noncompliant);
dana@acme.example's MacBook, still managed after she left; a Windows and a macOS compliance policy,
both assigned.
"""

from __future__ import annotations

import base64
import copy
import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from annexa.demo.loopback import serve_json
from annexa.demo.material import shift_dates
from annexa.demo.sources import Served

__all__ = ["EXAMPLES", "FakeIntune", "TENANT", "demo_tenant", "fake_intune", "graph_token", "serve"]

EXAMPLES = json.loads((Path(__file__).parent / "data" / "graph-intune-examples.json").read_text())["examples"]
TENANT = "5f1c2b7e-8d3a-4c6e-9b2f-1a7d3e5c9b40"  # the demo tenant
DEVICES = "/graph/v1.0/deviceManagement/managedDevices"
POLICIES = "/graph/v1.0/deviceManagement/deviceCompliancePolicies"


def _example(name: str) -> Any:
    return copy.deepcopy(EXAMPLES[name])


def graph_token(tenant: str = TENANT, object_id: str = "0b9f4c1e-7a2d-4e8b-a1c3-5d6e7f809a1b") -> str:
    """An unsigned JWT with the claims annexa reads (tid, oid): the fake does not verify signatures."""

    def part(obj: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).decode().rstrip("=")

    claims = {"tid": tenant, "oid": object_id, "aud": "https://graph.microsoft.com", "exp": 4102444800}
    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims)}.c2lnbmF0dXJl"


@dataclass
class FakeIntune:
    devices: list[dict[str, Any]] = field(default_factory=list)
    policies: list[dict[str, Any]] = field(default_factory=list)
    page_size: int = 2
    throttled: set[str] = field(default_factory=set)
    denied: set[str] = field(default_factory=set)
    requests: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)
    url: str = ""

    @property
    def graph_endpoint(self) -> str:
        return f"{self.url}/graph"

    def throttle_once(self, path: str) -> None:
        self.throttled.add(path)

    def deny(self, path: str) -> None:
        self.denied.add(path)

    def respond(self, method: str, path: str, query: dict[str, str], headers: Mapping[str, str]) -> Any:
        self.requests.append((method, path, query))
        if method != "GET":
            return 405, {}, {"error": {"code": "MethodNotAllowed", "message": "annexa must only read"}}
        if not headers.get("Authorization", "").startswith("Bearer "):
            return 401, {}, {"error": {"code": "InvalidAuthenticationToken", "message": "Access token is empty."}}
        if path in self.denied:
            return 403, {}, _example("error-403")
        if path in self.throttled:
            self.throttled.discard(path)
            return 429, {"Retry-After": "1"}, _example("error-429")
        items = {DEVICES: self.devices, POLICIES: self.policies}.get(path)
        if items is None:
            return 404, {}, {"error": {"code": "ResourceNotFound", "message": f"{path} not found"}}
        if path == DEVICES and "$select" in query:
            wanted = set(query["$select"].split(","))
            items = [{k: v for k, v in item.items() if k in wanted or k.startswith("@odata")} for item in items]
        if path == POLICIES and query.get("$expand") != "assignments":
            items = [{k: v for k, v in item.items() if k != "assignments"} for item in items]
        skip = int(query.get("$skiptoken", "0"))
        body: dict[str, Any] = {"value": items[skip : skip + self.page_size]}
        if skip + self.page_size < len(items):
            body["@odata.nextLink"] = f"{self.url}{path}?{urlencode({**query, '$skiptoken': skip + self.page_size})}"
        return 200, {}, body


def _device(number: int, upn: str, os: str, version: str, encrypted: bool, state: str, owner: str, synced: str) -> Any:
    device = _example("managed-device")
    device.update(
        id=f"705c034c-034c-705c-4c03-5c704c035c{70 + number}",
        userPrincipalName=upn,
        operatingSystem=os,
        osVersion=version,
        isEncrypted=encrypted,
        complianceState=state,
        managedDeviceOwnerType=owner,
        lastSyncDateTime=synced,
        enrolledDateTime="2025-03-03T09:00:00Z",
    )
    return device


def _assignment(policy_id: str) -> dict[str, Any]:
    # deviceCompliancePolicyAssignment: an id and a target (all licensed users)
    return {
        "id": f"{policy_id}_assignment",
        "target": {"@odata.type": "#microsoft.graph.allLicensedUsersAssignmentTarget"},
    }


def demo_tenant(fake: FakeIntune, shift_days: int = 0) -> None:
    """The demo organisation's devices and compliance policies (see the module docstring)."""
    fake.devices = [
        _device(
            1, "ben@acme.example", "Windows", "10.0.22631.4460", True, "compliant", "company", "2026-12-01T07:58:00Z"
        ),
        _device(2, "ben@acme.example", "Android", "14", False, "noncompliant", "personal", "2026-11-30T19:20:00Z"),
        _device(3, "dana@acme.example", "macOS", "15.1.1", True, "compliant", "company", "2026-11-30T08:30:00Z"),
    ]
    windows = _example("windows10-compliance-policy")
    windows.update(
        displayName="Windows laptops baseline", osMinimumVersion="10.0.22631", passwordMinutesOfInactivityBeforeLock=10
    )
    mac = _example("macos-compliance-policy")
    mac.update(displayName="macOS laptops baseline", osMinimumVersion="14.0", passwordMinutesOfInactivityBeforeLock=10)
    fake.policies = [{**p, "assignments": [_assignment(p["id"])]} for p in (windows, mac)]
    if shift_days:
        fake.devices = json.loads(shift_dates(json.dumps(fake.devices), shift_days))


@contextmanager
def fake_intune() -> Iterator[FakeIntune]:
    fake = FakeIntune()
    with serve_json(fake.respond) as url:
        fake.url = url
        yield fake


@contextmanager
def serve(shift_days: int) -> Iterator[Served]:
    """The demo's Intune tenant, for demo/sources.py."""
    with fake_intune() as fake:
        demo_tenant(fake, shift_days)
        yield Served(
            "a fake Microsoft Intune tenant (Graph)",
            {"http://127.0.0.1:8771/graph": fake.graph_endpoint},
            {"INTUNE_GRAPH_TOKEN": graph_token()},
        )
