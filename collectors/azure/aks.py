"""AKS managed clusters: secrets encryption, API server exposure, local accounts and Entra ID
authorization, Kubernetes versions, and the diagnostic settings that export control-plane audit logs."""

from __future__ import annotations

from typing import Any

from annexa.collectors.azure.collector import SubscriptionCollector
from annexa.collectors.azure.diagnostics import DIAGNOSTICS_API, diagnostic_settings
from annexa.collectors.azure.spec import Listing, Setting
from annexa.collectors.azure.util import arm_common, props

CLUSTER = "azure.aks.cluster"
DIAGNOSTICS = "azure.aks.diagnostics"
# The GA (stable) Microsoft.ContainerService api-version whose published examples the tests serve
# (azure-rest-api-specs, specification/containerservice/.../aks/stable/2024-09-01).
API = "2024-09-01"

# Kept only where ARM returned them: an absent property keeps its documented default, which the rules
# declare (`defaults:`), so a cluster answered without `apiServerAccessProfile` is judged as public, not as null.
_KEPT = (
    "kubernetesVersion",
    "currentKubernetesVersion",
    "provisioningState",
    "powerState",
    "enableRBAC",
    "disableLocalAccounts",
    "publicNetworkAccess",
)
# Of the nested profiles, the fields the rules read or an auditor needs beside them. aadProfile also
# carries the legacy integration's `serverAppSecret`, never kept.
_PROFILES = {
    "aadProfile": ("managed", "enableAzureRBAC", "adminGroupObjectIDs", "tenantID"),
    "apiServerAccessProfile": (
        "enablePrivateCluster",
        "authorizedIPRanges",
        "enablePrivateClusterPublicFQDN",
        "enableVnetIntegration",
        "disableRunCommand",
    ),
}
_KMS = ("enabled", "keyId", "keyVaultNetworkAccess", "keyVaultResourceId")


def _present(value: Any, keys: tuple[str, ...]) -> dict[str, Any]:
    source = value if isinstance(value, dict) else {}
    return {key: source[key] for key in keys if key in source}


def _cluster(raw: dict[str, Any]) -> dict[str, Any]:
    properties = props(raw)
    kept = _present(properties, _KEPT)
    for profile, keys in _PROFILES.items():
        if profile in properties:
            kept[profile] = _present(properties[profile], keys)
    if "securityProfile" in properties:
        security = properties["securityProfile"] if isinstance(properties["securityProfile"], dict) else {}
        kept["securityProfile"] = (
            {"azureKeyVaultKms": _present(security["azureKeyVaultKms"], _KMS)} if "azureKeyVaultKms" in security else {}
        )
    return {**arm_common(raw), "properties": kept}


class AksCollector(SubscriptionCollector):
    """Every AKS managed cluster of each subscription (ManagedClusters_List, api-version 2024-09-01),
    and each cluster's diagnostic settings.

    - `azure.aks.cluster` (cluster id): `name`, `location`, `tags` and `properties`, as ARM returned
      them and only where it returned them: `kubernetesVersion`, `currentKubernetesVersion`,
      `provisioningState`, `powerState`, `enableRBAC`, `disableLocalAccounts`, `publicNetworkAccess`,
      `aadProfile` (`managed`, `enableAzureRBAC`, `adminGroupObjectIDs`, `tenantID`),
      `apiServerAccessProfile` (`enablePrivateCluster`, `authorizedIPRanges`,
      `enablePrivateClusterPublicFQDN`, `enableVnetIntegration`, `disableRunCommand`) and
      `securityProfile.azureKeyVaultKms` (`enabled`, `keyId`, `keyVaultNetworkAccess`,
      `keyVaultResourceId`).
    - `azure.aks.diagnostics` (cluster id): `cluster` and `settings`, the cluster's diagnostic
      settings (destinations and the log categories or category groups each one sends).
    """

    name = "azure.aks"
    specs = (
        Listing(
            CLUSTER,
            "/subscriptions/{subscription}/providers/Microsoft.ContainerService/managedClusters",
            API,
            _cluster,
            children=(
                Setting(
                    DIAGNOSTICS,
                    "{cluster}/providers/Microsoft.Insights/diagnosticSettings",
                    DIAGNOSTICS_API,
                    lambda cluster, settings: {
                        "cluster": cluster.get("name"),
                        "settings": diagnostic_settings(settings),
                    },
                    collection=True,
                ),
            ),
        ),
    )
