"""Intune: managed devices and device compliance policies, through Microsoft Graph v1.0.

An `intune:` target takes the options of an `azure:` target (collectors/azure/settings.py:
tenant_id, credential, graph_endpoint, ...) and reuses its credential and Graph client
(collectors/azure/session.py, client.py: `@odata.nextLink` paging, 429 with Retry-After, GET only,
the token sent to the Graph endpoint's origin only). It is a target of its own so a tenant without
Intune licences is not asked for device evidence it cannot have.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import timedelta
from typing import Any, ClassVar

from annexa.collectors.azure.client import AzureCallError, Reply
from annexa.collectors.azure.session import Tenant, connect
from annexa.collectors.azure.settings import TARGET_OPTIONS, parse_settings
from annexa.collectors.base import Collector, Context, Target
from annexa.model import CollectionError, Fact, parse_timestamp, utc_now

__all__ = ["IntuneDevicesCollector", "GRAPH_CALLS"]

DEVICE = "intune.device"
POLICY = "intune.compliance_policy"
COVERAGE = "intune.coverage"
# Every Graph call this collector makes, with the application permission it needs
# (policies/intune-graph-permissions.json lists the same; a test holds them together).
GRAPH_CALLS = {
    "GET /v1.0/deviceManagement/managedDevices": "DeviceManagementManagedDevices.Read.All",
    "GET /v1.0/deviceManagement/deviceCompliancePolicies": "DeviceManagementConfiguration.Read.All",
}
# managedDevice properties read (no serial number, IMEI, MEID, MAC addresses, phone number or names).
_DEVICE_FIELDS = (
    "id,userPrincipalName,operatingSystem,osVersion,isEncrypted,complianceState,lastSyncDateTime,"
    "enrolledDateTime,managedDeviceOwnerType,managementAgent"
)
# complianceState values that say nothing about the device's compliance (managedDevice resource:
# unknown, error, configManager): left out, so the rule says `error`, never pass or fail.
_UNKNOWN_COMPLIANCE = ("unknown", "error", "configManager")
_REPORTING_DAYS = 7
# deviceCompliancePolicy subtype -> platform, and each normalised setting -> the subtype's property
# (microsoft-graph-docs-contrib, api-reference/v1.0/resources/intune-deviceconfig-*compliancepolicy.md).
_PLATFORMS = {
    "windows10CompliancePolicy": "windows",
    "macOSCompliancePolicy": "macos",
    "iosCompliancePolicy": "ios",
    "androidCompliancePolicy": "android",
    "androidWorkProfileCompliancePolicy": "android",
}
_SETTINGS: dict[str, tuple[str, ...]] = {
    # several properties: the setting is required when any of them is true
    "password_required": ("passwordRequired", "passcodeRequired"),
    "minutes_inactivity_before_lock": (
        "passwordMinutesOfInactivityBeforeLock",
        "passcodeMinutesOfInactivityBeforeLock",
    ),
    "firewall_required": ("activeFirewallRequired", "firewallEnabled"),
    "antivirus_required": ("defenderEnabled", "antivirusRequired"),
    "encryption_required": ("storageRequireEncryption", "bitLockerEnabled"),
    "os_minimum_version": ("osMinimumVersion",),
}


class IntuneDevicesCollector(Collector):
    """Every device Intune manages and every device compliance policy, once per tenant.

    `intune.device` (`<tenant>:intune/device/<id>`): `owners` (the user principal name, lower
    case), `os`, `os_version`, `is_encrypted` (Graph's isEncrypted), `compliance_state` (left out
    when Intune reports unknown, error or configManager: the rule then says `error`), `reported_state`
    (as Intune gave it), `last_sync`, `enrolled`, `ownership` (company, personal) and
    `management_agent`.
    `intune.compliance_policy` (`<tenant>:intune/compliancePolicy/<id>`): `type`, `platform`,
    `display_name`, `assigned` (has at least one assignment; left out if Graph did not expand
    them), and where the policy type has them: `password_required`,
    `minutes_inactivity_before_lock`, `firewall_required`,
    `antivirus_required`, `encryption_required`, `os_minimum_version`. A setting the policy type
    does not have, or Graph did not return, is left out (a rule over it says `error`); one
    the policy leaves "Not configured" (null) is null.
    `intune.coverage` (`<tenant>:intune`): devices, devices with an owner, devices synced in the
    last 7 days. Application permissions: DeviceManagementManagedDevices.Read.All,
    DeviceManagementConfiguration.Read.All.
    """

    name = "intune.devices"
    provider = "intune"
    kinds = (DEVICE, POLICY, COVERAGE)
    permissions = tuple(dict.fromkeys(GRAPH_CALLS.values()))
    max_age = timedelta(days=2)
    target_options: ClassVar[Mapping[str, type]] = TARGET_OPTIONS

    @classmethod
    def check_options(cls, options: Mapping[str, Any]) -> None:
        parse_settings(options)

    def collect(self, target: Target, context: Context) -> Iterator[Fact | CollectionError]:
        azure = connect(target, context)
        tenant = azure if isinstance(azure, AzureCallError) else azure.tenant()
        if isinstance(tenant, AzureCallError):
            settings = parse_settings(target.options)
            scope = {"provider": "intune", **({"tenant": settings.tenant_id} if settings.tenant_id else {})}
            yield tenant.to_collection_error(self.kinds, scope)
            return
        scope = {"provider": "intune", "tenant": tenant.id}
        yield from _devices(tenant, scope)
        yield from _policies(tenant, scope)


def _devices(tenant: Tenant, scope: dict[str, str]) -> Iterator[Fact | CollectionError]:
    try:
        reply = tenant.graph.list("/v1.0/deviceManagement/managedDevices", {"$select": _DEVICE_FIELDS})
    except AzureCallError as exc:  # 403 Authorization_RequestDenied: the permission is missing
        yield exc.to_collection_error((DEVICE, COVERAGE), scope)
        return
    listed = [raw for raw in reply.body if isinstance(raw, dict) and isinstance(raw.get("id"), str)]
    if len(listed) < len(reply.body):
        bad = len(reply.body) - len(listed)
        message = f"GET /v1.0/deviceManagement/managedDevices returned {bad} devices without an id"
        yield CollectionError(kinds=(DEVICE, COVERAGE), scope=scope, message=message, code="InvalidResponse")
    devices = [_device(raw) for raw in listed]
    for raw, data in zip(listed, devices, strict=True):
        yield Fact(
            kind=DEVICE,
            resource=f"{tenant.id}:intune/device/{raw['id']}",
            scope=scope,
            data=data,
            source=tenant.source(reply),
        )
    yield Fact(
        kind=COVERAGE, resource=f"{tenant.id}:intune", scope=scope, data=_coverage(devices), source=tenant.source(reply)
    )


def _device(raw: Mapping[str, Any]) -> dict[str, Any]:
    upn = str(raw.get("userPrincipalName") or "").strip().lower()
    data: dict[str, Any] = {
        "owners": [upn] if upn else [],
        "os": raw.get("operatingSystem"),
        "os_version": raw.get("osVersion"),
        "reported_state": raw.get("complianceState"),
        "last_sync": raw.get("lastSyncDateTime"),
        "enrolled": raw.get("enrolledDateTime"),
        "ownership": raw.get("managedDeviceOwnerType"),
        "management_agent": raw.get("managementAgent"),
    }
    if isinstance(raw.get("isEncrypted"), bool):
        data["is_encrypted"] = raw["isEncrypted"]
    if raw.get("complianceState") is not None and raw["complianceState"] not in _UNKNOWN_COMPLIANCE:
        data["compliance_state"] = raw["complianceState"]
    return data


def _coverage(devices: list[dict[str, Any]]) -> dict[str, Any]:
    now = parse_timestamp(utc_now())
    synced = 0
    for device in devices:
        try:
            synced += now - parse_timestamp(str(device.get("last_sync"))) <= timedelta(days=_REPORTING_DAYS)
        except ValueError:
            pass
    return {
        "devices": len(devices),
        "with_owner": sum(1 for d in devices if d["owners"]),
        "owners": len({o for d in devices for o in d["owners"]}),
        "reporting_days": _REPORTING_DAYS,
        "reporting": synced,
    }


def _policies(tenant: Tenant, scope: dict[str, str]) -> Iterator[Fact | CollectionError]:
    try:
        reply: Reply = tenant.graph.list("/v1.0/deviceManagement/deviceCompliancePolicies", {"$expand": "assignments"})
    except AzureCallError as exc:
        yield exc.to_collection_error((POLICY,), scope)
        return
    for raw in reply.body:
        if not isinstance(raw, dict) or not isinstance(raw.get("id"), str):
            message = "GET /v1.0/deviceManagement/deviceCompliancePolicies returned a policy without an id"
            yield CollectionError(kinds=(POLICY,), scope=scope, message=message, code="InvalidResponse")
            continue
        yield Fact(
            kind=POLICY,
            resource=f"{tenant.id}:intune/compliancePolicy/{raw['id']}",
            scope=scope,
            data=_policy(raw),
            source=tenant.source(reply),
        )


def _policy(raw: Mapping[str, Any]) -> dict[str, Any]:
    kind = str(raw.get("@odata.type") or "").rsplit(".", 1)[-1]
    data: dict[str, Any] = {
        "type": kind,
        "platform": _PLATFORMS.get(kind, "other"),
        "display_name": raw.get("displayName"),
    }
    if isinstance(raw.get("assignments"), list):  # $expand=assignments answered: otherwise unknown
        data["assigned"] = bool(raw["assignments"])
    for setting, properties in _SETTINGS.items():
        returned = [p for p in properties if p in raw]
        if not returned:
            continue  # the policy type has no such setting, or Graph did not return it
        values = [raw[p] for p in returned if raw[p] is not None]
        # null is Intune's "Not configured": the policy does not require it
        data[setting] = (
            (any(v is True for v in values) if isinstance(values[0], bool) else values[0]) if values else None
        )
    return data
