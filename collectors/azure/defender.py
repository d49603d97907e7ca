"""Microsoft Defender for Cloud: plan (pricing) per resource type, and the secure score."""

from __future__ import annotations

from typing import Any

from annexa.collectors.azure.collector import SubscriptionCollector
from annexa.collectors.azure.spec import Listing
from annexa.collectors.azure.util import props

PLAN = "azure.defender.plan"
SECURE_SCORE = "azure.defender.secure_score"
PRICINGS_API = "2024-01-01"
SCORES_API = "2020-01-01"


def _plan(raw: dict[str, Any]) -> dict[str, Any]:
    p = props(raw)
    return {
        "name": raw.get("name"),
        "pricing_tier": p.get("pricingTier"),
        "sub_plan": p.get("subPlan"),
        "enablement_time": p.get("enablementTime"),
        "deprecated": bool(p.get("deprecated")),
    }


def _score(raw: dict[str, Any]) -> dict[str, Any]:
    score = props(raw).get("score") or {}
    return {
        "name": raw.get("name"),
        "current": score.get("current"),
        "max": score.get("max"),
        "percentage": score.get("percentage"),
    }


class DefenderCollector(SubscriptionCollector):
    """Defender for Cloud plans and secure score of each subscription (subscription-wide
    resources, so their scope's region is `global`).

    - `azure.defender.plan` (pricing id): `name` (`VirtualMachines`, `SqlServers`,
      `StorageAccounts`, `KeyVaults`, `Arm`, ...), `pricing_tier` (`Standard` = the plan is
      on, `Free` = off), `sub_plan`, `enablement_time` and `deprecated`.
    - `azure.defender.secure_score` (score id): `name`, `current`, `max`, `percentage` (0..1).
    """

    name = "azure.defender"
    specs = (
        Listing(PLAN, "/subscriptions/{subscription}/providers/Microsoft.Security/pricings", PRICINGS_API, _plan),
        Listing(
            SECURE_SCORE, "/subscriptions/{subscription}/providers/Microsoft.Security/secureScores", SCORES_API, _score
        ),
    )
