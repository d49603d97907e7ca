"""The bases of every Azure collector: resolve the target once, then read each
subscription (ARM) or the tenant (Graph, once per tenant per run).

A collector declares what it reads as `specs` (collectors/azure/spec.py), from which its
`kinds` and `permissions` are derived; one that reads something no spec can say overrides
`collect_subscription` or `collect_tenant` (calling `super()` for its specs, if any) and
names what its own code needs in `permissions`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, ClassVar

from annexa.collectors.azure.client import AzureCallError
from annexa.collectors.azure.session import GLOBAL, Subscription, SubscriptionError, Tenant, connect
from annexa.collectors.azure.settings import TARGET_OPTIONS, parse_settings
from annexa.collectors.azure.spec import Spec, collect_specs
from annexa.collectors.base import Collector, Context, Target
from annexa.model import CollectionError, Fact

__all__ = ["AzureCollector", "SubscriptionCollector", "TenantCollector"]


class AzureCollector(Collector):
    provider: ClassVar[str] = "azure"
    target_options: ClassVar[Mapping[str, type]] = TARGET_OPTIONS
    specs: ClassVar[tuple[Spec, ...]] = ()

    @classmethod
    def check_options(cls, options: Mapping[str, Any]) -> None:
        parse_settings(options)


class SubscriptionCollector(AzureCollector):
    """Reads every subscription of the target. A subscription that cannot be read (or a
    subscription listing that fails) is one error for all this collector's kinds there."""

    def collect(self, target: Target, context: Context) -> Iterator[Fact | CollectionError]:
        azure = connect(target, context)
        if isinstance(azure, AzureCallError):
            yield azure.to_collection_error(self.kinds, {"provider": "azure"})
            return
        for item in azure.subscriptions():
            if isinstance(item, SubscriptionError):
                scope = {"provider": "azure", **({"subscription": item.id, "region": GLOBAL} if item.id else {})}
                yield item.error.to_collection_error(self.kinds, scope)
                continue
            yield from self.collect_subscription(item)

    def collect_subscription(self, subscription: Subscription) -> Iterator[Fact | CollectionError]:
        """Read one subscription: the specs, in order."""
        return collect_specs(self.specs, subscription)


class TenantCollector(AzureCollector):
    """Reads the target's Entra ID tenant through Microsoft Graph, once per tenant per run
    even when several targets share it."""

    def collect(self, target: Target, context: Context) -> Iterator[Fact | CollectionError]:
        azure = connect(target, context)
        tenant = azure if isinstance(azure, AzureCallError) else azure.tenant()
        if isinstance(tenant, AzureCallError):
            settings = parse_settings(target.options)
            scope = {"provider": "azure", **({"tenant": settings.tenant_id} if settings.tenant_id else {})}
            yield tenant.to_collection_error(self.kinds, scope)
            return
        done: set[str] = context.cache.setdefault(("azure.tenants-read", self.name), set())
        if tenant.id in done:
            return
        done.add(tenant.id)
        yield from self.collect_tenant(tenant)

    def collect_tenant(self, tenant: Tenant) -> Iterator[Fact | CollectionError]:
        """Read one tenant: the specs, in order."""
        return collect_specs(self.specs, tenant)
