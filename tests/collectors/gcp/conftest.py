"""Fixtures for the GCP collectors: the seeded fake Google Cloud, a way to run collectors on it, and a
guard that no test ever reaches Google: Application Default Credentials and the metadata server are
made to fail loudly, so a test that forgot its token fails instead of looking for real credentials."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from typing import Any

import google.auth
import google.auth.compute_engine._metadata as metadata
import pytest
import structlog
from fakes.gcp import fake_google
from fakes.gcp_world import TOKEN, TOKEN_ENV, Collected, Seeded, new_world, seed

from annexa.collectors.base import Context, Target
from annexa.collectors.registry import load_registry
from annexa.mappings.catalog import load_catalog
from annexa.mappings.evaluate import evaluate
from annexa.mappings.rules import builtin_rule_files, load_rules
from annexa.model import Fact


class ReachedGoogle(AssertionError):
    """A test tried to find real credentials."""


@pytest.fixture(autouse=True)
def no_real_google(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise ReachedGoogle("a test asked for Application Default Credentials or the metadata server")

    monkeypatch.setattr(google.auth, "default", refuse)
    monkeypatch.setattr(metadata, "ping", refuse)
    monkeypatch.setattr(metadata, "get", refuse)
    monkeypatch.setenv("GCE_METADATA_HOST", "127.0.0.1:9")  # a closed port, should anything bypass the patches
    monkeypatch.delenv("GOOGLE_APPLICATION_CREDENTIALS", raising=False)


@pytest.fixture
def seeded(monkeypatch: pytest.MonkeyPatch) -> Iterator[Seeded]:
    world = seed(new_world())
    monkeypatch.setenv(TOKEN_ENV, TOKEN)
    with fake_google(world):
        yield Seeded(world)


@pytest.fixture
def run_gcp() -> Callable[..., Collected]:
    """Run the GCP collectors (all, or those named) over targets, then evaluate the built-in rules."""
    registry = load_registry()
    rules = load_rules(builtin_rule_files(), registry.kinds(), set(load_catalog().ids()))

    def run(*targets: dict[str, Any], names: tuple[str, ...] = ()) -> Collected:
        context = Context(run_id="test", log=structlog.get_logger())
        out = Collected()
        kinds: set[str] = set()
        for index, options in enumerate(targets):
            for collector in registry.for_provider("gcp"):
                if names and collector.name not in names:
                    continue
                kinds.update(collector.kinds)
                for item in collector().collect(Target("gcp", options, index), context):
                    (out.facts if isinstance(item, Fact) else out.errors).append(item)
        out.results = evaluate(out.facts, out.errors, rules, datetime.now(timezone.utc), kinds)
        return out

    return run
