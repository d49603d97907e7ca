"""Focused checks of an Azure collector's specs on the fake ARM/Graph (tests/fakes/azure.py).

`assert_pages_and_errors` seeds the fake from the collector's own specs: every collection it
lists holds two items served one per page (so a collector that stops at the first page loses
one), every document it reads exists. It then runs the collector once cleanly and once more for
every path it read, that path answering 403, and checks that the failure is error evidence for
exactly what it concerns while everything else still arrives.

The items are placeholders (ids, names, empty properties): these checks are about paging and
failures, not the shape of the evidence (tests/collectors/azure/test_collectors.py and the golden
files check that on the seeded estate).
"""

from __future__ import annotations

import string
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import structlog

from annexa.collectors.azure.collector import AzureCollector, SubscriptionCollector
from annexa.collectors.azure.spec import Setting, Spec
from annexa.collectors.base import Context, Target
from annexa.model import CollectionError, Fact

from .azure import FakeAzure, fake_azure, fake_jwt

__all__ = ["assert_pages_and_errors"]

TENANT = "0c7f1a8e-0000-4000-8000-00000000aa01"
OBJECT_ID = "0c7f1a8e-0000-4000-8000-00000000bb02"
SUBSCRIPTION = "0c7f1a8e-0000-4000-8000-00000000cc03"
ARM_ENV, GRAPH_ENV = "ANNEXA_TEST_SPEC_ARM_TOKEN", "ANNEXA_TEST_SPEC_GRAPH_TOKEN"


@dataclass(frozen=True)
class _Expected:
    """What a 403 on one path must become: one error for `kinds` about `resource`."""

    api: str
    path: str
    kinds: tuple[str, ...]
    resource: str | None


def _item(api: str, collection: str, n: int) -> dict[str, Any]:
    """ARM items are named by their resource id under the collection; Graph items by an object id."""
    item_id = f"{collection}/item-{n}" if api == "arm" else f"{collection.rsplit('/', 1)[-1]}-{n}"
    return {"id": item_id, "name": f"item-{n}", "location": "westeurope", "properties": {}}


def _format(template: str, item: dict[str, Any] | None, top: dict[str, str]) -> str:
    fields = [name for _, name, _, _ in string.Formatter().parse(template) if name]
    if item is not None and len(fields) == 1:
        return template.format(**{fields[0]: item["id"]})
    return template.format(**top)


def _seed(
    world: FakeAzure, api: str, spec: Spec, parent: dict[str, Any] | None, top: dict[str, str]
) -> Iterator[_Expected]:
    path = _format(spec.path, parent, top)
    names = {"tenant": TENANT}
    if isinstance(spec, Setting):
        body: Any = [_item(api, path, 1)] if spec.collection else {"id": path, "properties": {}}
        (world.collection(api, path, body, page_size=1) if spec.collection else world.document(api, path, body))
        yield _Expected(api, path, spec.kinds, spec.resource.format_map({**names, **(parent or {})}))
        return
    items = [_item(api, path, n) for n in (1, 2)]
    world.collection(api, path, items, page_size=1)
    yield _Expected(api, path, spec.kinds, None if parent is None else path)
    for n, item in enumerate(items, 1):
        resource = spec.resource.format_map({**names, **item})
        for detail in spec.details:
            detail_path = _format(detail.path, item, top)
            if detail.collection:
                world.collection(api, detail_path, [_item(api, detail_path, n) for n in (1, 2)], page_size=1)
            else:
                world.document(api, detail_path, {"id": detail_path, "properties": {}})
            if n == 1:
                yield _Expected(api, detail_path, (spec.kind,), resource)
        for child in spec.children:
            expected = list(_seed(world, api, child, item, top))
            if n == 1:
                yield from expected


def _collect(
    collector: type[AzureCollector], world: FakeAzure, kinds: set[str]
) -> tuple[list[Fact], list[CollectionError]]:
    """What the collector yields of `kinds` (its specs'; a bespoke part reads paths not seeded here)."""
    options = {
        "arm_endpoint": world.arm_endpoint,
        "graph_endpoint": world.graph_endpoint,
        "credential": {"type": "access_token_env", "arm_token_env": ARM_ENV, "graph_token_env": GRAPH_ENV},
        "subscriptions": [SUBSCRIPTION],
    }
    context = Context(run_id="test", log=structlog.get_logger())
    items = list(collector().collect(Target("azure", options, 0), context))
    facts = [i for i in items if isinstance(i, Fact) and i.kind in kinds]
    return facts, [i for i in items if isinstance(i, CollectionError) and set(i.kinds) & kinds]


def _counts(facts: list[Fact]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for fact in facts:
        counts[fact.kind] = counts.get(fact.kind, 0) + 1
    return counts


def assert_pages_and_errors(collector: type[AzureCollector], monkeypatch: pytest.MonkeyPatch) -> None:
    """Every collection the specs list is read to its last page, and a 403 on any path the specs read
    is one error about exactly that item (or collection), the rest still collected."""
    world = FakeAzure(
        arm_token=fake_jwt(TENANT, OBJECT_ID, "https://management.azure.com"),
        graph_token=fake_jwt(TENANT, OBJECT_ID, "https://graph.microsoft.com"),
    )
    monkeypatch.setenv(ARM_ENV, world.arm_token)
    monkeypatch.setenv(GRAPH_ENV, world.graph_token)
    arm = issubclass(collector, SubscriptionCollector)
    api = "arm" if arm else "graph"
    world.document("arm", f"/subscriptions/{SUBSCRIPTION}", {"subscriptionId": SUBSCRIPTION, "tenantId": TENANT})
    expected = [e for spec in collector.specs for e in _seed(world, api, spec, None, {"subscription": SUBSCRIPTION})]
    kinds = {kind for spec in collector.specs for kind in spec.kinds}
    with fake_azure(world):
        facts, errors = _collect(collector, world, kinds)
        clean = _counts(facts)
        assert errors == [] and kinds == set(clean), f"{collector.name}: every kind collected, nothing failed"
        listed = {(e.api, e.path) for e in expected if e.resource is None or e.resource == e.path}
        later_pages = {(r.api, r.path) for r in world.requests if "$skiptoken" in r.query}
        assert listed <= later_pages, f"{collector.name}: every collection is read past its first page"
        for case in expected:
            world.denied = {(case.api, case.path): "AuthorizationFailed"}
            facts, errors = _collect(collector, world, kinds)
            assert [(e.kinds, e.resource) for e in errors] == [(case.kinds, case.resource)], case.path
            counts = _counts(facts)
            lost = {kind: clean[kind] - counts.get(kind, 0) for kind in clean if counts.get(kind, 0) != clean[kind]}
            assert set(lost) <= set(case.kinds), f"{case.path}: only what the failure concerns is missing"
            if case.resource is not None and case.resource != case.path:
                assert lost == {case.kinds[0]: 1}, f"{case.path}: one item lost, its siblings still collected"
        world.denied = {}
