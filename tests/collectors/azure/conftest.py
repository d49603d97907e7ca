"""Fixtures for the Azure collectors: the seeded fake ARM/Graph server and a way to run collectors on it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from typing import Any

import pytest
import structlog
from fakes.azure import fake_azure
from fakes.azure_world import ARM_ENV, GRAPH_ENV, Collected, Seeded, new_world, seed

from annexa.collectors.base import Context, Target
from annexa.collectors.registry import load_registry
from annexa.mappings.catalog import load_catalog
from annexa.mappings.evaluate import evaluate
from annexa.mappings.rules import builtin_rule_files, load_rules
from annexa.model import Fact


@pytest.fixture
def seeded(monkeypatch: pytest.MonkeyPatch) -> Iterator[Seeded]:
    world = new_world()
    expectations = seed(world)
    monkeypatch.setenv(ARM_ENV, world.arm_token)
    monkeypatch.setenv(GRAPH_ENV, world.graph_token)
    with fake_azure(world):
        yield Seeded(world, expectations)


@pytest.fixture
def run_azure() -> Callable[..., Collected]:
    """Run the Azure collectors (all, or those named) over targets, then evaluate the built-in rules."""
    registry = load_registry()
    rules = load_rules(builtin_rule_files(), registry.kinds(), set(load_catalog().ids()))

    def run(*targets: dict[str, Any], names: tuple[str, ...] = ()) -> Collected:
        context = Context(run_id="test", log=structlog.get_logger())
        out = Collected()
        kinds: set[str] = set()
        for index, options in enumerate(targets):
            for collector in registry.for_provider("azure"):
                if names and collector.name not in names:
                    continue
                kinds.update(collector.kinds)
                for item in collector().collect(Target("azure", options, index), context):
                    (out.facts if isinstance(item, Fact) else out.errors).append(item)
        out.results = evaluate(out.facts, out.errors, rules, datetime.now(timezone.utc), kinds)
        return out

    return run
