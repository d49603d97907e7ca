"""Entra ID users: account type and state, password policies, and sign-in activity where licensed."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from annexa.collectors.azure.client import AzureCallError, Reply
from annexa.collectors.azure.collector import TenantCollector
from annexa.collectors.azure.session import Tenant
from annexa.model import CollectionError, Fact, parse_timestamp

USER = "azure.entra.user"
SIGN_IN = "azure.entra.user_sign_in"
_FIELDS = (
    "id,displayName,userPrincipalName,userType,accountEnabled,createdDateTime,passwordPolicies,"
    "lastPasswordChangeDateTime,externalUserState,externalUserStateChangeDateTime"
)


class EntraUsersCollector(TenantCollector):
    """Every user of the tenant, read once per tenant through Microsoft Graph v1.0.

    - `azure.entra.user` (`<tenant>:user/<object id>`): `user_principal_name`, `display_name`,
      `user_type` (`Member`, `Guest`), `account_enabled`, `created`, `password_policies`
      (e.g. `DisablePasswordExpiration`, `DisablePasswordStrongPassword`),
      `last_password_change`, `external_user_state` and `external_user_state_changed`.
    - `azure.entra.user_sign_in` (same resource): `user_principal_name`, `user_type`,
      `account_enabled`, `created`, `last_sign_in` (interactive, successful or not),
      `last_non_interactive_sign_in`, `last_successful_sign_in` (Graph's signInActivity) and
      `last_activity`, the latest of the three (null when none is recorded). Sign-in
      activity needs Entra ID P1 and AuditLog.Read.All; without them this kind is an error
      (the evidence is missing), while `azure.entra.user` is still collected.
    """

    name = "azure.entra.users"
    kinds = (USER, SIGN_IN)
    permissions = ("User.Read.All", "AuditLog.Read.All")

    def collect_tenant(self, tenant: Tenant) -> Iterator[Fact | CollectionError]:
        sign_in_error: AzureCallError | None = None
        try:
            reply = tenant.graph.list("/v1.0/users", {"$select": _FIELDS + ",signInActivity", "$top": "999"})
        except AzureCallError as exc:
            if exc.status != 403:
                yield exc.to_collection_error(self.kinds, tenant.scope())
                return
            sign_in_error = exc  # no licence or no AuditLog.Read.All: read the users without sign-ins
            try:
                reply = tenant.graph.list("/v1.0/users", {"$select": _FIELDS, "$top": "999"})
            except AzureCallError as retry_exc:
                yield retry_exc.to_collection_error(self.kinds, tenant.scope())
                return
        if sign_in_error is not None:
            yield sign_in_error.to_collection_error((SIGN_IN,), tenant.scope())
        for raw in reply.body:
            resource = f"{tenant.id}:user/{raw['id']}"
            yield Fact(kind=USER, resource=resource, scope=tenant.scope(), data=_user(raw), source=tenant.source(reply))
            if sign_in_error is None:
                yield _sign_in(tenant, raw, resource, reply)


def _user(raw: dict[str, Any]) -> dict[str, Any]:
    return {
        "user_principal_name": raw.get("userPrincipalName"),
        "display_name": raw.get("displayName"),
        "user_type": raw.get("userType"),
        "account_enabled": raw.get("accountEnabled"),
        "created": raw.get("createdDateTime"),
        "password_policies": raw.get("passwordPolicies"),
        "last_password_change": raw.get("lastPasswordChangeDateTime"),
        "external_user_state": raw.get("externalUserState"),
        "external_user_state_changed": raw.get("externalUserStateChangeDateTime"),
    }


def _latest(*stamps: str | None) -> dict[str, str | None]:
    """`last_activity`: the latest of Graph's sign-in timestamps (a user who signs in only
    non-interactively, by token refresh, is in use even when the last interactive sign-in is
    old). Left out when one cannot be read: the rule then says `error`, never a guess."""
    try:
        known = [(parse_timestamp(stamp), stamp) for stamp in stamps if stamp]
    except (TypeError, ValueError):
        return {}
    return {"last_activity": max(known)[1] if known else None}


def _sign_in(tenant: Tenant, raw: dict[str, Any], resource: str, reply: Reply) -> Fact:
    activity = raw.get("signInActivity") or {}
    return Fact(
        kind=SIGN_IN,
        resource=resource,
        scope=tenant.scope(),
        data={
            "user_principal_name": raw.get("userPrincipalName"),
            "user_type": raw.get("userType"),
            "account_enabled": raw.get("accountEnabled"),
            "created": raw.get("createdDateTime"),
            "last_sign_in": activity.get("lastSignInDateTime"),
            "last_non_interactive_sign_in": activity.get("lastNonInteractiveSignInDateTime"),
            "last_successful_sign_in": activity.get("lastSuccessfulSignInDateTime"),
            **_latest(
                activity.get("lastSignInDateTime"),
                activity.get("lastNonInteractiveSignInDateTime"),
                activity.get("lastSuccessfulSignInDateTime"),
            ),
        },
        source=tenant.source(reply),
    )
