"""Azure SQL: server exposure, Entra admin and auditing; database encryption (TDE)."""

from __future__ import annotations

from typing import Any

from annexa.collectors.azure.collector import SubscriptionCollector
from annexa.collectors.azure.spec import Detail, Listing
from annexa.collectors.azure.util import arm_common, props

SERVER = "azure.sql.server"
DATABASE = "azure.sql.database"
API = "2021-11-01"


def _server(raw: dict[str, Any], admins: list[dict[str, Any]], auditing: dict[str, Any]) -> dict[str, Any]:
    properties = props(raw)
    entra = next((props(a) for a in admins if props(a).get("administratorType") == "ActiveDirectory"), None)
    audit = props(auditing)
    return {
        **arm_common(raw),
        "properties": {k: properties.get(k) for k in ("publicNetworkAccess", "minimalTlsVersion", "version", "state")},
        "entra_admin": {k: entra.get(k) for k in ("login", "sid", "principalType", "azureADOnlyAuthentication")}
        if entra
        else None,
        "auditing": {k: audit.get(k) for k in ("state", "retentionDays", "isAzureMonitorTargetEnabled")},
    }


def _database(server: dict[str, Any], raw: dict[str, Any], tde: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": raw.get("name"),
        "server": server.get("name"),
        "sku": (raw.get("sku") or {}).get("name"),
        "tde_state": props(tde).get("state"),
    }


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
    specs = (
        Listing(
            SERVER,
            "/subscriptions/{subscription}/providers/Microsoft.Sql/servers",
            API,
            _server,
            details=(
                Detail("{server}/administrators", API, collection=True),
                Detail("{server}/auditingSettings/default", API),
            ),
            children=(
                Listing(
                    DATABASE,
                    "{server}/databases",
                    API,
                    _database,
                    details=(Detail("{database}/transparentDataEncryption/current", API),),
                ),
            ),
        ),
    )
