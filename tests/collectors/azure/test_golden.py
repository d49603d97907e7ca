"""The Azure collectors' evidence on the seeded fake ARM/Graph, against golden files (tests/golden.py
says why and how to regenerate them): the seeded estate as tests/collectors/azure/test_collectors.py
and tests/e2e/test_azure_e2e.py read it, their fault variants, and every path the collectors read
answering 403 in turn."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fakes.azure import FakeAzure, fake_azure
from fakes.azure_world import ARM_ENV, GRAPH_ENV, PROD, SANDBOX, Collected, Seeded, new_world, seed
from golden import assert_matches_golden, evidence, identities

from annexa.collectors.registry import load_registry

AZURE = tuple(c.name for c in load_registry().for_provider("azure"))
MISSING = "33333333-3333-4333-8333-333333333333"


@pytest.fixture
def world(monkeypatch: pytest.MonkeyPatch) -> Callable[[], Seeded]:
    """A fresh seeded world per scenario (scenarios change it), its tokens in the environment."""

    def fresh() -> Seeded:
        made = new_world()
        expectations = seed(made)
        monkeypatch.setenv(ARM_ENV, made.arm_token)
        monkeypatch.setenv(GRAPH_ENV, made.graph_token)
        return Seeded(made, expectations)

    return fresh


def _evidence(collected: Collected) -> dict[str, list[str]]:
    return evidence(collected.facts, collected.errors, collected.results)


def test_seeded_estate_evidence_is_unchanged(world, run_azure, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    variants: dict[str, tuple[Callable[[FakeAzure], None], dict[str, object], tuple[str, ...]]] = {
        "estate": (
            lambda w: w.throttle("arm", f"/subscriptions/{PROD}/providers/Microsoft.Security/pricings", "0"),
            {},
            (),
        ),
        "sandbox only": (lambda w: None, {"subscriptions": [SANDBOX]}, ("azure.keyvault", "azure.storage")),
        "sql servers denied": (
            lambda w: w.deny("arm", f"/subscriptions/{PROD}/providers/Microsoft.Sql/servers"),
            {"subscriptions": [PROD]},
            ("azure.sql",),
        ),
        "subscription missing": (lambda w: None, {"subscriptions": [MISSING]}, ("azure.compute",)),
        "no premium licence": (lambda w: setattr(w, "no_premium", True), {}, ("azure.entra.users",)),
        "security defaults, conditional access denied": (
            lambda w: (
                w.documents[("graph", "/v1.0/policies/identitySecurityDefaultsEnforcementPolicy")].update(
                    isEnabled=True
                ),
                w.deny("graph", "/v1.0/identity/conditionalAccess/policies", "Authorization_RequestDenied"),
            ),
            {},
            ("azure.entra.policies",),
        ),
        "conditional access denied": (
            lambda w: w.deny("graph", "/v1.0/identity/conditionalAccess/policies", "Authorization_RequestDenied"),
            {},
            ("azure.entra.policies",),
        ),
    }
    scenarios = {}
    for name, (change, options, names) in variants.items():
        seeded = world()
        change(seeded.world)
        with fake_azure(seeded.world):
            scenarios[name] = _evidence(run_azure(seeded.options(**options), names=names))
    seeded = world()
    monkeypatch.delenv(GRAPH_ENV)
    with fake_azure(seeded.world):
        scenarios["graph token missing"] = _evidence(run_azure(seeded.options(), names=("azure.entra.policies",)))
    assert_matches_golden("azure-estate", scenarios)


def test_every_path_failing_is_unchanged(world, run_azure) -> None:  # type: ignore[no-untyped-def]
    seeded = world()
    scenarios = {}
    with fake_azure(seeded.world) as fake:
        seeded_faults = dict(fake.denied)
        for name in AZURE:
            fake.requests.clear()
            run_azure(seeded.options(), names=(name,))
            for api, path in dict.fromkeys((r.api, r.path) for r in fake.requests):
                fake.denied = {**seeded_faults, (api, path): "AuthorizationFailed"}
                collected = run_azure(seeded.options(), names=(name,))
                scenarios[f"{name} {api} {path}"] = identities(collected.facts, collected.errors, collected.results)
            fake.denied = seeded_faults
    assert_matches_golden("azure-each-path-fails", scenarios)
