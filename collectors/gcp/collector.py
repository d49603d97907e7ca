"""The base of every GCP collector: resolve the target once, then read each active project.

A project that could not be read (or a folder whose children could not be listed) is one error
for all of the collector's kinds there; a project pending deletion is skipped (the
`gcp.projects` collector records it as such). Within a project, `listed` turns one paged list
into facts, or into one error for the kinds it concerns.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, ClassVar

from annexa.collectors.base import Collector, Context, Target
from annexa.collectors.gcp.client import GcpCallError, Reply
from annexa.collectors.gcp.session import GcpTarget, Project, ProjectError, connect
from annexa.collectors.gcp.settings import TARGET_OPTIONS, parse_settings
from annexa.model import CollectionError, Fact

__all__ = ["ACTIVE", "GcpCollector", "fact", "listed"]

ACTIVE = "ACTIVE"
Yield = Iterator[Fact | CollectionError]


class GcpCollector(Collector):
    provider: ClassVar[str] = "gcp"
    target_options: ClassVar[Mapping[str, type | tuple[type, ...]]] = TARGET_OPTIONS

    @classmethod
    def check_options(cls, options: Mapping[str, Any]) -> None:
        parse_settings(options)

    def collect(self, target: Target, context: Context) -> Yield:
        gcp = connect(target, context)
        if isinstance(gcp, GcpCallError):
            yield gcp.to_collection_error(self.kinds, {"provider": "gcp"})
            return
        for item in gcp.projects():
            if isinstance(item, ProjectError):
                yield item.error.to_collection_error(self.kinds, item.scope(), item.node)
            elif item.state == ACTIVE:
                yield from self.collect_project(gcp, item)

    def collect_project(self, gcp: GcpTarget, project: Project) -> Yield:
        raise NotImplementedError


def fact(gcp: GcpTarget, kind: str, resource: str, scope: dict[str, str], data: Any, *replies: Reply) -> Fact:
    return Fact(kind=kind, resource=resource, scope=scope, data=data, source=gcp.apis.source(replies))


def listed(
    gcp: GcpTarget,
    project: Project,
    kinds: Iterable[str],
    read: Callable[[], tuple[list[Any], Reply]],
    each: Callable[[dict[str, Any], Reply], Yield],
    resource: str | None = None,
) -> Yield:
    """Each item of one paged list through `each`; a failed list is one error for `kinds`."""
    try:
        found, reply = read()
    except GcpCallError as exc:
        yield exc.to_collection_error(kinds, project.scope(), resource or project.resource)
        return
    for raw in found:
        yield from each(raw, reply)


def pick(raw: dict[str, Any], keys: Iterable[str]) -> dict[str, Any]:
    """The keys the API returned, as it returned them (absent stays absent: rules read it at its
    documented default or report it)."""
    return {key: raw[key] for key in keys if key in raw}
