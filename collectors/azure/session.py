"""One Azure target: its credential, the ARM and Graph clients, its subscriptions and tenant.

Built once per target and shared by every Azure collector through `Context.cache`,
so the subscription list and the tokens are read once per run, not per collector.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from azure.core.exceptions import ClientAuthenticationError

from annexa.collectors.azure.client import AzureCallError, Reply, RestApi, scope_for
from annexa.collectors.azure.credentials import build_credential
from annexa.collectors.azure.settings import AzureSettings, parse_settings
from annexa.collectors.base import Context, Target
from annexa.model import Source

__all__ = ["AzureTarget", "Subscription", "SubscriptionError", "Tenant", "connect", "GLOBAL"]

GLOBAL = "global"  # the region label of subscription- and tenant-wide settings
SUBSCRIPTIONS_API = "2022-12-01"


def _principal(api: RestApi) -> str:
    """`<tenant id>/<object id>` of whoever the token names (the claims are not verified: this
    only labels the evidence; ARM and Graph verify the token)."""
    tenant_id, object_id = api.principal()
    return f"{tenant_id or 'unknown-tenant'}/{object_id or 'unknown-object'}"


@dataclass
class Subscription:
    """One subscription to read through ARM, and who reads it."""

    id: str
    display_name: str
    state: str
    tenant_id: str
    arm: RestApi
    principal: str

    @property
    def resource(self) -> str:
        return f"/subscriptions/{self.id}"

    def scope(self, region: str | None = None) -> dict[str, str]:
        return {"provider": "azure", "subscription": self.id, "region": (region or GLOBAL).lower()}

    def source(self, *replies: Reply) -> Source:
        return self.arm.source(replies, self.principal)

    def list(self, template: str, api_version: str, **path: str) -> Reply:
        return self.arm.list(template, {"api-version": api_version}, subscription=self.id, **path)


@dataclass(frozen=True)
class SubscriptionError:
    """A configured subscription that could not be read (or the listing itself, when `id` is None)."""

    id: str | None
    error: AzureCallError


@dataclass
class Tenant:
    """One Entra ID tenant to read through Microsoft Graph."""

    id: str
    graph: RestApi
    principal: str
    # Emergency-access accounts a Conditional Access policy may exclude (target option break_glass_accounts).
    break_glass_accounts: tuple[str, ...] = ()

    def scope(self) -> dict[str, str]:
        return {"provider": "azure", "tenant": self.id}

    def source(self, *replies: Reply) -> Source:
        return self.graph.source(replies, self.principal)


@dataclass
class AzureTarget:
    settings: AzureSettings
    arm: RestApi
    graph: RestApi
    _subscriptions: list[Subscription | SubscriptionError] | None = field(default=None, repr=False)
    _tenant: Tenant | AzureCallError | None = field(default=None, repr=False)

    def subscriptions(self) -> list[Subscription | SubscriptionError]:
        """The configured subscriptions, or every one the principal can see."""
        if self._subscriptions is None:
            self._subscriptions = self._read_subscriptions()
        return self._subscriptions

    def _read_subscriptions(self) -> list[Subscription | SubscriptionError]:
        params = {"api-version": SUBSCRIPTIONS_API}
        found: list[Subscription | SubscriptionError] = []
        try:
            principal = _principal(self.arm)
            if self.settings.subscriptions is None:
                return [self._subscription(raw, principal) for raw in self.arm.list("/subscriptions", params).body]
        except AzureCallError as exc:
            return [SubscriptionError(None, exc)]
        for subscription_id in self.settings.subscriptions:
            try:
                raw = self.arm.get("/subscriptions/{subscription}", params, subscription=subscription_id).body
            except AzureCallError as exc:
                found.append(SubscriptionError(subscription_id, exc))
                continue
            found.append(self._subscription(raw, principal))
        return found

    def _subscription(self, raw: dict[str, Any], principal: str) -> Subscription:
        return Subscription(
            id=str(raw["subscriptionId"]).lower(),
            display_name=str(raw.get("displayName", "")),
            state=str(raw.get("state", "")),
            tenant_id=str(raw.get("tenantId", "")),
            arm=self.arm,
            principal=principal,
        )

    def tenant(self) -> Tenant | AzureCallError:
        """The Entra ID tenant: the configured one, or the one the Graph token was issued in."""
        if self._tenant is None:
            try:
                principal = _principal(self.graph)
                tenant_id = self.settings.tenant_id or self.graph.principal()[0]
                if not tenant_id:
                    raise AzureCallError(
                        f"token for {self.graph.scope}",
                        "the token names no tenant (tid); set the target's tenant_id",
                        code="UnknownTenant",
                    )
                self._tenant = Tenant(
                    id=tenant_id.lower(),
                    graph=self.graph,
                    principal=principal,
                    break_glass_accounts=self.settings.break_glass_accounts,
                )
            except AzureCallError as exc:
                self._tenant = exc
        return self._tenant


def connect(target: Target, context: Context) -> AzureTarget | AzureCallError:
    """The target's clients, built once per run; an AzureCallError when no credential can be built."""
    key = ("azure", target.index, repr(sorted(target.options.items())))
    if key not in context.cache:
        context.cache[key] = _build(target)
    return context.cache[key]


def _build(target: Target) -> AzureTarget | AzureCallError:
    settings = parse_settings(target.options)  # validated at config load; repeated for direct callers
    try:
        credential = build_credential(settings, scope_for(settings.arm_endpoint), scope_for(settings.graph_endpoint))
    except (ClientAuthenticationError, ValueError) as exc:
        return AzureCallError(f"credential {settings.credential.type}", str(exc), code=type(exc).__name__)
    return AzureTarget(
        settings=settings,
        arm=RestApi("arm", settings.arm_endpoint, credential, tenant_id=settings.tenant_id),
        graph=RestApi("graph", settings.graph_endpoint, credential, tenant_id=settings.tenant_id),
    )
