"""Key Vault: recovery settings, audit logging, and the expiry of keys and secrets."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from annexa.collectors.azure.client import AzureCallError, Reply
from annexa.collectors.azure.collector import SubscriptionCollector
from annexa.collectors.azure.diagnostics import DIAGNOSTICS_API, diagnostic_settings
from annexa.collectors.azure.session import Subscription
from annexa.collectors.azure.util import arm_common, epoch_iso, props, region_of
from annexa.model import CollectionError, Fact

VAULT = "azure.keyvault.vault"
DIAGNOSTICS = "azure.keyvault.diagnostics"
OBJECT = "azure.keyvault.object"
API = "2023-07-01"
# Certificates are stored with a backing secret of the same name and one of these content
# types, so their expiry is read through ARM without data-plane access.
CERTIFICATE_CONTENT_TYPES = ("application/x-pkcs12", "application/x-pem-file")


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
    kinds = (VAULT, DIAGNOSTICS, OBJECT)
    permissions = (
        "Microsoft.KeyVault/vaults/read",
        "Microsoft.KeyVault/vaults/keys/read",
        "Microsoft.KeyVault/vaults/secrets/read",
        "Microsoft.Insights/diagnosticSettings/read",
    )

    def collect_subscription(self, subscription: Subscription) -> Iterator[Fact | CollectionError]:
        try:
            reply = subscription.list("/subscriptions/{subscription}/providers/Microsoft.KeyVault/vaults", API)
        except AzureCallError as exc:
            yield exc.to_collection_error(self.kinds, subscription.scope())
            return
        for raw in reply.body:
            scope = subscription.scope(region_of(raw))
            properties = props(raw)
            yield Fact(
                kind=VAULT,
                resource=raw["id"],
                scope=scope,
                data={
                    **arm_common(raw),
                    "properties": {
                        key: properties.get(key)
                        for key in (
                            "enableSoftDelete",
                            "softDeleteRetentionInDays",
                            "enablePurgeProtection",
                            "enableRbacAuthorization",
                            "publicNetworkAccess",
                            "networkAcls",
                        )
                    },
                },
                source=subscription.source(reply),
            )
            try:
                settings = subscription.arm.list(
                    "{resource}/providers/Microsoft.Insights/diagnosticSettings",
                    {"api-version": DIAGNOSTICS_API},
                    resource=raw["id"],
                )
            except AzureCallError as exc:
                yield exc.to_collection_error((DIAGNOSTICS,), scope, raw["id"])
            else:
                yield Fact(
                    kind=DIAGNOSTICS,
                    resource=raw["id"],
                    scope=scope,
                    data={"vault": raw.get("name"), "settings": diagnostic_settings(settings.body)},
                    source=subscription.source(settings),
                )
            yield from self._objects(subscription, raw, scope)

    @staticmethod
    def _objects(
        subscription: Subscription, vault: dict[str, Any], scope: dict[str, str]
    ) -> Iterator[Fact | CollectionError]:
        for object_type in ("key", "secret"):
            try:
                reply = subscription.arm.list("{vault}/" + object_type + "s", {"api-version": API}, vault=vault["id"])
            except AzureCallError as exc:
                yield exc.to_collection_error((OBJECT,), scope, f"{vault['id']}/{object_type}s")
                continue
            for raw in reply.body:
                yield _object_fact(subscription, vault, object_type, raw, reply, scope)


def _object_fact(
    subscription: Subscription,
    vault: dict[str, Any],
    object_type: str,
    raw: dict[str, Any],
    reply: Reply,
    scope: dict[str, str],
) -> Fact:
    properties = props(raw)
    attributes = properties.get("attributes") or {}
    content_type = properties.get("contentType")
    return Fact(
        kind=OBJECT,
        resource=raw["id"],
        scope=scope,
        data={
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
        },
        source=subscription.source(reply),
    )
