"""Declarative Azure collectors: what to list (ARM or Microsoft Graph), what to read per item.

A `SubscriptionCollector` (ARM, per subscription) or `TenantCollector` (Graph, once per tenant)
declares `specs`; the base reads them in order.

- `Listing`: one fact per item a collection returns (every page: `nextLink`/`@odata.nextLink`).
  `details` add one read per item (a VM's extensions); `children` are listings and settings
  under each item (a server's databases, a vault's keys), read after the item.
- `Setting`: one fact from one document (a tenant policy), or from one collection read whole
  (a vault's diagnostic settings).
- `Detail`: one more read per item.

A path names the item it reads under in its one placeholder (`{vm}/extensions`, filled with
the item's id); a top-level ARM path uses `{subscription}`. Each fact's resource is `resource`
formatted with the item's fields (and `{tenant}`): `{id}` for ARM.

A failed read is evidence about exactly what it concerns: a failed listing is an error for its
kind and every kind below it, in the subscription or tenant (under a parent: for the parent's
collection, e.g. `<server id>/databases`); a failed detail is an error for that item's
resource while the other items go on; a failed setting is an error for the setting.

The spec is the one source of the requests each fact's `source` records (the URLs read) and of
the permissions the collector needs: for ARM the RBAC action is derived from the path
(`Microsoft.Sql/servers/databases/read`); a Graph read names its permission (`Domain.Read.All`).
"""

from __future__ import annotations

import string
from collections import ChainMap
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from annexa.collectors.azure.client import AzureCallError, Reply, RestApi
from annexa.collectors.azure.session import Subscription, Tenant
from annexa.collectors.azure.util import region_of
from annexa.model import CollectionError, Fact, Source

__all__ = ["Detail", "Listing", "Setting", "Spec", "collect_specs", "rbac_read_action"]

Scope = dict[str, str]


@dataclass(frozen=True)
class _Reader:
    """Where specs are read: one subscription through ARM, or one tenant through Graph."""

    api: RestApi
    path: Mapping[str, str]  # the placeholders top-level paths use: {subscription}
    names: Mapping[str, str]  # more fields a resource format may use: {tenant}
    scope: Scope  # of the subscription or tenant
    scope_of: Callable[[dict[str, Any]], Scope]  # of one top-level item
    source: Callable[..., Source]

    @classmethod
    def of(cls, where: Subscription | Tenant) -> _Reader:
        if isinstance(where, Subscription):
            return cls(
                where.arm,
                {"subscription": where.id},
                {},
                where.scope(),
                lambda raw: where.scope(region_of(raw)),
                where.source,
            )
        return cls(where.graph, {}, {"tenant": where.id}, where.scope(), lambda raw: where.scope(), where.source)


def _placeholder(path: str) -> str | None:
    """The one field a path names (`vm` in `{vm}/extensions`), or None."""
    fields = [name for _, name, _, _ in string.Formatter().parse(path) if name]
    return fields[0] if len(fields) == 1 else None


def _read(api: RestApi, path: str, params: Mapping[str, str], collection: bool, **values: str) -> Reply:
    return api.list(path, params, **values) if collection else api.get(path, params, **values)


def _params(api_version: str | None, params: Mapping[str, str]) -> dict[str, str]:
    return {**({"api-version": api_version} if api_version else {}), **params}


def rbac_read_action(path: str) -> str:
    """The Azure RBAC action that allows a GET of an ARM path or resource id:
    `/subscriptions/s/resourceGroups/g/providers/Microsoft.Sql/servers/a/databases/b`
    -> `Microsoft.Sql/servers/databases/read` (after `providers/`, types and names alternate)."""
    segments = path.split("?")[0].strip("/").split("/")
    if "providers" not in segments:
        return "Microsoft.Resources/subscriptions/read"
    at = len(segments) - 1 - segments[::-1].index("providers")
    namespace, rest = segments[at + 1], segments[at + 2 :]
    return "/".join([namespace, *rest[0::2], "read"])


def _example(path: str, parent: str | None) -> str:
    """A path as a request would send it (placeholders filled: with the parent's example id
    under a parent), to derive its RBAC action."""
    name = _placeholder(path)
    if name is not None and parent is not None:
        return path.format(**{name: parent})
    return path.format_map(_Any())


class _Any(dict[str, str]):
    """Placeholders without a value stay as their own name: `{subscription}` -> `subscription`."""

    def __missing__(self, key: str) -> str:
        return key


@dataclass(frozen=True)
class Detail:
    """One more read per item: `path` under the item (`{vm}/extensions`), one document or a
    whole collection (`collection=True`, every page). Its reply is handed to `data`."""

    path: str
    api_version: str | None = None
    collection: bool = False
    params: Mapping[str, str] = field(default_factory=dict)

    def read(self, api: RestApi, item: dict[str, Any]) -> Reply:
        name = _placeholder(self.path)
        assert name is not None, f"a detail's path names its item: {self.path}"
        return _read(api, self.path, _params(self.api_version, self.params), self.collection, **{name: item["id"]})


