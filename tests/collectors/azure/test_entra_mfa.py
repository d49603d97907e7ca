"""azure.entra.mfa-required counts only a Conditional Access policy that requires MFA on every sign-in.

The policies are Microsoft Graph's documented example (tests/data/azure/graph-conditional-access-policies.json,
from the Graph docs' List policies page) changed one property at a time: a policy that targets one
application, excludes apps, users, groups or roles, limits client app types, is report-only, is narrowed
by a condition, or can be satisfied without MFA must not make the tenant pass.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fakes.verdicts import verdicts

from annexa.collectors.azure.client import Reply
from annexa.collectors.azure.entra_policies import EntraPoliciesCollector
from annexa.collectors.azure.session import Tenant
from annexa.model import Fact, Source

EXAMPLE = json.loads((Path(__file__).parents[2] / "data/azure/graph-conditional-access-policies.json").read_text())
TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"
BREAK_GLASS = "0f6a0b1a-0000-4000-8000-0000000000ee"
RULE = "azure.entra.mfa-required"


class _Graph:
    """Answers the two reads of the MFA evidence: security defaults off, and the given policies."""

    def __init__(self, policies: list[dict[str, Any]]) -> None:
        self.policies = policies

    def get(self, template: str, params: Any = None, **path: str) -> Reply:
        return Reply({"isEnabled": False}, f"https://graph.microsoft.com{template}")

    def list(self, template: str, params: Any = None, **path: str) -> Reply:
        return Reply(self.policies, f"https://graph.microsoft.com{template}")

    def source(self, replies: list[Reply], principal: str) -> Source:
        return Source(operations=tuple(f"GET {r.url}" for r in replies), principal=principal, pages=len(replies))


def _all_users_mfa() -> dict[str, Any]:
    """The documented SimplePolicy2 (grant: mfa), switched on for all users and all cloud apps."""
    policy = copy.deepcopy(EXAMPLE["value"][1])
    policy["state"] = "enabled"
    policy["conditions"]["users"]["includeUsers"] = ["All"]
    policy["conditions"]["applications"]["includeApplications"] = ["All"]
    return policy


def _status(policy: dict[str, Any], break_glass: tuple[str, ...] = ()) -> str:
    tenant = Tenant(TENANT, _Graph([policy]), f"{TENANT}/auditor", break_glass)  # type: ignore[arg-type]
    fact = EntraPoliciesCollector._mfa(tenant)
    assert isinstance(fact, Fact)
    return verdicts([fact], "azure")[(RULE, f"{TENANT}:mfa_enforcement")]


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(policy: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        node = policy
        for part in parents:
            node = node[part]
        node[last] = value

    return change


def test_a_policy_requiring_mfa_on_every_sign_in_passes() -> None:
    assert _status(_all_users_mfa()) == "pass"


def test_the_documented_examples_as_published_do_not_pass() -> None:
    for policy in EXAMPLE["value"]:  # disabled, and scoped to no user and no app
        assert _status(policy) == "fail"


@pytest.mark.parametrize(
    "change",
    [
        _set("state", "enabledForReportingButNotEnforced"),
        _set("conditions.applications.includeApplications", ["00000002-0000-0ff1-ce00-000000000000"]),
        _set("conditions.applications.excludeApplications", ["00000003-0000-0ff1-ce00-000000000000"]),
        _set("conditions.applications.includeApplications", ["None"]),
        _set("conditions.users.includeUsers", ["GuestsOrExternalUsers"]),
        _set("conditions.users.excludeUsers", [BREAK_GLASS]),
        _set("conditions.users.excludeGroups", ["9a0b1c2d-0000-4000-8000-000000000001"]),
        _set("conditions.users.excludeRoles", ["62e90394-69f5-4237-9190-012177145e10"]),
        _set("conditions.clientAppTypes", ["browser", "mobileAppsAndDesktopClients"]),
        _set("conditions.signInRiskLevels", ["high", "medium"]),
        _set("conditions.locations", {"includeLocations": ["All"], "excludeLocations": ["AllTrusted"]}),
        _set("conditions.platforms", {"includePlatforms": ["android", "iOS"], "excludePlatforms": []}),
        _set("grantControls.builtInControls", ["mfa", "compliantDevice"]),
        _set("grantControls.builtInControls", ["compliantDevice"]),
        _set("grantControls.builtInControls", ["block"]),
    ],
    ids=[
        "report-only",
        "one-application",
        "excluded-application",
        "no-application",
        "guests-only",
        "excluded-user-not-configured",
        "excluded-group",
        "excluded-role",
        "browser-and-apps-only",
        "risky-sign-ins-only",
        "outside-trusted-locations-only",
        "mobile-platforms-only",
        "mfa-or-compliant-device",
        "compliant-device",
        "block",
    ],
)
def test_a_policy_that_leaves_sign_ins_without_mfa_does_not_count(change: Callable[[dict[str, Any]], None]) -> None:
    policy = _all_users_mfa()
    change(policy)
    assert _status(policy) == "fail"


def test_an_excluded_break_glass_account_counts_only_when_configured() -> None:
    policy = _all_users_mfa()
    policy["conditions"]["users"]["excludeUsers"] = [BREAK_GLASS.upper()]
    assert _status(policy) == "fail"
    assert _status(policy, (BREAK_GLASS,)) == "pass"
    policy["conditions"]["users"]["excludeUsers"].append("0f6a0b1a-0000-4000-8000-0000000000ff")
    assert _status(policy, (BREAK_GLASS,)) == "fail"


def test_controls_that_all_require_mfa() -> None:
    anded = _all_users_mfa()
    anded["grantControls"].update(operator="AND", builtInControls=["mfa", "compliantDevice"])
    assert _status(anded) == "pass"
    strength = _all_users_mfa()
    strength["grantControls"]["builtInControls"] = []
    strength["grantControls"]["authenticationStrength"] = {
        "id": "00000000-0000-0000-0000-000000000002",
        "displayName": "Multifactor authentication",
        "requirementsSatisfied": "mfa",
    }
    assert _status(strength) == "pass"
    strength["grantControls"]["authenticationStrength"]["requirementsSatisfied"] = "none"
    assert _status(strength) == "fail"
