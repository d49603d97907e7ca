"""Entra ID tenant policies: MFA enforcement, guest access and invitations, domain password policies."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from annexa.collectors.azure.client import AzureCallError, Reply
from annexa.collectors.azure.collector import TenantCollector
from annexa.collectors.azure.session import Tenant
from annexa.collectors.azure.spec import Listing, Setting
from annexa.model import CollectionError, Fact

MFA = "azure.entra.mfa_enforcement"
AUTHORIZATION = "azure.entra.authorization_policy"
DOMAIN = "azure.entra.domain"
GUEST_ROLES = {
    "a0b1b346-4d3e-4e8b-98f8-753987be4970": "same as members",
    "10dae51f-b6af-4016-8d66-8c2a99b929b3": "limited",
    "2af84b1e-32c8-42b7-82bc-daa82404023b": "restricted",
}


# Conditions that narrow a policy to some sign-ins (Graph v1.0 conditionalAccessConditionSet): a policy
# with any of them set does not require MFA for every sign-in. `platforms` and `locations` narrow only
# when they name less than all or exclude something.
_NARROWING = (
    "signInRiskLevels",
    "userRiskLevels",
    "servicePrincipalRiskLevels",
    "insiderRiskLevels",
    "devices",
    "clientApplications",
    "authenticationFlows",
)


def _narrowing(conditions: dict[str, Any]) -> list[str]:
    found = [name for name in _NARROWING if conditions.get(name)]
    platforms = conditions.get("platforms") or {}
    if platforms and (platforms.get("excludePlatforms") or "all" not in (platforms.get("includePlatforms") or [])):
        found.append("platforms")
    locations = conditions.get("locations") or {}
    if locations and (locations.get("excludeLocations") or "All" not in (locations.get("includeLocations") or [])):
        found.append("locations")
    return sorted(found)


def _grant_controls(grant: dict[str, Any]) -> list[str]:
    """Every control of the grant, any one of which satisfies an OR policy: the built-in ones (`mfa`,
    `compliantDevice`, ...), `authentication_strength:<requirementsSatisfied>` (`mfa` for every
    built-in strength), `terms_of_use` and `custom_factor` entries."""
    strength = grant.get("authenticationStrength")
    return [
        *(grant.get("builtInControls") or []),
        *([f"authentication_strength:{strength.get('requirementsSatisfied')}"] if strength else []),
        *("terms_of_use" for _ in grant.get("termsOfUse") or []),
        *("custom_factor" for _ in grant.get("customAuthenticationFactors") or []),
    ]


def _ca_policy(raw: dict[str, Any], break_glass: tuple[str, ...] = ()) -> dict[str, Any]:
    """One Conditional Access policy as Graph v1.0 returns it (conditionalAccessPolicy), with what decides
    whether it requires MFA for everyone: whom and which apps and client app types it covers, what it
    excludes beyond the configured break-glass accounts, the conditions that narrow it, and its grant."""
    conditions = raw.get("conditions") or {}
    users = conditions.get("users") or {}
    applications = conditions.get("applications") or {}
    grant = raw.get("grantControls") or {}
    excluded = [*(users.get("excludeUsers") or []), *(users.get("excludeGroups") or [])]
    if users.get("excludeGuestsOrExternalUsers"):
        excluded.append("guestsOrExternalUsers")
    return {
        "id": raw.get("id"),
        "display_name": raw.get("displayName"),
        "state": raw.get("state"),
        "include_users": users.get("includeUsers") or [],
        "exclude_users": users.get("excludeUsers") or [],
        "include_groups": users.get("includeGroups") or [],
        "exclude_groups": users.get("excludeGroups") or [],
        "include_roles": users.get("includeRoles") or [],
        "exclude_roles": users.get("excludeRoles") or [],
        "excluded_beyond_break_glass": sorted(e for e in excluded if str(e).lower() not in break_glass),
        "include_applications": applications.get("includeApplications") or [],
        "exclude_applications": applications.get("excludeApplications") or [],
        "include_user_actions": applications.get("includeUserActions") or [],
        "client_app_types": conditions.get("clientAppTypes") or [],
        "narrowing_conditions": _narrowing(conditions),
        "grant_operator": grant.get("operator"),
        "grant_controls": _grant_controls(grant),
        "built_in_controls": grant.get("builtInControls") or [],
        "authentication_strength": (grant.get("authenticationStrength") or {}).get("displayName"),
    }


def _authorization(body: dict[str, Any]) -> dict[str, Any]:
    if isinstance(body.get("value"), list):  # older shape: a one-item collection
        body = body["value"][0] if body["value"] else {}
    role_id = str(body.get("guestUserRoleId") or "").lower()
    return {
        "allow_invites_from": body.get("allowInvitesFrom"),
        "guest_user_role_id": role_id or None,
        "guest_access": GUEST_ROLES.get(role_id),
        "default_user_role_permissions": body.get("defaultUserRolePermissions"),
    }


def _domain(raw: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": raw["id"],
        "is_verified": bool(raw.get("isVerified")),
        "is_default": bool(raw.get("isDefault")),
        "authentication_type": raw.get("authenticationType"),
        "password_validity_period_days": raw.get("passwordValidityPeriodInDays"),
        "password_notification_window_days": raw.get("passwordNotificationWindowInDays"),
    }


class EntraPoliciesCollector(TenantCollector):
    """Tenant-wide Entra ID policies, read once per tenant through Microsoft Graph v1.0.

    - `azure.entra.mfa_enforcement` (`<tenant>:mfa_enforcement`): `security_defaults_enabled`,
      `break_glass_accounts` (the target's configured emergency-access ids) and
      `conditional_access`: each policy's state, included and excluded users, groups and roles,
      `excluded_beyond_break_glass`, included and excluded applications and user actions,
      `client_app_types`, `narrowing_conditions` (risk levels, platforms, locations, device
      filters, ... that limit it to some sign-ins), `grant_operator` and `grant_controls`
      (`mfa`, `authentication_strength:mfa`, ...). Conditional
      Access cannot be on while security defaults are, so when security defaults are on and
      Conditional Access is unreadable (no Entra ID P1), `conditional_access` is null.
    - `azure.entra.authorization_policy` (`<tenant>:authorization_policy`):
      `allow_invites_from`, `guest_user_role_id`, `guest_access` (`same as members`,
      `limited`, `restricted`) and `default_user_role_permissions`.
    - `azure.entra.domain` (`<tenant>:domain/<name>`): `name`, `is_verified`, `is_default`,
      `authentication_type`, `password_validity_period_days`, `password_notification_window_days`.
    """

    name = "azure.entra.policies"
    kinds = (MFA, AUTHORIZATION, DOMAIN)
    specs = (
        Setting(
            AUTHORIZATION,
            "/v1.0/policies/authorizationPolicy",
            None,
            _authorization,
            resource="{tenant}:authorization_policy",
            graph_permissions=("Policy.Read.All",),
        ),
        Listing(DOMAIN, "/v1.0/domains", None, _domain, "{tenant}:domain/{id}", graph_permissions=("Domain.Read.All",)),
    )
    # MFA enforcement is read by code: whether Conditional Access must be readable depends on security defaults.
    permissions = ("Policy.Read.All",)

    def collect_tenant(self, tenant: Tenant) -> Iterator[Fact | CollectionError]:
        yield self._mfa(tenant)
        yield from super().collect_tenant(tenant)

    @staticmethod
    def _mfa(tenant: Tenant) -> Fact | CollectionError:
        resource = f"{tenant.id}:mfa_enforcement"
        try:
            defaults = tenant.graph.get("/v1.0/policies/identitySecurityDefaultsEnforcementPolicy")
        except AzureCallError as exc:
            return exc.to_collection_error((MFA,), tenant.scope(), resource)
        enabled = bool(defaults.body.get("isEnabled"))
        replies = [defaults]
        try:
            policies: Reply | None = tenant.graph.list("/v1.0/identity/conditionalAccess/policies")
            replies.append(policies)
        except AzureCallError as exc:
            if not enabled:  # without security defaults, only Conditional Access can show MFA is required
                return exc.to_collection_error((MFA,), tenant.scope(), resource)
            policies = None
        return Fact(
            kind=MFA,
            resource=resource,
            scope=tenant.scope(),
            data={
                "security_defaults_enabled": enabled,
                "break_glass_accounts": list(tenant.break_glass_accounts),
                "conditional_access": (
                    [_ca_policy(p, tenant.break_glass_accounts) for p in policies.body]
                    if policies is not None
                    else None
                ),
            },
            source=tenant.source(*replies),
        )
