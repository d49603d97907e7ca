"""Microsoft Defender for Cloud: plan (pricing) per resource type, and the secure score."""

from __future__ import annotations

from collections.abc import Iterator

from annexa.collectors.azure.client import AzureCallError
from annexa.collectors.azure.collector import SubscriptionCollector
from annexa.collectors.azure.session import Subscription
from annexa.collectors.azure.util import props
from annexa.model import CollectionError, Fact

PLAN = "azure.defender.plan"
SECURE_SCORE = "azure.defender.secure_score"
PRICINGS_API = "2024-01-01"
SCORES_API = "2020-01-01"


class DefenderCollector(SubscriptionCollector):
    """Defender for Cloud plans and secure score of each subscription.

    - `azure.defender.plan` (pricing id): `name` (`VirtualMachines`, `SqlServers`,
      `StorageAccounts`, `KeyVaults`, `Arm`, ...), `pricing_tier` (`Standard` = the plan is
      on, `Free` = off), `sub_plan`, `enablement_time` and `deprecated`.
    - `azure.defender.secure_score` (score id): `name`, `current`, `max`, `percentage` (0..1).
    """

    name = "azure.defender"
    kinds = (PLAN, SECURE_SCORE)
    permissions = ("Microsoft.Security/pricings/read", "Microsoft.Security/secureScores/read")

    def collect_subscription(self, subscription: Subscription) -> Iterator[Fact | CollectionError]:
        try:
            pricings = subscription.list(
                "/subscriptions/{subscription}/providers/Microsoft.Security/pricings", PRICINGS_API
            )
        except AzureCallError as exc:
            yield exc.to_collection_error((PLAN,), subscription.scope())
        else:
            for raw in pricings.body:
                p = props(raw)
                yield Fact(
                    kind=PLAN,
                    resource=raw["id"],
                    scope=subscription.scope(),
                    data={
                        "name": raw.get("name"),
                        "pricing_tier": p.get("pricingTier"),
                        "sub_plan": p.get("subPlan"),
                        "enablement_time": p.get("enablementTime"),
                        "deprecated": bool(p.get("deprecated")),
                    },
                    source=subscription.source(pricings),
                )
        try:
            scores = subscription.list(
                "/subscriptions/{subscription}/providers/Microsoft.Security/secureScores", SCORES_API
            )
        except AzureCallError as exc:
            yield exc.to_collection_error((SECURE_SCORE,), subscription.scope())
            return
        for raw in scores.body:
            score = props(raw).get("score") or {}
            yield Fact(
                kind=SECURE_SCORE,
                resource=raw["id"],
                scope=subscription.scope(),
                data={
                    "name": raw.get("name"),
                    "current": score.get("current"),
                    "max": score.get("max"),
                    "percentage": score.get("percentage"),
                },
                source=subscription.source(scores),
            )
