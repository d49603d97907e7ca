"""Fixtures for the Kubernetes collectors: the seeded fake API server and a way to run the
collectors on it and judge the built-in rules. No test reaches a real cluster: KUBECONFIG points at
a file that does not exist and the in-cluster variables are removed."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
import structlog
from fakes.kubernetes import CLUSTER, TOKEN, FakeKubernetes, fake_kubernetes, seed_cluster

from annexa.collectors.base import Context, Target
from annexa.collectors.registry import load_registry
from annexa.mappings.catalog import load_catalog
from annexa.mappings.evaluate import evaluate
from annexa.mappings.rules import builtin_rule_files, load_rules
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
    registry = load_registry()
    rules = load_rules(builtin_rule_files(), registry.kinds(), set(load_catalog().ids()))

    def run(*targets: dict[str, Any], names: tuple[str, ...] = ()) -> Collected:
        context = Context(run_id="test", log=structlog.get_logger())
        out = Collected()
        kinds: set[str] = set()
        for index, target in enumerate(targets):
            for collector in registry.for_provider("kubernetes"):
                if names and collector.name not in names:
                    continue
                kinds.update(collector.kinds)
                for item in collector().collect(Target("kubernetes", target, index), context):
                    (out.facts if isinstance(item, Fact) else out.errors).append(item)
        out.results = evaluate(out.facts, out.errors, rules, datetime.now(timezone.utc), kinds)
        return out

    return run
