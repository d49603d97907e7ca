"""Fixtures for the Kubernetes collectors: the seeded fake API server and a way to run the
collectors on it and judge the built-in rules. No test reaches a real cluster: KUBECONFIG points at
a file that does not exist and the in-cluster variables are removed."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from fakes.kubernetes import CLUSTER, TOKEN, FakeKubernetes, fake_kubernetes, seed_cluster
from provider_run import provider_runner

from annexa.model import CollectionError, Fact, Result

TOKEN_ENV = "ANNEXA_TEST_KUBE_TOKEN"
REGISTRIES = ["registry.acme.example", "registry.k8s.io"]


@dataclass
class Collected:
    facts: list[Fact] = field(default_factory=list)
    errors: list[CollectionError] = field(default_factory=list)
    results: list[Result] = field(default_factory=list)

    def verdicts(self, rule: str) -> dict[str, str]:
        return {r.resource: r.status for r in self.results if r.rule == rule}


@pytest.fixture(autouse=True)
def no_real_cluster(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "no-such-kubeconfig"))
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    monkeypatch.delenv("KUBERNETES_SERVICE_PORT", raising=False)


@pytest.fixture
def cluster(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeKubernetes]:
    monkeypatch.setenv(TOKEN_ENV, TOKEN)
    with fake_kubernetes() as fake:
        yield seed_cluster(fake)


@pytest.fixture
def options(cluster: FakeKubernetes) -> Callable[..., dict[str, Any]]:
    """The target options that read the seeded cluster (server and token), with `extra` on top."""

    def make(**extra: Any) -> dict[str, Any]:
        return {
            "server": cluster.url,
            "token_env": TOKEN_ENV,
            "name": CLUSTER,
            "allowed_registries": REGISTRIES,
            **extra,
        }

    return make


@pytest.fixture
def run_kube() -> Callable[..., Collected]:
    """Run the Kubernetes collectors (all, or those named) over targets, then evaluate the built-in rules."""
    return provider_runner("kubernetes", Collected)
