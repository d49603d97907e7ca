"""Security Command Center: whether it is activated for each project (its finding sources)."""

from __future__ import annotations

from annexa.collectors.gcp.client import GcpCallError
from annexa.collectors.gcp.collector import GcpCollector, Yield, fact, pick
from annexa.collectors.gcp.session import GcpTarget, Project

SOURCES = "gcp.scc.sources"


class SecurityCenterCollector(GcpCollector):
    """The Security Command Center finding sources visible to each project (sources.list at the
    project: those of an organisation-level activation included).

    - `gcp.scc.sources` (`projects/<id>`): `sources` (`name`, `displayName`, `canonicalName`). The
      built-in services (Security Health Analytics, Event Threat Detection...) appear as sources once
      Security Command Center is activated. Whether each service is still turned on is not read.
    """

    name = "gcp.scc"
    kinds = (SOURCES,)
    permissions = ("securitycenter.sources.list",)

    def collect_project(self, gcp: GcpTarget, project: Project) -> Yield:
        try:
            found, reply = gcp.apis.items(
                "securitycenter", "/v1/projects/{project}/sources", "sources", project=project.id
            )
        except GcpCallError as exc:
            yield exc.to_collection_error(self.kinds, project.scope(), project.resource)
            return
        data = {"sources": [pick(source, ("name", "displayName", "canonicalName")) for source in found]}
        yield fact(gcp, SOURCES, project.resource, project.scope(), data, reply)
