"""Redaction must not destroy evidence: every fact the collectors read from the fakes built on
vendors' published examples (the Azure world, the GitHub fake, the host fixtures from Debian
packages) comes out of `redact` unchanged, ids, ARNs, hashes, settings and dates included."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pytest
import structlog
from fakes.azure import fake_azure
from fakes.azure_world import ARM_ENV, GRAPH_ENV, Seeded, new_world, seed
from fakes.github import fake_github, seeded_org

from annexa.collectors.base import Context, Target
from annexa.collectors.registry import load_registry
from annexa.evidence_store.redact import redact
from annexa.model import Fact

HOST_FIXTURES = Path(__file__).parent.parent / "collectors" / "host" / "fixtures"


def _changed(facts: Iterable[Fact]) -> list[str]:
    """`kind resource` of every fact that redaction would alter (none may be)."""
    changed = []
    for fact in facts:
        body = {
            "resource": fact.resource,
            "scope": dict(fact.scope),
            "data": fact.data,
            "source": fact.source.to_dict(),
        }
        if redact(body) != body:
            changed.append(f"{fact.kind} {fact.resource}: {redact(fact.data)}")
    return changed


def _collect(provider: str, options: dict[str, object]) -> list[Fact]:
    context = Context(run_id="fp", log=structlog.get_logger())
    facts = []
    for collector in load_registry().for_provider(provider):
        facts += [i for i in collector().collect(Target(provider, options), context) if isinstance(i, Fact)]
    return facts


def test_azure_facts_survive_redaction(monkeypatch: pytest.MonkeyPatch) -> None:
    world = new_world()
    expectations = seed(world)
    monkeypatch.setenv(ARM_ENV, world.arm_token)
    monkeypatch.setenv(GRAPH_ENV, world.graph_token)
    with fake_azure(world):
        facts = _collect("azure", Seeded(world, expectations).options())
    assert len(facts) > 50
    assert _changed(facts) == []


def test_github_facts_survive_redaction(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANNEXA_TEST_GH_TOKEN", "ghp_" + "a" * 36)
    with fake_github() as fake:
        seeded_org(fake, members=20)
        facts = _collect("github", {"org": "acme", "base_url": fake.url, "token_env": "ANNEXA_TEST_GH_TOKEN"})
    assert len(facts) > 20
    assert _changed(facts) == []


@pytest.mark.parametrize("root", ["hardened", "weak"])
def test_host_facts_survive_redaction(root: str) -> None:
    facts = _collect("host", {"root": str(HOST_FIXTURES / root), "name": root})
    assert len(facts) >= 5
    assert _changed(facts) == []
