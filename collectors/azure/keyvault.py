"""Key Vault: recovery settings, audit logging, and the expiry of keys and secrets."""

from __future__ import annotations

from typing import Any

from annexa.collectors.azure.collector import SubscriptionCollector
from annexa.collectors.azure.diagnostics import DIAGNOSTICS_API, diagnostic_settings
from annexa.collectors.azure.spec import Listing, Setting
from annexa.collectors.azure.util import arm_common, epoch_iso, props

VAULT = "azure.keyvault.vault"
DIAGNOSTICS = "azure.keyvault.diagnostics"
OBJECT = "azure.keyvault.object"
API = "2023-07-01"
# Certificates are stored with a backing secret of the same name and one of these content
# types, so their expiry is read through ARM without data-plane access.
CERTIFICATE_CONTENT_TYPES = ("application/x-pkcs12", "application/x-pem-file")
_VAULT_PROPERTIES = (
    "enableSoftDelete",
    "softDeleteRetentionInDays",
    "enablePurgeProtection",
    "enableRbacAuthorization",
    "publicNetworkAccess",
    "networkAcls",
)


def _vault(raw: dict[str, Any]) -> dict[str, Any]:
    properties = props(raw)
    return {**arm_common(raw), "properties": {key: properties.get(key) for key in _VAULT_PROPERTIES}}


def _object(object_type: str) -> Any:
    """A key's or secret's fact data: what its attributes say, never its value."""

    def data(vault: dict[str, Any], raw: dict[str, Any]) -> dict[str, Any]:
        properties = props(raw)
        attributes = properties.get("attributes") or {}
        content_type = properties.get("contentType")
        return {
            "vault": vault.get("name"),
            "name": raw.get("name"),
            "object_type": object_type,
            "enabled": attributes.get("enabled", True),
            "expires": epoch_iso(attributes.get("exp")),
            "not_before": epoch_iso(attributes.get("nbf")),
            "created": epoch_iso(attributes.get("created")),
            "updated": epoch_iso(attributes.get("updated")),
            "content_type": content_type,
            "certificate": object_type == "secret" and content_type in CERTIFICATE_CONTENT_TYPES,
        }

    return data


class KeyVaultCollector(SubscriptionCollector):
    """Every Key Vault of each subscription, through ARM only (no data-plane access, no values).

    - `azure.keyvault.vault` (vault id): `name`, `location`, `tags` and `properties` with
      `enableSoftDelete`, `softDeleteRetentionInDays`, `enablePurgeProtection`,
      `enableRbacAuthorization`, `publicNetworkAccess` and `networkAcls`.
    - `azure.keyvault.diagnostics` (vault id): `settings`, the vault's diagnostic settings
      (destinations and the log categories or category groups each one sends).
    - `azure.keyvault.object` (key or secret id): `vault`, `name`, `object_type` (`key` or
      `secret`), `enabled`, `expires`, `not_before`, `created`, `updated` (RFC 3339, from the
      attributes) and `content_type`; `certificate` is true for a certificate's backing secret.
    """

    name = "azure.keyvault"
    specs = (
        Listing(
            VAULT,
            "/subscriptions/{subscription}/providers/Microsoft.KeyVault/vaults",
            API,
            _vault,
            children=(
                Setting(
                    DIAGNOSTICS,
                    "{resource}/providers/Microsoft.Insights/diagnosticSettings",
                    DIAGNOSTICS_API,
                    lambda vault, settings: {"vault": vault.get("name"), "settings": diagnostic_settings(settings)},
                    collection=True,
                ),
                Listing(OBJECT, "{vault}/keys", API, _object("key")),
                Listing(OBJECT, "{vault}/secrets", API, _object("secret")),
            ),
        ),
    )
