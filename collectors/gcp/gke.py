"""GKE clusters: Kubernetes API server audit logging, application-layer secrets encryption and
control-plane exposure, from the Kubernetes Engine API."""

from __future__ import annotations

from typing import Any

from annexa.collectors.gcp.client import GcpCallError, Reply
from annexa.collectors.gcp.collector import GcpCollector, Yield, fact, pick
from annexa.collectors.gcp.session import GcpTarget, Project
from annexa.model import CollectionError, Fact

CLUSTER = "gcp.container.cluster"
# One call lists every cluster of the project: location `-` "matches all zones and all regions", and
# ListClustersResponse has no nextPageToken (container.v1 discovery document,
# projects.locations.clusters.list and ListClustersResponse: `clusters` and `missingZones` only).
_LIST = "/v1/projects/{project}/locations/-/clusters"
_KEPT = (
    "name",
    "location",
    "status",
    "currentMasterVersion",
    "databaseEncryption",
    "loggingConfig",
    "masterAuthorizedNetworksConfig",
    "privateClusterConfig",
    "legacyAbac",
)
# NodePool.version: "The version of Kubernetes running on this NodePool's nodes".
_POOL_KEPT = ("name", "version", "status")


class GkeCollector(GcpCollector):
    """Every GKE cluster of each project, in every location (projects.locations.clusters.list).

    - `gcp.container.cluster` (`projects/<id>/locations/<location>/clusters/<name>`): as the API
      returned them, `name`, `location`, `status`, `currentMasterVersion`, `databaseEncryption`
      (`state`, `keyName`), `loggingConfig` (`componentConfig.enableComponents`),
      `masterAuthorizedNetworksConfig` (`enabled`, `cidrBlocks`, `gcpPublicCidrsAccessEnabled`),
      `privateClusterConfig`, `legacyAbac` (`enabled`); `node_pools`: each node pool's `name`,
      `version` and `status` as returned (absent when the cluster answered without `nodePools`).

    A response naming `missingZones` ("the list of clusters returned may be missing those zones",
    ListClustersResponse) is an error for the project naming the zones: the clusters it did return
    are evidence, but annexa cannot tell that there are no others.
    """

    name = "gcp.container"
    kinds = (CLUSTER,)
    permissions = ("container.clusters.list",)

    def collect_project(self, gcp: GcpTarget, project: Project) -> Yield:
        try:
            reply = gcp.apis.get("container", _LIST, project=project.id)
        except GcpCallError as exc:
            yield exc.to_collection_error(self.kinds, project.scope(), project.resource)
            return
        body = reply.body
        if not isinstance(body, dict):  # never read as "no clusters"
            error = GcpCallError(
                f"GET https://container.googleapis.com{_LIST}",
                "the response is not a JSON object",
                code="InvalidResponse",
            )
            yield error.to_collection_error(self.kinds, project.scope(), project.resource)
            return
        for raw in body.get("clusters") or []:
            yield self._cluster(gcp, project, raw, reply)
        missing = [str(zone) for zone in body.get("missingZones") or []]
        if missing:
            yield CollectionError(
                kinds=self.kinds,
                scope=project.scope(),
                message=f"{reply.url} could not reach zones {', '.join(missing)}: their clusters may be missing",
                operation=f"GET https://container.googleapis.com{_LIST}",
                code="MissingZones",
                resource=project.resource,
            )

    def _cluster(self, gcp: GcpTarget, project: Project, raw: dict[str, Any], reply: Reply) -> Fact:
        location = str(raw.get("location") or "global")
        resource = f"{project.resource}/locations/{location}/clusters/{raw.get('name', '')}"
        data = pick(raw, _KEPT)
        if "nodePools" in raw:
            data["node_pools"] = [pick(pool, _POOL_KEPT) for pool in raw.get("nodePools") or []]
        return fact(gcp, CLUSTER, resource, project.scope(location), data, reply)
