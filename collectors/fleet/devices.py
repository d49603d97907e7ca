"""The Fleet devices collector: every enrolled host's encryption, OS, owner and mapped policies."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import timedelta
from typing import Any, ClassVar
from urllib.parse import urlsplit

from annexa.collectors.base import Collector, Context, Target
from annexa.collectors.fleet.client import FleetClient, FleetError, check_base_url
from annexa.model import CollectionError, Fact, Source, parse_timestamp, utc_now

__all__ = ["FleetDevicesCollector", "PURPOSES"]

DEVICE = "fleet.device"
COVERAGE = "fleet.coverage"
_KINDS = (DEVICE, COVERAGE)
# What an organisation's own Fleet policies can prove, by name (`policies:` maps each purpose to the
# names of the policies that check it; Fleet policy names are the organisation's own).
PURPOSES = ("screen_lock", "firewall", "antivirus", "removable_storage", "os_updates")
# Fleet's per-host policy `response`: "pass", "fail", or "" while the host has not answered it yet.
_RESPONSES = ("pass", "fail")
_REPORTING_DAYS = 7  # the coverage fact counts hosts seen within this many days


def _names(value: Any) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


class FleetDevicesCollector(Collector):
    """Every host enrolled in a Fleet server (osquery), read through Fleet's REST API.

    `fleet.device` (`fleet:<name>/host/<id>`): `platform`, `os_version`, `owners` (the e-mail
    addresses Fleet maps to the host: identity provider, Chrome profiles, custom), `status`,
    `seen_time`, `last_enrolled_at`, `mdm_enrollment_status`, `disk_encryption_enabled` (left out
    when Fleet does not know it: a rule then says `error`, never pass), and `policies`: for each
    purpose the target maps (`policies: {screen_lock: [names], firewall: ..., antivirus: ...,
    removable_storage: ..., os_updates: ...}`), `pass` when every mapped policy the host answered
    passed, `fail` when one failed; left out (with the reason in `unknown`) when the host has not
    answered any of them. `mapped` lists the purposes the target maps.
    `fleet.coverage` (`fleet:<name>`): how many hosts are enrolled, have an owner and were seen in
    the last 7 days, and which mapped policy names are not global policies (team policies, or typos).
    No serial numbers, hardware ids, IP or MAC addresses or locations are kept.
    """

    name = "fleet.devices"
    provider = "fleet"
    kinds = _KINDS
    permissions = (
        "a Fleet API-only user with the Observer role (global, or per team): "
        "GET /api/v1/fleet/hosts, /hosts/:id, /global/policies",
    )
    max_age = timedelta(days=2)
    target_options: ClassVar[Mapping[str, type | tuple[type, ...]]] = {
        "base_url": str,
        "token_env": str,
        "name": str,
        "policies": dict,
        "max_wait_seconds": int,
        "per_page": int,
    }

    @classmethod
    def check_options(cls, options: Mapping[str, Any]) -> None:
        if "base_url" not in options:
            raise ValueError("base_url is required (your Fleet server, e.g. https://fleet.example.com)")
        check_base_url(options["base_url"])
        for purpose, names in (options.get("policies") or {}).items():
            if purpose not in PURPOSES:
                raise ValueError(f"policies: unknown purpose {purpose!r} (known: {', '.join(PURPOSES)})")
            if not (isinstance(names, str) and names.strip()) and not (
                isinstance(names, list) and names and all(isinstance(n, str) and n.strip() for n in names)
            ):
                raise ValueError(f"policies: {purpose} must name a Fleet policy or a list of them")
        if "per_page" in options and not 1 <= int(options["per_page"]) <= 1000:
            raise ValueError("per_page must be between 1 and 1000")

    def collect(self, target: Target, context: Context) -> Iterator[Fact | CollectionError]:
        label = str(target.options.get("name") or urlsplit(str(target.options.get("base_url"))).hostname or "fleet")
        scope = {"provider": "fleet", "org": label}
        try:
            client = FleetClient.for_target(target.options)
            me = client.get("/api/v1/fleet/me")
        except FleetError as err:
            yield CollectionError(kinds=_KINDS, scope=scope, message=str(err), operation=err.operation, code=err.code)
            return
        user = me.get("user") if isinstance(me, dict) else None
        principal = f"fleet-user:{(user or {}).get('email') or (user or {}).get('id') or 'unknown'}"
        mapping = {p: _names(n) for p, n in (target.options.get("policies") or {}).items()}
        yield from _Reader(client, label, scope, principal, mapping).read()


class _Reader:
    def __init__(
        self, client: FleetClient, label: str, scope: dict[str, str], principal: str, mapping: dict[str, list[str]]
    ) -> None:
        self.client = client
        self.label = label
        self.scope = scope
        self.principal = principal
        self.mapping = mapping

    def _source(self, *operations: str, pages: int = 1) -> Source:
        return Source(operations=operations, principal=self.principal, pages=pages, endpoint=self.client.base_url)

    def read(self) -> Iterator[Fact | CollectionError]:
        try:
            hosts, pages = self.client.pages("/api/v1/fleet/hosts", "hosts", {"device_mapping": "true"})
        except FleetError as err:
            yield CollectionError(
                kinds=_KINDS, scope=self.scope, message=str(err), operation=err.operation, code=err.code
            )
            return
        devices: list[dict[str, Any]] = []
        for listed in hosts:
            if not isinstance(listed, dict) or not isinstance(listed.get("id"), int):
                yield CollectionError(
                    kinds=(DEVICE,),
                    scope=self.scope,
                    message=f"GET /api/v1/fleet/hosts listed a host without a numeric id: {str(listed)[:80]}",
                    operation="GET /api/v1/fleet/hosts",
                    code="bad_response",
                )
                continue
            try:
                body = self.client.get("/api/v1/fleet/hosts/{id}", {"exclude_software": "true"}, id=listed["id"])
                if not isinstance(body, dict) or not isinstance(body.get("host"), dict):
                    raise FleetError("GET /api/v1/fleet/hosts/{id}", 200, "bad_response", "the response has no `host`")
            except FleetError as err:
                yield CollectionError(
                    kinds=(DEVICE,),
                    scope=self.scope,
                    message=str(err),
                    operation=err.operation,
                    code=err.code,
                    resource=self._resource(listed["id"]),
                )
                continue
            data = self._device(listed, body["host"])
            devices.append(data)
            yield Fact(
                kind=DEVICE,
                resource=self._resource(listed["id"]),
                scope=self.scope,
                data=data,
                source=self._source("GET /api/v1/fleet/hosts", "GET /api/v1/fleet/hosts/{id}", pages=pages + 1),
            )
        yield from self._coverage(devices, len(hosts), pages)

    def _resource(self, host_id: Any) -> str:
        return f"fleet:{self.label}/host/{host_id}"

    def _device(self, listed: Mapping[str, Any], host: Mapping[str, Any]) -> dict[str, Any]:
        owners = sorted(
            {
                str(m["email"]).strip().lower()
                for m in listed.get("device_mapping") or host.get("device_mapping") or []
                if isinstance(m, dict) and str(m.get("email") or "").strip()
            }
        )
        mdm = host.get("mdm") or {}
        data: dict[str, Any] = {
            "host_id": host.get("id", listed.get("id")),
            "platform": host.get("platform"),
            "os_version": host.get("os_version"),
            "owners": owners,
            "status": host.get("status"),
            "seen_time": host.get("seen_time"),
            "last_enrolled_at": host.get("last_enrolled_at"),
            "mdm_enrollment_status": mdm.get("enrollment_status") if isinstance(mdm, dict) else None,
            "mapped": sorted(self.mapping),
        }
        # Fleet leaves it null when it does not know (no answer yet, an unsupported platform):
        # left out, so every rule over it is an `error`, never a pass.
        if isinstance(host.get("disk_encryption_enabled"), bool):
            data["disk_encryption_enabled"] = host["disk_encryption_enabled"]
        policies, unknown = self._policies(host.get("policies") or [])
        data["policies"] = policies
        data["unknown"] = unknown
        return data

    def _policies(self, answered: list[Any]) -> tuple[dict[str, str], dict[str, str]]:
        responses = {str(p.get("name")): p.get("response") for p in answered if isinstance(p, dict)}
        policies: dict[str, str] = {}
        unknown: dict[str, str] = {}
        for purpose, names in sorted(self.mapping.items()):
            found = [responses[n] for n in names if n in responses]
            if not found:
                unknown[purpose] = f"none of the policies {', '.join(names)} applies to this host"
            elif "fail" in found:
                policies[purpose] = "fail"
            elif all(r in _RESPONSES for r in found):
                policies[purpose] = "pass"
            else:
                unknown[purpose] = "the host has not answered the mapped policy yet"
        return policies, unknown

    def _coverage(self, devices: list[dict[str, Any]], listed: int, pages: int) -> Iterator[Fact | CollectionError]:
        try:
            defined, policy_pages = self.client.pages("/api/v1/fleet/global/policies", "policies")
        except FleetError as err:
            yield CollectionError(
                kinds=(COVERAGE,), scope=self.scope, message=str(err), operation=err.operation, code=err.code
            )
            return
        names = {str(p.get("name")) for p in defined if isinstance(p, dict)}
        now = parse_timestamp(utc_now())
        seen = 0
        for device in devices:
            try:
                recent = now - parse_timestamp(str(device.get("seen_time"))) <= timedelta(days=_REPORTING_DAYS)
            except ValueError:
                recent = False
            seen += recent
        yield Fact(
            kind=COVERAGE,
            resource=f"fleet:{self.label}",
            scope=self.scope,
            data={
                "devices": listed,
                "devices_read": len(devices),
                "with_owner": sum(1 for d in devices if d["owners"]),
                "owners": len({o for d in devices for o in d["owners"]}),
                "reporting_days": _REPORTING_DAYS,
                "reporting": seen,
                # mapped names that are not global policies (team policies, or a typo in the mapping)
                "policies_not_global": sorted(n for mapped in self.mapping.values() for n in mapped if n not in names),
            },
            source=self._source(
                "GET /api/v1/fleet/hosts", "GET /api/v1/fleet/global/policies", pages=pages + policy_pages
            ),
        )
