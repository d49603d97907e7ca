"""Storage accounts: transport security, public access, shared keys and encryption keys."""

from __future__ import annotations

from collections.abc import Iterator

from annexa.collectors.azure.client import AzureCallError
from annexa.collectors.azure.collector import SubscriptionCollector
from annexa.collectors.azure.session import Subscription
from annexa.collectors.azure.util import props, region_of
from annexa.model import CollectionError, Fact

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


class StorageCollector(SubscriptionCollector):
    """Every storage account of each subscription.

    - `azure.storage.account` (resource id): `name`, `location`, `kind`, `sku`, `tags` and
      `properties` with `supportsHttpsTrafficOnly`, `minimumTlsVersion`,
      `allowBlobPublicAccess`, `allowSharedKeyAccess`, `publicNetworkAccess`, `networkAcls`
      and `encryption` (`keySource` is `Microsoft.Keyvault` for customer-managed keys).
    """

    name = "azure.storage"
    kinds = (ACCOUNT,)
    permissions = ("Microsoft.Storage/storageAccounts/read",)

    def collect_subscription(self, subscription: Subscription) -> Iterator[Fact | CollectionError]:
        try:
            reply = subscription.list("/subscriptions/{subscription}/providers/Microsoft.Storage/storageAccounts", API)
        except AzureCallError as exc:
            yield exc.to_collection_error(self.kinds, subscription.scope())
            return
        for raw in reply.body:
            properties = props(raw)
            yield Fact(
                kind=ACCOUNT,
                resource=raw["id"],
                scope=subscription.scope(region_of(raw)),
                data={
                    "name": raw.get("name"),
                    "location": region_of(raw),
                    "kind": raw.get("kind"),
                    "sku": (raw.get("sku") or {}).get("name"),
                    "tags": raw.get("tags") or {},
                    "properties": {key: properties.get(key) for key in _KEPT},
                },
                source=subscription.source(reply),
            )
