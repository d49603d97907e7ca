"""Versions: what the API server and each node's kubelet run, for rules that judge them against the
Kubernetes releases still supported (mappings/kubernetes_releases.yaml, at the run's clock).

Facts keep the version strings as the API gave them: whether a release is supported changes with
the date, not with the cluster, so it is judged when rules are evaluated, never stored.
"""

from __future__ import annotations

from annexa.collectors.kubernetes.client import KubeCallError
from annexa.collectors.kubernetes.collector import (
    ClusterReads,
    KubernetesCollector,
    Yield,
    failed,
    path_permission,
    permission,
    pick,
)

CONTROL_PLANE = "kubernetes.control_plane"
NODE = "kubernetes.node"
# version.Info (apimachinery pkg/version): every field is required in the API's answer.
_VERSION_KEYS = ("major", "minor", "gitVersion", "buildDate", "goVersion", "platform")
# NodeSystemInfo (API reference, io.k8s.api.core.v1.NodeSystemInfo): the node's software as its kubelet reports it.
_NODE_INFO_KEYS = (
    "kubeletVersion",
    "osImage",
    "kernelVersion",
    "containerRuntimeVersion",
    "operatingSystem",
    "architecture",
)


class VersionsCollector(KubernetesCollector):
    """`kubernetes.control_plane` (`version`): the API server's `GET /version` answer, `major`, `minor`,
    `gitVersion`, `buildDate`, `goVersion`, `platform` as returned.

    `kubernetes.node` (`nodes/<name>`): `name` and, from `status.nodeInfo` as returned,
    `kubeletVersion`, `osImage`, `kernelVersion`, `containerRuntimeVersion`, `operatingSystem`,
    `architecture` (absent when the node has not reported them: rules then say `error`)."""

    name = "kubernetes.versions"
    kinds = (CONTROL_PLANE, NODE)
    permissions = (path_permission("/version"), permission("nodes"))

    def collect_cluster(self, reads: ClusterReads) -> Yield:
        try:
            version = reads.get("/version")
        except KubeCallError as exc:
            yield failed(exc, (CONTROL_PLANE,), reads)
        else:
            yield reads.fact(CONTROL_PLANE, "version", pick(version.items[0], _VERSION_KEYS), version)
        try:
            nodes = reads.list("nodes")
        except KubeCallError as exc:
            yield failed(exc, (NODE,), reads)
            return
        for node in nodes.items:
            name = (node.get("metadata") or {}).get("name", "")
            info = (node.get("status") or {}).get("nodeInfo")
            yield reads.fact(NODE, f"nodes/{name}", {"name": name, **pick(info, _NODE_INFO_KEYS)}, nodes)
