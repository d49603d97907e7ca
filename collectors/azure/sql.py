"""Azure SQL: server exposure, Entra admin and auditing; database encryption (TDE)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from annexa.collectors.azure.client import AzureCallError
from annexa.collectors.azure.collector import SubscriptionCollector
from annexa.collectors.azure.session import Subscription
from annexa.collectors.azure.util import arm_common, props, region_of
from annexa.model import CollectionError, Fact

SERVER = "azure.sql.server"
DATABASE = "azure.sql.database"
API = "2021-11-01"


class SqlCollector(SubscriptionCollector):
    """Every logical SQL server of each subscription and its databases.

    - `azure.sql.server` (server id): `name`, `location`, `tags`, `properties`
      (`publicNetworkAccess`, `minimalTlsVersion`, `version`, `state`), `entra_admin` (the
      Microsoft Entra administrator: `login`, `sid`, `azureADOnlyAuthentication`; null when
      none is set) and `auditing` (`state`, `retentionDays`, `isAzureMonitorTargetEnabled`).
    - `azure.sql.database` (database id): `name`, `server`, `sku`, `tde_state` (Transparent
      Data Encryption: `Enabled` or `Disabled`).
    """

    name = "azure.sql"
    kinds = (SERVER, DATABASE)
    permissions = (
        "Microsoft.Sql/servers/read",
        "Microsoft.Sql/servers/administrators/read",
        "Microsoft.Sql/servers/auditingSettings/read",
        "Microsoft.Sql/servers/databases/read",
        "Microsoft.Sql/servers/databases/transparentDataEncryption/read",
    )

    def collect_subscription(self, subscription: Subscription) -> Iterator[Fact | CollectionError]:
        try:
            servers = subscription.list("/subscriptions/{subscription}/providers/Microsoft.Sql/servers", API)
        except AzureCallError as exc:
            yield exc.to_collection_error(self.kinds, subscription.scope())
            return
        for raw in servers.body:
            scope = subscription.scope(region_of(raw))
            try:
                admins = subscription.arm.list("{server}/administrators", {"api-version": API}, server=raw["id"])
                auditing = subscription.arm.get(
                    "{server}/auditingSettings/default", {"api-version": API}, server=raw["id"]
                )
            except AzureCallError as exc:
                yield exc.to_collection_error((SERVER,), scope, raw["id"])
            else:
                yield Fact(
                    kind=SERVER,
                    resource=raw["id"],
                    scope=scope,
                    data=_server(raw, admins.body, props(auditing.body)),
                    source=subscription.source(servers, admins, auditing),
                )
            yield from self._databases(subscription, raw, scope)

    @staticmethod
    def _databases(
        subscription: Subscription, server: dict[str, Any], scope: dict[str, str]
    ) -> Iterator[Fact | CollectionError]:
        try:
            databases = subscription.arm.list("{server}/databases", {"api-version": API}, server=server["id"])
        except AzureCallError as exc:
            yield exc.to_collection_error((DATABASE,), scope, f"{server['id']}/databases")
            return
        for raw in databases.body:
            try:
                tde = subscription.arm.get(
                    "{database}/transparentDataEncryption/current", {"api-version": API}, database=raw["id"]
                )
            except AzureCallError as exc:
                yield exc.to_collection_error((DATABASE,), scope, raw["id"])
                continue
            yield Fact(
                kind=DATABASE,
                resource=raw["id"],
                scope=scope,
                data={
                    "name": raw.get("name"),
                    "server": server.get("name"),
                    "sku": (raw.get("sku") or {}).get("name"),
                    "tde_state": props(tde.body).get("state"),
                },
                source=subscription.source(databases, tde),
            )


def _server(raw: dict[str, Any], admins: list[dict[str, Any]], auditing: dict[str, Any]) -> dict[str, Any]:
    properties = props(raw)
    entra = next((props(a) for a in admins if props(a).get("administratorType") == "ActiveDirectory"), None)
    return {
        **arm_common(raw),
        "properties": {k: properties.get(k) for k in ("publicNetworkAccess", "minimalTlsVersion", "version", "state")},
        "entra_admin": {k: entra.get(k) for k in ("login", "sid", "principalType", "azureADOnlyAuthentication")}
        if entra
        else None,
        "auditing": {k: auditing.get(k) for k in ("state", "retentionDays", "isAzureMonitorTargetEnabled")},
    }
