"""A loopback fake of Fleet's REST API (osquery fleet management), for the demo and the tests.

Bodies come from Fleet's published REST API reference (demo/data/fleet-rest-api-examples.json names
the file and commit): the Get host, List hosts, device mapping, global policy and error examples,
changed only where the demo's story needs it (ids, owners, platforms, flags, dates). Lists page by
`page` and `per_page` as Fleet does; `throttle_once(path)` answers one request with Fleet's 429 and
`retry-after`; `deny(path)` with its 401 body. Only GET is answered: anything else is a 405.

The demo's fleet (dates as of demo.material.AUTHORED_ON, moved by `shift_days`):
host 1 ana@acme.example's Mac (encrypted, every mapped policy passing); host 2 chen@acme.example's
Ubuntu laptop (not encrypted, screen lock and OS updates failing); host 3 a shared Mac with no owner.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from annexa.demo.loopback import serve_json
from annexa.demo.material import shift_dates
from annexa.demo.sources import Served

__all__ = ["EXAMPLES", "FakeFleet", "POLICY_NAMES", "demo_fleet", "fake_fleet", "serve"]

EXAMPLES = json.loads((Path(__file__).parent / "data" / "fleet-rest-api-examples.json").read_text())["examples"]
TOKEN = "fleet-demo-token"  # what the fake accepts; a real token never leaves its host
# The demo organisation's own Fleet policies, by purpose (the target's `policies:` mapping).
POLICY_NAMES = {
    "screen_lock": "Screen lock after 10 minutes",
    "firewall": "Firewall enabled",
    "antivirus": "Antivirus running",
    "removable_storage": "USB mass storage blocked",
    "os_updates": "OS updates applied",
}


def _example(name: str) -> Any:
    return copy.deepcopy(EXAMPLES[name])


@dataclass
class FakeFleet:
    hosts: list[dict[str, Any]] = field(default_factory=list)  # Get host bodies' `host`
    mappings: dict[int, list[dict[str, str]]] = field(default_factory=dict)
    policies: list[dict[str, Any]] = field(default_factory=list)  # global policies
    throttled: set[str] = field(default_factory=set)
    denied: set[str] = field(default_factory=set)
    requests: list[tuple[str, str, dict[str, str], str]] = field(default_factory=list)
    url: str = ""

    def throttle_once(self, path: str) -> None:
        self.throttled.add(path)

    def deny(self, path: str) -> None:
        self.denied.add(path)

    def respond(self, method: str, path: str, query: dict[str, str], headers: Mapping[str, str]) -> Any:
        self.requests.append((method, path, query, headers.get("Authorization", "")))
        if method != "GET":
            return 405, {}, {"message": "annexa must only read"}
        if headers.get("Authorization") != f"Bearer {TOKEN}" or path in self.denied:
            return 401, {}, _example("error-401")
        if path in self.throttled:
            self.throttled.discard(path)
            return 429, {"Retry-After": "1"}, _example("error-429")
        if path == "/api/v1/fleet/me":
            return 200, {}, _example("me")
        if path == "/api/v1/fleet/hosts":
            listed = [self._listed(h, query.get("device_mapping") == "true") for h in self.hosts]
            return 200, {}, {"hosts": _page(listed, query)}
        if path == "/api/v1/fleet/global/policies":
            return 200, {}, {"policies": _page(self.policies, query)}
        parts = path.split("/")
        if len(parts) == 6 and path.startswith("/api/v1/fleet/hosts/") and parts[5].isdigit():
            host = next((h for h in self.hosts if h["id"] == int(parts[5])), None)
            if host is not None:
                return 200, {}, {"host": host}
        return 404, {}, {"message": "Resource Not Found", "errors": [{"name": "base", "reason": "not found"}]}

    def _listed(self, host: Mapping[str, Any], with_mapping: bool) -> dict[str, Any]:
        listed = _example("list-hosts-item")
        listed.update({k: host[k] for k in ("id", "platform", "os_version", "seen_time", "status") if k in host})
        if with_mapping:  # `device_mapping=true`: each host carries its mapping (null when none)
            listed["device_mapping"] = self.mappings.get(host["id"]) or None
        return listed


def _page(items: list[Any], query: Mapping[str, str]) -> list[Any]:
    """Fleet's page-number paging: `page` is 0-based; without `per_page` Fleet returns everything."""
    if "per_page" not in query:
        return items
    size, page = int(query["per_page"]), int(query.get("page", 0))
    return items[page * size : (page + 1) * size]


def _host(
    host_id: int, platform: str, os_version: str, encrypted: bool | None, responses: Mapping[str, str], seen: str
) -> dict[str, Any]:
    host = _example("get-host")
    host.update(
        id=host_id, platform=platform, os_version=os_version, seen_time=seen, last_enrolled_at=seen[:10] + "T09:00:00Z"
    )
    host["disk_encryption_enabled"] = encrypted  # null: Fleet does not know yet
    template = _example("get-host")["policies"][0]
    host["policies"] = [
        {**template, "id": number, "name": POLICY_NAMES[purpose], "response": response, "platform": ""}
        for number, (purpose, response) in enumerate(sorted(responses.items()), start=10)
    ]
    return host


def _owner(email: str) -> list[dict[str, str]]:
    return [{**m, "email": email} for m in _example("device-mapping")["device_mapping"][:1]]


def demo_fleet(fake: FakeFleet, shift_days: int = 0) -> None:
    """The demo organisation's three hosts (see the module docstring)."""
    every = dict.fromkeys(POLICY_NAMES, "pass")
    fake.hosts = [
        _host(1, "darwin", "macOS 15.1.1", True, every, "2026-12-01T08:12:00Z"),
        _host(
            2,
            "ubuntu",
            "Ubuntu 24.04.1 LTS",
            False,
            {**every, "screen_lock": "fail", "os_updates": "fail"},
            "2026-11-30T17:40:00Z",
        ),
        _host(3, "darwin", "macOS 14.7.1", True, every, "2026-11-29T11:05:00Z"),
    ]
    fake.mappings = {1: _owner("ana@acme.example"), 2: _owner("chen@acme.example")}
    template = _example("global-policy")
    fake.policies = [
        {**template, "id": number, "name": name, "platform": ""}
        for number, name in enumerate(sorted(POLICY_NAMES.values()), start=10)
    ]
    if shift_days:
        fake.hosts = json.loads(shift_dates(json.dumps(fake.hosts), shift_days))


@contextmanager
def fake_fleet() -> Iterator[FakeFleet]:
    fake = FakeFleet()
    with serve_json(fake.respond) as url:
        fake.url = url
        yield fake


@contextmanager
def serve(shift_days: int) -> Iterator[Served]:
    """The demo's Fleet server, for demo/sources.py."""
    with fake_fleet() as fake:
        demo_fleet(fake, shift_days)
        yield Served("a fake Fleet (osquery) server", {"http://127.0.0.1:8772": fake.url}, {"FLEET_API_TOKEN": TOKEN})
