"""Recovery Services: vault protection settings, and which virtual machines are backed up."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from annexa.collectors.azure.client import AzureCallError, Reply
from annexa.collectors.azure.collector import SubscriptionCollector
from annexa.collectors.azure.compute import VM_API
from annexa.collectors.azure.session import Subscription
from annexa.collectors.azure.util import props, region_of, same_id
from annexa.model import CollectionError, Fact

VAULT = "azure.backup.vault"
VM_PROTECTION = "azure.backup.vm_protection"
API = "2024-04-01"
_IAAS_VM_FILTER = "backupManagementType eq 'AzureIaasVM'"


class BackupCollector(SubscriptionCollector):
    """Recovery Services vaults and Azure VM backup coverage of each subscription.

    - `azure.backup.vault` (vault id): `name`, `location`, `soft_delete_state`
      (`Enabled`, `AlwaysON`, `Disabled`), `immutability_state` and `redundancy`.
    - `azure.backup.vm_protection` (VM id): `vm` and `items`, the backup items of the
      subscription's vaults that protect the VM (vault, protection state, last backup status
      and time); empty when no vault backs it up.
    """

    name = "azure.backup"
    kinds = (VAULT, VM_PROTECTION)
    permissions = (
        "Microsoft.RecoveryServices/vaults/read",
        "Microsoft.RecoveryServices/vaults/backupProtectedItems/read",
        "Microsoft.Compute/virtualMachines/read",
    )

    def collect_subscription(self, subscription: Subscription) -> Iterator[Fact | CollectionError]:
        try:
            vaults = subscription.list("/subscriptions/{subscription}/providers/Microsoft.RecoveryServices/vaults", API)
        except AzureCallError as exc:
            yield exc.to_collection_error(self.kinds, subscription.scope())
            return
        for raw in vaults.body:
            security = props(raw).get("securitySettings") or {}
            yield Fact(
                kind=VAULT,
                resource=raw["id"],
                scope=subscription.scope(region_of(raw)),
                data={
                    "name": raw.get("name"),
                    "location": region_of(raw),
                    "soft_delete_state": (security.get("softDeleteSettings") or {}).get("softDeleteState"),
                    "immutability_state": (security.get("immutabilitySettings") or {}).get("state"),
                    "redundancy": (props(raw).get("redundancySettings") or {}).get("standardTierStorageRedundancy"),
                },
                source=subscription.source(vaults),
            )
        try:
            items, replies = self._protected_items(subscription, vaults)
            vms = subscription.list("/subscriptions/{subscription}/providers/Microsoft.Compute/virtualMachines", VM_API)
        except AzureCallError as exc:
            # without every vault's items, no VM can be shown to be unprotected (or protected)
            yield exc.to_collection_error((VM_PROTECTION,), subscription.scope())
            return
        for vm in vms.body:
            covering = [item for item in items if same_id(item["vm_id"], vm["id"])]
            yield Fact(
                kind=VM_PROTECTION,
                resource=vm["id"],
                scope=subscription.scope(region_of(vm)),
                data={
                    "vm": vm.get("name"),
                    "items": [{k: v for k, v in item.items() if k != "vm_id"} for item in covering],
                },
                source=subscription.source(vaults, *replies, vms),
            )

    @staticmethod
    def _protected_items(subscription: Subscription, vaults: Reply) -> tuple[list[dict[str, Any]], list[Reply]]:
        items: list[dict[str, Any]] = []
        replies: list[Reply] = []
        for vault in vaults.body:
            reply = subscription.arm.list(
                "{vault}/backupProtectedItems", {"api-version": API, "$filter": _IAAS_VM_FILTER}, vault=vault["id"]
            )
            replies.append(reply)
            for raw in reply.body:
                p = props(raw)
                items.append(
                    {
                        "vault": vault.get("name"),
                        "vm_id": p.get("virtualMachineId") or p.get("sourceResourceId"),
                        "protection_state": p.get("protectionState"),
                        "last_backup_status": p.get("lastBackupStatus"),
                        "last_backup_time": p.get("lastBackupTime"),
                    }
                )
        return items, replies
