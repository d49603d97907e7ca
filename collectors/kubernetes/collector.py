"""The base of every Kubernetes collector: resolve the target's clusters once per run, then read each.

A cluster annexa could not reach (no credentials, a context missing from the kubeconfig) is one
error for all of the collector's kinds there; a list that failed (403 Forbidden, 410 Expired ...)
is one error for the kinds built from it. Lists are read once per cluster and run, and shared by
the collectors that need them (pods feed both namespaces and pods).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, ClassVar

from annexa.collectors.base import Collector, Context, Target
from annexa.collectors.kubernetes.client import PATHS, READS, KubeApi, KubeCallError, Reply
from annexa.collectors.kubernetes.credentials import Cluster, ClusterError, clusters
from annexa.collectors.kubernetes.settings import TARGET_OPTIONS, KubeSettings, parse_settings
from annexa.model import CollectionError, Fact

__all__ = ["ClusterReads", "KubernetesCollector", "Yield", "path_permission", "permission"]

Yield = Iterator[Fact | CollectionError]


def permission(resource: str) -> str:
    """How a collector declares a read: `<apiGroup or core>/<resource>:list`."""
    return f"{READS[resource].group or 'core'}/{resource}:list"


def path_permission(path: str) -> str:
    """How a collector declares a non-resource read: `<url>:get` (PATHS)."""
    if path not in PATHS:
        raise KeyError(path)
    return f"{path}:get"


class ClusterReads:
    """One cluster's API and the lists read from it in this run."""

    def __init__(self, cluster: Cluster, settings: KubeSettings) -> None:
        self.api = KubeApi(cluster)
        self.settings = settings
        self.scope = {"provider": "kubernetes", "cluster": cluster.name}
        self._lists: dict[str, Reply | KubeCallError] = {}

    def list(self, resource: str) -> Reply:
        return self._once(resource, lambda: self.api.list(resource))

    def get(self, path: str) -> Reply:
        return self._once(path, lambda: self.api.get(path))

    def _once(self, key: str, read: Callable[[], Reply]) -> Reply:
        if key not in self._lists:
            try:
                self._lists[key] = read()
            except KubeCallError as exc:
                self._lists[key] = exc
        found = self._lists[key]
        if isinstance(found, KubeCallError):
            raise found
        return found

    def fact(self, kind: str, resource: str, data: Any, *replies: Reply) -> Fact:
        return Fact(kind=kind, resource=resource, scope=self.scope, data=data, source=self.api.source(replies))


class KubernetesCollector(Collector):
    provider: ClassVar[str] = "kubernetes"
    target_options: ClassVar[Mapping[str, type | tuple[type, ...]]] = TARGET_OPTIONS

    @classmethod
    def check_options(cls, options: Mapping[str, Any]) -> None:
        parse_settings(options)

    def collect(self, target: Target, context: Context) -> Yield:
        key = ("kubernetes", target.index)
        if key not in context.cache:
            settings = parse_settings(target.options)
            context.cache[key] = [
                ClusterReads(found, settings) if isinstance(found, Cluster) else found for found in clusters(settings)
            ]
        for found in context.cache[key]:
            if isinstance(found, ClusterError):
                yield CollectionError(
                    kinds=self.kinds,
                    scope={"provider": "kubernetes", "cluster": found.name},
                    message=found.message,
                    operation="connect",
                    code=found.code,
                )
            else:
                yield from self.collect_cluster(found)

    def collect_cluster(self, reads: ClusterReads) -> Yield:
        raise NotImplementedError


def failed(exc: KubeCallError, kinds: Iterable[str], reads: ClusterReads) -> CollectionError:
    return exc.to_collection_error(kinds, reads.scope)


def pick(raw: Mapping[str, Any] | None, keys: Iterable[str]) -> dict[str, Any]:
    """The keys the API returned, as returned (absent stays absent: rules read it at its documented default)."""
    raw = raw or {}
    return {key: raw[key] for key in keys if key in raw}
