"""Virtual machines (managed disks, encryption at host, endpoint protection extensions) and managed disks."""

from __future__ import annotations

from typing import Any

from annexa.collectors.azure.collector import SubscriptionCollector
from annexa.collectors.azure.spec import Detail, Listing
from annexa.collectors.azure.util import arm_common, props

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


def _vm(raw: dict[str, Any], extensions: list[dict[str, Any]]) -> dict[str, Any]:
    p = props(raw)
    storage = p.get("storageProfile") or {}
    security = p.get("securityProfile") or {}
    return {
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
                for e in extensions
            ),
            key=lambda e: str(e["name"]),
        ),
    }


_OMITTED_AT_DEFAULT = {"network_access_policy": "networkAccessPolicy", "public_network_access": "publicNetworkAccess"}


def _managed_disk(raw: dict[str, Any]) -> dict[str, Any]:
    p = props(raw)
    encryption = p.get("encryption") or {}
    return {
        **arm_common(raw),
        "disk_state": p.get("diskState"),
        "managed_by": raw.get("managedBy"),
        "encryption_type": encryption.get("type"),
        "disk_encryption_set_id": encryption.get("diskEncryptionSetId"),
        "ade_enabled": bool((p.get("encryptionSettingsCollection") or {}).get("enabled")),
        # Left out when ARM leaves them out (disks created before the property existed, or at its
        # default): a rule judges them at their documented default (`defaults:`), never as null.
        **{key: p[name] for key, name in _OMITTED_AT_DEFAULT.items() if name in p},
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
      and `public_network_access` (each left out when ARM omits it).
    """

    name = "azure.compute"
    specs = (
        Listing(
            VM,
            "/subscriptions/{subscription}/providers/Microsoft.Compute/virtualMachines",
            VM_API,
            _vm,
            details=(Detail("{vm}/extensions", VM_API, collection=True),),
        ),
        Listing(DISK, "/subscriptions/{subscription}/providers/Microsoft.Compute/disks", DISK_API, _managed_disk),
    )
