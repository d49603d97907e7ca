"""Storage accounts: transport security, public access, shared keys and encryption keys."""

from __future__ import annotations

from typing import Any

from annexa.collectors.azure.collector import SubscriptionCollector
from annexa.collectors.azure.spec import Listing
from annexa.collectors.azure.util import props, region_of

ACCOUNT = "azure.storage.account"
API = "2023-05-01"
# Settings kept as ARM returns them; an omitted flag keeps Azure's default, so rules
# treat a missing `allowSharedKeyAccess` as allowed.
_KEPT = (
    "supportsHttpsTrafficOnly",
    "minimumTlsVersion",
    "allowBlobPublicAccess",
    "allowSharedKeyAccess",
    "publicNetworkAccess",
    "encryption",
    "networkAcls",
    "creationTime",
)


def _account(raw: dict[str, Any]) -> dict[str, Any]:
    properties = props(raw)
    return {
        "name": raw.get("name"),
        "location": region_of(raw),
        "kind": raw.get("kind"),
        "sku": (raw.get("sku") or {}).get("name"),
        "tags": raw.get("tags") or {},
        "properties": {key: properties.get(key) for key in _KEPT},
    }


class StorageCollector(SubscriptionCollector):
    """Every storage account of each subscription.

    - `azure.storage.account` (resource id): `name`, `location`, `kind`, `sku`, `tags` and
      `properties` with `supportsHttpsTrafficOnly`, `minimumTlsVersion`,
      `allowBlobPublicAccess`, `allowSharedKeyAccess`, `publicNetworkAccess`, `networkAcls`
      and `encryption` (`keySource` is `Microsoft.Keyvault` for customer-managed keys).
    """

    name = "azure.storage"
    specs = (
        Listing(ACCOUNT, "/subscriptions/{subscription}/providers/Microsoft.Storage/storageAccounts", API, _account),
    )
