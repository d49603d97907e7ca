"""The coverage record of a gcp target: every project it reaches, and whether it was read."""

from __future__ import annotations

from annexa.collectors.base import Context, Target
from annexa.collectors.gcp.client import GcpCallError
from annexa.collectors.gcp.collector import ACTIVE, GcpCollector, Yield, fact
from annexa.collectors.gcp.session import ProjectError, connect

PROJECT = "gcp.resourcemanager.project"


class ProjectsCollector(GcpCollector):
    """Every project of the target (the named ones, or all under the organisation or folder).

    - `gcp.resourcemanager.project` (`projects/<id>`): `projectId`, `name` (`projects/<number>`),
      `displayName`, `state`, `parent`, `collected` (read by the other collectors: ACTIVE only) and
      `skipped_reason` for a project pending deletion. A project or folder that cannot be read is
      an error naming it.
    """

    name = "gcp.projects"
    kinds = (PROJECT,)
    permissions = ("resourcemanager.projects.get", "resourcemanager.projects.list", "resourcemanager.folders.list")

    def collect(self, target: Target, context: Context) -> Yield:
        gcp = connect(target, context)
        if isinstance(gcp, GcpCallError):
            yield gcp.to_collection_error(self.kinds, {"provider": "gcp"})
            return
        for item in gcp.projects():
            if isinstance(item, ProjectError):
                yield item.error.to_collection_error(self.kinds, item.scope(), item.node)
                continue
            raw = {
                "projectId": item.id,
                "name": f"projects/{item.number}",
                "displayName": item.display_name,
                "state": item.state,
                "parent": item.parent,
                "collected": item.state == ACTIVE,
            }
            if item.state != ACTIVE:
                raw["skipped_reason"] = f"project state {item.state}: not read"
            yield fact(gcp, PROJECT, item.resource, item.scope(), raw, item.reply)
