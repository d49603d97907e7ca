"""Fixtures for the GCP collectors: the seeded fake Google Cloud, a way to run collectors on it, and a
guard that no test ever reaches Google: Application Default Credentials and the metadata server are
made to fail loudly, so a test that forgot its token fails instead of looking for real credentials."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import google.auth
import google.auth.compute_engine._metadata as metadata
import pytest
from fakes.gcp import fake_google
from fakes.gcp_world import TOKEN, TOKEN_ENV, Collected, Seeded, new_world, seed
from provider_run import provider_runner


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
    return provider_runner("gcp", Collected)
