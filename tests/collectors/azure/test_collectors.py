"""The Azure collectors against the seeded fake: every seeded finding, errors as evidence, GET only."""

from __future__ import annotations

from collections.abc import Callable

from fakes.azure_world import OBJECT_ID, PROD, SANDBOX, TENANT, Collected, Seeded

SANDBOX_KEYVAULTS = f"/subscriptions/{SANDBOX}/providers/Microsoft.KeyVault/vaults"


def test_every_seeded_finding_is_found(seeded: Seeded, run_azure: Callable[..., Collected]) -> None:
    seeded.world.throttle("arm", f"/subscriptions/{PROD}/providers/Microsoft.Security/pricings", retry_after="0")
    collected = run_azure(seeded.options())
    mismatches = [
        (e.rule, e.resource, e.status, collected.status(e.rule, e.resource))
        for e in seeded.expectations
        if collected.status(e.rule, e.resource) != e.status
    ]
    assert not mismatches, mismatches
    # the only collection error is the seeded 403; the 429 was retried, not reported
    assert [(e.code, e.scope.get("subscription")) for e in collected.errors] == [("AuthorizationFailed", SANDBOX)]
    assert seeded.world.methods() == {"GET"}


def test_facts_record_request_urls_pages_and_principal(seeded: Seeded, run_azure: Callable[..., Collected]) -> None:
    collected = run_azure(seeded.options(), names=("azure.storage", "azure.entra.users"))
    account = next(iter(collected.of("azure.storage.account").values()))
    assert account.source.principal == f"{TENANT}/{OBJECT_ID}"
    assert account.source.operations == (
        f"GET {seeded.world.arm_endpoint}/subscriptions/{PROD}/providers/Microsoft.Storage/storageAccounts"
        "?api-version=2023-05-01",
    )
    assert account.source.pages == 2 and account.source.endpoint == seeded.world.arm_endpoint
    assert account.scope == {"provider": "azure", "subscription": PROD, "region": "westeurope"}
    user = next(iter(collected.of("azure.entra.user").values()))
    assert user.source.pages == 3 and user.scope == {"provider": "azure", "tenant": TENANT}
    for fact in collected.facts:
        assert seeded.world.arm_token not in repr(fact) and seeded.world.graph_token not in repr(fact)


def test_only_configured_subscriptions_are_read(seeded: Seeded, run_azure: Callable[..., Collected]) -> None:
    collected = run_azure(seeded.options(subscriptions=[SANDBOX]), names=("azure.keyvault", "azure.storage"))
    assert not collected.facts  # the sandbox has no storage accounts, and its Key Vaults are denied
    assert [(e.code, e.scope["subscription"]) for e in collected.errors] == [("AuthorizationFailed", SANDBOX)]
    assert not [r for r in seeded.world.requests if r.path == "/subscriptions" or PROD in r.path]


def test_a_denied_api_is_error_evidence_not_a_pass(seeded: Seeded, run_azure: Callable[..., Collected]) -> None:
    seeded.world.deny("arm", f"/subscriptions/{PROD}/providers/Microsoft.Sql/servers")
    collected = run_azure(seeded.options(subscriptions=[PROD]), names=("azure.sql",))
    sql_results = {r.rule: r for r in collected.results if r.kind.startswith("azure.sql.")}
    assert sql_results and all(r.status == "error" for r in sql_results.values())
    assert "HTTP 403 AuthorizationFailed" in sql_results["azure.sql.database-tde"].message


def test_unreadable_subscription_is_an_error_for_every_kind(
    seeded: Seeded, run_azure: Callable[..., Collected]
) -> None:
    missing = "33333333-3333-4333-8333-333333333333"
    collected = run_azure(seeded.options(subscriptions=[missing]), names=("azure.compute",))
    (error,) = collected.errors
    assert error.kinds == ("azure.compute.vm", "azure.compute.disk") and error.code == "ResourceNotFound"
    assert {r.status for r in collected.results} == {"error"}


def test_missing_token_is_error_evidence(seeded: Seeded, run_azure: Callable[..., Collected], monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.delenv("ANNEXA_TEST_GRAPH_TOKEN")
    collected = run_azure(seeded.options(), names=("azure.entra.policies",))
    (error,) = collected.errors
    assert error.code == "CredentialUnavailableError" and "ANNEXA_TEST_GRAPH_TOKEN" in error.message
    assert {r.status for r in collected.results} == {"error"}
    assert seeded.world.requests == []


def test_sign_in_activity_without_licence(seeded: Seeded, run_azure: Callable[..., Collected]) -> None:
    seeded.world.no_premium = True
    collected = run_azure(seeded.options(), names=("azure.entra.users",))
    assert len(collected.of("azure.entra.user")) == 8 and not collected.of("azure.entra.user_sign_in")
    (error,) = collected.errors
    assert error.kinds == ("azure.entra.user_sign_in",)
    assert error.code == "Authentication_RequestFromNonPremiumTenantOrB2CTenant"
    stale = [r for r in collected.results if r.rule == "azure.entra.stale-accounts"]
    assert [r.status for r in stale] == ["error"]


def test_security_defaults_make_conditional_access_optional(
    seeded: Seeded, run_azure: Callable[..., Collected]
) -> None:
    seeded.world.documents[("graph", "/v1.0/policies/identitySecurityDefaultsEnforcementPolicy")]["isEnabled"] = True
    seeded.world.deny("graph", "/v1.0/identity/conditionalAccess/policies", "Authorization_RequestDenied")
    collected = run_azure(seeded.options(), names=("azure.entra.policies",))
    assert collected.status("azure.entra.mfa-required", f"{TENANT}:mfa_enforcement") == "pass"
    assert collected.of("azure.entra.mfa_enforcement")[f"{TENANT}:mfa_enforcement"].data["conditional_access"] is None


def test_conditional_access_unreadable_without_security_defaults_is_an_error(
    seeded: Seeded, run_azure: Callable[..., Collected]
) -> None:
    seeded.world.deny("graph", "/v1.0/identity/conditionalAccess/policies", "Authorization_RequestDenied")
    collected = run_azure(seeded.options(), names=("azure.entra.policies",))
    assert collected.status("azure.entra.mfa-required", f"{TENANT}:mfa_enforcement") == "error"


def test_tenant_is_read_once_for_several_targets(seeded: Seeded, run_azure: Callable[..., Collected]) -> None:
    collected = run_azure(
        seeded.options(subscriptions=[PROD]), seeded.options(subscriptions=[SANDBOX]), names=("azure.entra.roles",)
    )
    assert len([r for r in seeded.world.requests if r.path == "/v1.0/directoryRoles"]) == 1
    assert len(collected.of("azure.entra.directory_role")) == 2
