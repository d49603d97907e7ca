"""Virtual machines (managed disks, encryption at host, endpoint protection extensions) and managed disks."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from annexa.collectors.azure.client import AzureCallError
from annexa.collectors.azure.collector import SubscriptionCollector
from annexa.collectors.azure.session import Subscription
from annexa.collectors.azure.util import arm_common, props, region_of
from annexa.model import CollectionError, Fact

VM = "azure.compute.vm"
DISK = "azure.compute.disk"
VM_API = "2024-07-01"
DISK_API = "2024-03-02"


def _disk(raw: dict[str, Any]) -> dict[str, Any]:
    managed = raw.get("managedDisk") or {}
    return {
        "name": raw.get("name"),
        "managed": bool(managed),
        "disk_id": managed.get("id"),
        "disk_encryption_set_id": (managed.get("diskEncryptionSet") or {}).get("id"),
        "storage_account_type": managed.get("storageAccountType"),
    }


class ComputeCollector(SubscriptionCollector):
    """Virtual machines and managed disks of each subscription.

    - `azure.compute.vm` (VM id): `name`, `location`, `tags`, `os_type`, `os_disk` and
      `data_disks` (`managed`, `disk_id`, `disk_encryption_set_id`, `storage_account_type`;
      an unmanaged VHD has `managed` false), `encryption_at_host`, `security_type` and
      `extensions` (`name`, `publisher`, `type`, `provisioning_state`: the endpoint
      protection signals, e.g. Defender for Endpoint `MDE.Linux`/`MDE.Windows` or
      `IaaSAntimalware`). Extension settings are not kept.
    - `azure.compute.disk` (disk id): `name`, `location`, `disk_state`, `managed_by`,
      `encryption_type` (`EncryptionAtRestWithPlatformKey`, `...CustomerKey`, ...),
      `disk_encryption_set_id`, `ade_enabled` (Azure Disk Encryption), `network_access_policy`
      and `public_network_access`.
    """

    name = "azure.compute"
    kinds = (VM, DISK)
    permissions = (
        "Microsoft.Compute/virtualMachines/read",
        "Microsoft.Compute/virtualMachines/extensions/read",
        "Microsoft.Compute/disks/read",
    )

    def collect_subscription(self, subscription: Subscription) -> Iterator[Fact | CollectionError]:
        yield from self._vms(subscription)
        yield from self._disks(subscription)

    def _vms(self, subscription: Subscription) -> Iterator[Fact | CollectionError]:
        try:
            vms = subscription.list("/subscriptions/{subscription}/providers/Microsoft.Compute/virtualMachines", VM_API)
        except AzureCallError as exc:
            yield exc.to_collection_error((VM,), subscription.scope())
            return
        for raw in vms.body:
            scope = subscription.scope(region_of(raw))
            try:
                extensions = subscription.arm.list("{vm}/extensions", {"api-version": VM_API}, vm=raw["id"])
            except AzureCallError as exc:
                yield exc.to_collection_error((VM,), scope, raw["id"])
                continue
            p = props(raw)
            storage = p.get("storageProfile") or {}
            security = p.get("securityProfile") or {}
            yield Fact(
                kind=VM,
                resource=raw["id"],
                scope=scope,
                data={
                    **arm_common(raw),
                    "os_type": (storage.get("osDisk") or {}).get("osType"),
                    "os_disk": _disk(storage.get("osDisk") or {}),
                    "data_disks": [_disk(d) for d in storage.get("dataDisks") or []],
                    "encryption_at_host": bool(security.get("encryptionAtHost")),
                    "security_type": security.get("securityType"),
                    "extensions": sorted(
                        (
                            {
                                "name": e.get("name"),
                                "publisher": props(e).get("publisher"),
                                "type": props(e).get("type"),
                                "provisioning_state": props(e).get("provisioningState"),
                            }
                            for e in extensions.body
                        ),
                        key=lambda e: str(e["name"]),
                    ),
                },
                source=subscription.source(vms, extensions),
            )

    def _disks(self, subscription: Subscription) -> Iterator[Fact | CollectionError]:
        try:
            disks = subscription.list("/subscriptions/{subscription}/providers/Microsoft.Compute/disks", DISK_API)
        except AzureCallError as exc:
            yield exc.to_collection_error((DISK,), subscription.scope())
            return
        for raw in disks.body:
            p = props(raw)
            encryption = p.get("encryption") or {}
            yield Fact(
                kind=DISK,
                resource=raw["id"],
                scope=subscription.scope(region_of(raw)),
                data={
                    **arm_common(raw),
                    "disk_state": p.get("diskState"),
                    "managed_by": raw.get("managedBy"),
                    "encryption_type": encryption.get("type"),
                    "disk_encryption_set_id": encryption.get("diskEncryptionSetId"),
                    "ade_enabled": bool((p.get("encryptionSettingsCollection") or {}).get("enabled")),
                    "network_access_policy": p.get("networkAccessPolicy"),
                    "public_network_access": p.get("publicNetworkAccess"),
                },
                source=subscription.source(disks),
            )
