"""Cloud SQL instances: network exposure, TLS, backups and point-in-time recovery."""

from __future__ import annotations

from typing import Any

from annexa.collectors.gcp.client import Reply
from annexa.collectors.gcp.collector import GcpCollector, Yield, fact, listed, pick
from annexa.collectors.gcp.session import GcpTarget, Project

INSTANCE = "gcp.sql.instance"
_KEPT = ("name", "databaseVersion", "region", "instanceType", "state", "settings", "backendType")
_SETTINGS = ("ipConfiguration", "backupConfiguration", "availabilityType", "databaseFlags")


class SqlCollector(GcpCollector):
    """Every Cloud SQL instance of each project (instances.list).

    - `gcp.sql.instance` (`projects/<id>/instances/<name>`): `name`, `databaseVersion`, `region`,
      `instanceType`, `state`, `backendType` and `settings` with `ipConfiguration` (`ipv4Enabled`,
      `authorizedNetworks`, `sslMode`, `requireSsl`), `backupConfiguration` (`enabled`,
      `pointInTimeRecoveryEnabled`, `binaryLogEnabled`), `availabilityType`, `databaseFlags`.
    """

    name = "gcp.sql"
    kinds = (INSTANCE,)
    permissions = ("cloudsql.instances.list",)

    def collect_project(self, gcp: GcpTarget, project: Project) -> Yield:
        def instance(raw: dict[str, Any], listing: Reply) -> Yield:
            data = pick(raw, _KEPT)
            if isinstance(raw.get("settings"), dict):
                data["settings"] = pick(raw["settings"], _SETTINGS)
            resource = f"{project.resource}/instances/{raw.get('name', '')}"
            yield fact(gcp, INSTANCE, resource, project.scope(str(raw.get("region") or "global")), data, listing)

        yield from listed(
            gcp,
            project,
            self.kinds,
            lambda: gcp.apis.items("sqladmin", "/v1/projects/{project}/instances", "items", project=project.id),
            instance,
        )
