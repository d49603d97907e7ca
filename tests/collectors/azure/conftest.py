"""Fixtures for the Azure collectors: the seeded fake ARM/Graph server and a way to run collectors on it."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from fakes.azure import fake_azure
from fakes.azure_world import ARM_ENV, GRAPH_ENV, Collected, Seeded, new_world, seed
from provider_run import provider_runner


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
    return provider_runner("azure", Collected)
