"""Cloud Audit Logs configuration and log sinks, with what the project inherits from its folders
and organisation (audit configurations are a union down the hierarchy; an aggregated sink with
`includeChildren` routes its descendants' logs)."""

from __future__ import annotations

from typing import Any

from annexa.collectors.gcp.client import GcpCallError, Reply
from annexa.collectors.gcp.collector import GcpCollector, Yield, fact, listed, pick
from annexa.collectors.gcp.session import GcpTarget, Project

AUDIT_CONFIG = "gcp.logging.audit_config"
SINKS = "gcp.logging.sinks"
BUCKET = "gcp.logging.bucket"
_BUCKET_KEYS = ("name", "description", "retentionDays", "locked", "lifecycleState", "cmekSettings", "analyticsEnabled")
_SINK_KEYS = ("name", "destination", "filter", "disabled", "includeChildren", "exclusions")


class AuditLogsCollector(GcpCollector):
    """Per project, the audit configuration and the log sinks that apply to it.

    - `gcp.logging.audit_config` (`projects/<id>`): `project` (`resource`, `auditConfigs` of the
      project's IAM policy) and `ancestors` (the same for each folder and the organisation above it,
      nearest first). Google omits `auditConfigs` where none is set.
    - `gcp.logging.sinks` (`projects/<id>`): `sinks` (the project's own: `name`, `destination`,
      `filter`, `disabled`, `includeChildren`, `exclusions`) and `ancestors` (each folder's and the
      organisation's sinks, with `resource`; only those with `includeChildren` route this project's logs).
    - `gcp.logging.bucket` (the log bucket's name): `name`, `description`, `retentionDays`, `locked`,
      `lifecycleState`, `cmekSettings`, `analyticsEnabled`, for every log bucket of the project in every
      location (`locations/-`).

    If any node above the project cannot be read, the kind is an error for the project: what is
    inherited cannot be told.
    """

    name = "gcp.logging"
    kinds = (AUDIT_CONFIG, SINKS, BUCKET)
    permissions = (
        "resourcemanager.projects.getIamPolicy",
        "resourcemanager.folders.get",
        "resourcemanager.folders.getIamPolicy",
        "resourcemanager.organizations.getIamPolicy",
        "logging.sinks.list",
        "logging.buckets.list",
    )

    def collect_project(self, gcp: GcpTarget, project: Project) -> Yield:
        yield from self._audit(gcp, project)
        yield from self._sinks(gcp, project)
        yield from self._buckets(gcp, project)

    def _audit(self, gcp: GcpTarget, project: Project) -> Yield:
        replies: list[Reply] = []
        nodes: list[dict[str, Any]] = []
        try:
            for node in (project.resource, *gcp.ancestors(project)):
                reply = gcp.policy(node)
                replies.append(reply)
                nodes.append({"resource": node, **pick(reply.body, ("auditConfigs",))})
        except GcpCallError as exc:
            yield exc.to_collection_error((AUDIT_CONFIG,), project.scope(), project.resource)
            return
        data = {"project": nodes[0], "ancestors": nodes[1:]}
        yield fact(gcp, AUDIT_CONFIG, project.resource, project.scope(), data, *replies)

    def _sinks(self, gcp: GcpTarget, project: Project) -> Yield:
        replies: list[Reply] = []
        ancestors: list[dict[str, Any]] = []
        try:
            own, reply = gcp.sinks(project.resource)
            replies.append(reply)
            for node in gcp.ancestors(project):
                found, reply = gcp.sinks(node)
                replies.append(reply)
                ancestors.extend({"resource": node, **pick(sink, _SINK_KEYS)} for sink in found)
        except GcpCallError as exc:
            yield exc.to_collection_error((SINKS,), project.scope(), project.resource)
            return
        data = {"sinks": [pick(sink, _SINK_KEYS) for sink in own], "ancestors": ancestors}
        yield fact(gcp, SINKS, project.resource, project.scope(), data, *replies)

    def _buckets(self, gcp: GcpTarget, project: Project) -> Yield:
        def bucket(raw: dict[str, Any], reply: Reply) -> Yield:
            name = str(raw.get("name", ""))
            location = name.split("/locations/", 1)[-1].split("/", 1)[0] if "/locations/" in name else None
            yield fact(gcp, BUCKET, name, project.scope(location), pick(raw, _BUCKET_KEYS), reply)

        yield from listed(
            gcp,
            project,
            (BUCKET,),
            lambda: gcp.apis.items(
                "logging",
                "/v2/projects/{project}/locations/{location}/buckets",
                "buckets",
                project=project.id,
                location="-",
            ),
            bucket,
        )