@dataclass(frozen=True)
class Setting:
    """One fact of `kind` from one read: a document, or a collection read whole (`collection=True`).

    Top level: `data(body)`, `resource` formatted with `{tenant}`. Under a parent: `data(parent,
    body)`, `resource` formatted with the parent's fields (default: the parent's id)."""

    kind: str
    path: str
    api_version: str | None
    data: Callable[..., dict[str, Any]]
    resource: str = "{id}"
    collection: bool = False
    params: Mapping[str, str] = field(default_factory=dict)
    graph_permissions: tuple[str, ...] = ()  # what this Graph read needs; ARM's is derived from the path

    @property
    def kinds(self) -> tuple[str, ...]:
        return (self.kind,)

    def permissions(self, parent: str | None = None) -> tuple[str, ...]:
        return self.graph_permissions or (rbac_read_action(_example(self.path, parent)),)

    def collect(
        self, reader: _Reader, parent: dict[str, Any] | None = None, scope: Scope | None = None
    ) -> Iterator[Fact | CollectionError]:
        resource = self.resource.format_map(ChainMap(dict(reader.names), parent or {}))
        scope = reader.scope if scope is None else scope
        name = _placeholder(self.path)
        values = {name: parent["id"]} if parent is not None and name else dict(reader.path)
        try:
            reply = _read(reader.api, self.path, _params(self.api_version, self.params), self.collection, **values)
        except AzureCallError as exc:
            yield exc.to_collection_error(self.kinds, scope, resource)
            return
        data = self.data(reply.body) if parent is None else self.data(parent, reply.body)
        yield Fact(kind=self.kind, resource=resource, scope=scope, data=data, source=reader.source(reply))


@dataclass(frozen=True)
class Listing:
    """One fact of `kind` per item of the collection at `path`, with `details` read per item and
    `children` read under it.

    Top level: `data(item, *detail bodies)`. Under a parent: `data(parent, item, *detail bodies)`.
    """

    kind: str
    path: str
    api_version: str | None
    data: Callable[..., dict[str, Any]]
    resource: str = "{id}"
    params: Mapping[str, str] = field(default_factory=dict)
    details: tuple[Detail, ...] = ()
    children: tuple[Listing | Setting, ...] = ()
    graph_permissions: tuple[str, ...] = ()  # what this Graph read and its details need; ARM's are derived

    @property
    def kinds(self) -> tuple[str, ...]:
        """This listing's kind and every kind below it: a failed listing concerns them all."""
        return tuple(dict.fromkeys([self.kind, *(kind for child in self.children for kind in child.kinds)]))

    def permissions(self, parent: str | None = None) -> tuple[str, ...]:
        item = _example(self.path, parent) + "/item"
        own = list(self.graph_permissions) or [
            rbac_read_action(_example(path, source))
            for path, source in [(self.path, parent), *((detail.path, item) for detail in self.details)]
        ]
        return tuple(dict.fromkeys([*own, *(p for child in self.children for p in child.permissions(item))]))

    def collect(
        self, reader: _Reader, parent: dict[str, Any] | None = None, scope: Scope | None = None
    ) -> Iterator[Fact | CollectionError]:
        name = _placeholder(self.path)
        values = {name: parent["id"]} if parent is not None and name else dict(reader.path)
        scope = reader.scope if scope is None else scope
        try:
            listed = reader.api.list(self.path, _params(self.api_version, self.params), **values)
        except AzureCallError as exc:
            # under a parent, the error concerns the parent's collection (`<server id>/databases`)
            yield exc.to_collection_error(self.kinds, scope, None if parent is None else self.path.format(**values))
            return
        for raw in listed.body:
            item_scope = reader.scope_of(raw) if parent is None else scope
            resource = self.resource.format_map(ChainMap(dict(reader.names), raw))
            try:
                replies = [detail.read(reader.api, raw) for detail in self.details]
            except AzureCallError as exc:
                yield exc.to_collection_error((self.kind,), item_scope, resource)
            else:
                bodies = [reply.body for reply in replies]
                data = self.data(raw, *bodies) if parent is None else self.data(parent, raw, *bodies)
                yield Fact(
                    kind=self.kind,
                    resource=resource,
                    scope=item_scope,
                    data=data,
                    source=reader.source(listed, *replies),
                )
            for child in self.children:
                yield from child.collect(reader, raw, item_scope)


Spec = Listing | Setting


def collect_specs(specs: tuple[Spec, ...], where: Subscription | Tenant) -> Iterator[Fact | CollectionError]:
    """Read `specs` in order in one subscription or tenant."""
    reader = _Reader.of(where)
    for spec in specs:
        yield from spec.collect(reader)
