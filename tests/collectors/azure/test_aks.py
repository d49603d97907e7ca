"""azure.aks (collectors/azure/aks.py): every AKS managed cluster, and under each its diagnostic settings.

The clusters and settings are the Azure REST API specs' published response bodies
(tests/data/azure/arm-managed-clusters.json names each one's file and commit)."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest
from fakes.azure_specs import assert_pages_and_errors
from fakes.azure_world import AKS_EXAMPLES, PROD, Collected, Seeded, aks_cluster, rid
from fakes.verdicts import results

from annexa.collectors.azure.aks import AksCollector, _cluster
from annexa.collectors.azure.diagnostics import diagnostic_settings
from annexa.model import Fact, Result, Source

CLUSTER_RULES = (
    "azure.aks.secrets-kms-encryption",
    "azure.aks.api-server-not-open",
    "azure.aks.local-accounts-disabled",
    "azure.aks.entra-azure-rbac",
)
CLUSTER = rid(PROD, "Microsoft.ContainerService", "managedClusters", "aks-test")


def test_reads_clusters_and_their_diagnostic_settings() -> None:
    assert AksCollector.kinds == ("azure.aks.cluster", "azure.aks.diagnostics")
    assert AksCollector.permissions == (
        "Microsoft.ContainerService/managedClusters/read",
        "Microsoft.Insights/diagnosticSettings/read",
    )


def test_every_page_is_read_and_a_failed_read_is_error_evidence(monkeypatch: pytest.MonkeyPatch) -> None:
    assert_pages_and_errors(AksCollector, monkeypatch)


def _fact(kind: str, data: dict[str, Any]) -> Fact:
    return Fact(
        kind=kind,
        resource=CLUSTER,
        scope={"provider": "azure", "subscription": PROD, "region": "westeurope"},
        data=data,
        source=Source(operations=("GET managedClusters",), principal="t/o", pages=1),
    )


def _judged(raw: dict[str, Any]) -> dict[str, Result]:
    return {r.rule: r for r in results([_fact("azure.aks.cluster", _cluster(raw))], "azure") if r.rule in CLUSTER_RULES}


def _audit(settings: list[dict[str, Any]]) -> Result:
    data = {"cluster": "aks-test", "settings": diagnostic_settings(settings)}
    return next(
        r for r in results([_fact("azure.aks.diagnostics", data)], "azure") if r.rule == "azure.aks.audit-logging"
    )


def test_the_published_list_example_is_judged_at_every_default() -> None:
    """ManagedClustersList.json returns no securityProfile, apiServerAccessProfile, aadProfile or
    disableLocalAccounts: platform keys only, a public API server open to all, local accounts on, no
    Entra ID. Each a fail that names the default applied, never a pass or a guess on null."""
    raw = AKS_EXAMPLES["clusters"]["list"]["body"]
    data = _cluster(raw)
    assert data["properties"] == {
        "kubernetesVersion": "1.9.6",
        "currentKubernetesVersion": "1.9.6",
        "provisioningState": "Succeeded",
        "enableRBAC": False,
    }
    judged = _judged(raw)
    assert {rule: r.status for rule, r in judged.items()} == dict.fromkeys(CLUSTER_RULES, "fail")
    assert all("default applied (absent from the API response)" in r.message for r in judged.values())
    assert "properties.securityProfile.azureKeyVaultKms.enabled = false" in judged[CLUSTER_RULES[0]].message


def test_published_examples_pass_what_they_configure() -> None:
    private = _judged(AKS_EXAMPLES["clusters"]["private_cluster"]["body"])
    assert private["azure.aks.api-server-not-open"].status == "pass"
    rbac = _judged(AKS_EXAMPLES["clusters"]["azure_rbac"]["body"])
    assert rbac["azure.aks.entra-azure-rbac"].status == "pass"
    assert rbac["azure.aks.local-accounts-disabled"].status == "fail"  # Entra ID alone leaves --admin open
    # a securityProfile without azureKeyVaultKms: platform keys only
    security = _judged(AKS_EXAMPLES["clusters"]["security_profile"]["body"])
    assert security["azure.aks.secrets-kms-encryption"].status == "fail"


@pytest.mark.parametrize(
    ("kms", "status"),
    [
        (
            {"enabled": True, "keyId": "https://kv.vault.azure.net/keys/k/0123", "keyVaultNetworkAccess": "Private"},
            "pass",
        ),
        ({"enabled": False}, "fail"),
        ({"keyId": ""}, "fail"),  # enabled absent: "The default is false"
    ],
)
def test_secrets_encryption_needs_key_vault_kms_enabled(kms: dict[str, Any], status: str) -> None:
    raw = aks_cluster("security_profile", CLUSTER)
    raw["properties"]["securityProfile"]["azureKeyVaultKms"] = kms
    assert _judged(raw)["azure.aks.secrets-kms-encryption"].status == status


@pytest.mark.parametrize(
    ("profile", "status"),
    [
        ({"authorizedIPRanges": ["203.0.113.0/24", "198.51.100.7/32"]}, "pass"),
        ({"enablePrivateCluster": True, "authorizedIPRanges": ["0.0.0.0/0"]}, "pass"),  # no public endpoint at all
        ({"authorizedIPRanges": ["203.0.113.0/24", "0.0.0.0/0"]}, "fail"),
        ({"authorizedIPRanges": []}, "fail"),
        ({"authorizedIPRanges": None, "enablePrivateCluster": False}, "fail"),
        ({}, "fail"),
    ],
)
def test_the_api_server_is_open_unless_private_or_restricted(profile: dict[str, Any], status: str) -> None:
    raw = aks_cluster("list", CLUSTER)
    raw["properties"]["apiServerAccessProfile"] = profile
    assert _judged(raw)["azure.aks.api-server-not-open"].status == status


@pytest.mark.parametrize(
    ("properties", "local", "entra"),
    [
        ({"disableLocalAccounts": True, "aadProfile": {"managed": True, "enableAzureRBAC": True}}, "pass", "pass"),
        ({"disableLocalAccounts": False, "aadProfile": {"managed": True}}, "fail", "fail"),
        ({"aadProfile": {"managed": False, "enableAzureRBAC": True}}, "fail", "fail"),
    ],
)
def test_local_accounts_and_entra_authorization(properties: dict[str, Any], local: str, entra: str) -> None:
    raw = aks_cluster("list", CLUSTER)
    raw["properties"].update(properties)
    judged = _judged(raw)
    assert judged["azure.aks.local-accounts-disabled"].status == local
    assert judged["azure.aks.entra-azure-rbac"].status == entra


def test_the_legacy_aad_server_secret_is_never_kept() -> None:
    raw = aks_cluster("azure_rbac", CLUSTER)
    raw["properties"]["aadProfile"].update(serverAppID="app", serverAppSecret="s3cr3t-value")
    data = _cluster(raw)
    assert "s3cr3t-value" not in repr(data)
    assert data["properties"]["aadProfile"] == {
        "managed": True,
        "adminGroupObjectIDs": None,
        "enableAzureRBAC": True,
        "tenantID": "tenantID",
    }


def _setting(example: str, logs: list[dict[str, Any]] | None = None, **destinations: str) -> dict[str, Any]:
    body: dict[str, Any] = copy.deepcopy(AKS_EXAMPLES["diagnostic_settings"][example]["body"])
    if logs is not None:
        body["properties"]["logs"] = logs
    body["properties"].update(destinations)
    return body


def test_audit_logs_are_exported_only_by_a_kube_audit_category_or_all_logs_with_a_destination() -> None:
    assert _audit([_setting("all_logs")]).status == "pass"  # allLogs, to storage and Event Hubs (workspaceId "")
    assert _audit([_setting("one_category", [{"category": "kube-audit", "enabled": True}])]).status == "pass"
    assert _audit([_setting("one_category")]).status == "fail"  # the example's own category: not an audit log
    assert _audit([_setting("one_category", [{"category": "kube-audit-admin", "enabled": False}])]).status == "fail"
    assert _audit([_setting("one_category", [{"categoryGroup": "audit", "enabled": True}])]).status == "fail"
    assert _audit([]).status == "fail"
    nowhere = _setting("all_logs", storageAccountId="", eventHubAuthorizationRuleId="")  # workspaceId "" as published
    assert _audit([nowhere]).status == "fail"


def test_denied_diagnostic_settings_are_an_error_for_the_audit_rule_only(
    seeded: Seeded, run_azure: Callable[..., Collected]
) -> None:
    strict = rid(PROD, "Microsoft.ContainerService", "managedClusters", "aks-strict")
    seeded.world.deny("arm", f"{strict}/providers/Microsoft.Insights/diagnosticSettings")
    collected = run_azure(seeded.options(), names=("azure.aks",))
    (error,) = collected.errors
    assert error.code == "AuthorizationFailed" and error.kinds == ("azure.aks.diagnostics",)
    assert collected.status("azure.aks.audit-logging", strict) == "error"
    assert {collected.status(rule, strict) for rule in CLUSTER_RULES} == {"pass"}
    assert len(collected.of("azure.aks.cluster")) == 4 and len(collected.of("azure.aks.diagnostics")) == 3


def test_a_denied_cluster_listing_is_an_error_for_every_aks_rule(
    seeded: Seeded, run_azure: Callable[..., Collected]
) -> None:
    seeded.world.deny("arm", f"/subscriptions/{PROD}/providers/Microsoft.ContainerService/managedClusters")
    collected = run_azure(seeded.options(subscriptions=[PROD]), names=("azure.aks",))
    (error,) = collected.errors
    assert error.kinds == ("azure.aks.cluster", "azure.aks.diagnostics") and "HTTP 403" in error.message
    aks = [r for r in collected.results if r.rule.startswith("azure.aks.")]
    assert {r.rule for r in aks} == {*CLUSTER_RULES, "azure.aks.audit-logging"}
    assert {r.status for r in aks} == {"error"}


def test_versions_are_recorded_and_both_pages_are_read(seeded: Seeded, run_azure: Callable[..., Collected]) -> None:
    collected = run_azure(seeded.options(subscriptions=[PROD]), names=("azure.aks",))
    clusters = collected.of("azure.aks.cluster")
    assert len(clusters) == 4 and all(f.source.pages == 2 for f in clusters.values())
    fact = clusters[rid(PROD, "Microsoft.ContainerService", "managedClusters", "aks-private")]
    assert fact.data["properties"]["kubernetesVersion"] == "1.9.6"
    assert fact.data["properties"]["currentKubernetesVersion"] == "1.9.6"
    assert fact.source.operations[0].endswith(
        "/providers/Microsoft.ContainerService/managedClusters?api-version=2024-09-01"
    )
