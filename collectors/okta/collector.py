"""The Okta org collector: users (status, last sign-in, admin roles), policies, apps, log streams."""

from __future__ import annotations

from collections.abc import Generator, Iterator, Mapping
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import quote, urlparse

from annexa.collectors.base import Collector, Context, Target
from annexa.collectors.okta.client import OktaClient, OktaError, check_base_url
from annexa.collectors.okta.operations import OPERATIONS
from annexa.model import CollectionError, Fact, Source

__all__ = ["OktaCollector"]

_KINDS = ("okta.org", "okta.user", "okta.policy", "okta.app")
# The policy types annexa reads: password, authenticator enrolment, global session (Okta sign-on)
# and authentication (app sign-on, Identity Engine) policies.
POLICY_TYPES = ("PASSWORD", "MFA_ENROLL", "OKTA_SIGN_ON", "ACCESS_POLICY")
# Okta's list users omits DEPROVISIONED users unless a filter asks for them (listUsers notes).
_DEPROVISIONED = 'status eq "DEPROVISIONED"'


def _date(value: Any) -> str | None:
    return str(value)[:10] if isinstance(value, str) and value else None


class OktaCollector(Collector):
    """One Okta org:
    `okta.user`: each user's login, id, status, creation, activation and last sign-in dates,
    admin role types and how many active apps are assigned to them (read per app, so the cost grows
    with apps, not with users; no names, phone numbers or other profile fields);
    `okta.policy`: each password, authenticator-enrolment, global-session and authentication
    policy with its rules (password complexity, age and lockout settings as Okta returns them;
    required and optional authenticators; session idle and lifetime limits; per-rule factor mode);
    `okta.app`: each active app with the rules of the authentication policy its `accessPolicy`
    link names (absent when the app has none, e.g. a Classic Engine org: rules then say error);
    `okta.org`: counts, super and other admins' logins, and the log streams configured.
    Lists are read to their last page (DEPROVISIONED users through the status filter, which the
    unfiltered list omits). Only GET requests, plus the OAuth token request for a service app."""

    name = "okta"
    provider = "okta"
    kinds = _KINDS
    permissions = (
        "API token of a Read-only Administrator (SSWS), or an OAuth service app granted "
        + ", ".join(sorted(set(OPERATIONS.values()))),
    )
    target_options: ClassVar[Mapping[str, type]] = {
        "base_url": str,
        "token_env": str,
        "client_id": str,
        "private_key": Path,
        "key_id": str,
        "max_wait_seconds": int,
    }

    @classmethod
    def check_options(cls, options: Mapping[str, Any]) -> None:
        if "base_url" not in options:
            raise ValueError("base_url is required (the org URL, e.g. https://acme.okta.com)")
        check_base_url(options["base_url"])
        if ("client_id" in options) != ("private_key" in options):
            raise ValueError("a service app needs both client_id and private_key")

    def collect(self, target: Target, context: Context) -> Iterator[Fact | CollectionError]:
        host = urlparse(str(target.options.get("base_url") or "")).netloc or "-"
        scope = {"provider": "okta", "org": host}
        try:
            client = OktaClient.for_target(target.options)
        except OktaError as err:
            yield CollectionError(kinds=_KINDS, scope=scope, message=str(err), operation=err.operation, code=err.code)
            return
        yield from _Reader(client, host, scope).read()


class _Reader:
    def __init__(self, client: OktaClient, host: str, scope: Mapping[str, str]) -> None:
        self.client = client
        self.host = host
        self.scope = scope

    def _source(self, operations: list[str], pages: int | None = None) -> Source:
        return Source(tuple(operations), self.client.principal, pages=pages, endpoint=self.client.base_url)

    def _error(self, kinds: tuple[str, ...], err: OktaError, resource: str | None = None) -> CollectionError:
        return CollectionError(
            kinds=kinds, scope=self.scope, message=str(err), operation=err.operation, code=err.code, resource=resource
        )

    def read(self) -> Iterator[Fact | CollectionError]:
        streams: list[dict[str, Any]] | None = None
        try:
            raw_streams, _ = self.client.paginate("/api/v1/logStreams")
            streams = [{"type": s.get("type"), "status": s.get("status")} for s in raw_streams]
        except OktaError as err:
            yield self._error(("okta.org",), err)
        apps: list[dict[str, Any]] | None = None
        app_pages = 0
        try:
            apps, app_pages = self.client.paginate("/api/v1/apps", {"filter": 'status eq "ACTIVE"', "limit": 200})
        except OktaError as err:
            yield self._error(("okta.app", "okta.user"), err)
        try:
            users, pages = self._users()
            roles = self._admin_roles()
        except OktaError as err:
            yield self._error(("okta.org", "okta.user"), err)
        else:
            if streams is not None:
                yield self._org(users, roles, streams)
            if apps is not None:
                yield from self._users_with_apps(users, roles, apps, pages)
        access_rules = yield from self._policies()
        if apps is not None:
            yield from self._apps(apps, app_pages, access_rules)

    def _users(self) -> tuple[list[dict[str, Any]], int]:
        listed, pages = self.client.paginate("/api/v1/users", {"limit": 200})
        gone, more = self.client.paginate("/api/v1/users", {"filter": _DEPROVISIONED, "limit": 200})
        seen = {u.get("id") for u in listed}
        return listed + [u for u in gone if u.get("id") not in seen], pages + more

    def _admin_roles(self) -> dict[str, list[str]]:
        """User id -> the role types assigned to that user (directly or through a group)."""
        assignees, _ = self.client.paginate("/api/v1/iam/assignees/users", {"limit": 100})
        roles: dict[str, list[str]] = {}
        for assignee in assignees:
            user_id = str(assignee.get("id"))
            assigned, _ = self.client.paginate(f"/api/v1/users/{quote(user_id, safe='')}/roles")
            roles[user_id] = sorted({str(r.get("type")) for r in assigned if r.get("status", "ACTIVE") == "ACTIVE"})
        return roles

    def _org(self, users: list[dict[str, Any]], roles: Mapping[str, list[str]], streams: list[Any]) -> Fact:
        logins = {str(u.get("id")): (u.get("profile") or {}).get("login") for u in users}
        admins = {logins.get(user_id) or user_id: types for user_id, types in roles.items() if types}
        super_admins = sorted(str(login) for login, types in admins.items() if "SUPER_ADMIN" in types)
        data = {
            "users_count": len(users),
            "active_users_count": sum(1 for u in users if u.get("status") == "ACTIVE"),
            "admins": sorted(str(login) for login in admins),
            "admins_count": len(admins),
            "super_admins": super_admins,
            "super_admins_count": len(super_admins),
            "log_streams": streams,
            "active_log_streams_count": sum(1 for s in streams if s.get("status") == "ACTIVE"),
        }
        operations = ["GET /api/v1/users", "GET /api/v1/iam/assignees/users", "GET /api/v1/users/{userId}/roles"]
        return Fact(
            kind="okta.org",
            resource=f"okta:{self.host}",
            scope=self.scope,
            data=data,
            source=self._source([*operations, "GET /api/v1/logStreams"]),
        )

    def _users_with_apps(
        self, users: list[dict[str, Any]], roles: Mapping[str, list[str]], apps: list[dict[str, Any]], pages: int
    ) -> Iterator[Fact | CollectionError]:
        """Each user with the active apps assigned to them (directly or through a group)."""
        assigned: dict[str, set[str]] = {}
        try:
            for app in apps:
                app_id = str(app.get("id"))
                members, _ = self.client.paginate(f"/api/v1/apps/{quote(app_id, safe='')}/users", {"limit": 500})
                for member in members:
                    assigned.setdefault(str(member.get("id")), set()).add(app_id)
        except OktaError as err:  # without every app's assignments no user's count is known
            yield self._error(("okta.user",), err)
            return
        for user in users:
            yield self._user(user, roles, len(assigned.get(str(user.get("id")), ())), pages)

    def _user(self, user: Mapping[str, Any], roles: Mapping[str, list[str]], apps_assigned: int, pages: int) -> Fact:
        user_id = str(user.get("id"))
        data: dict[str, Any] = {
            "id": user_id,
            "login": (user.get("profile") or {}).get("login"),
            "status": user.get("status"),
            "created": _date(user.get("created")),
            "activated": _date(user.get("activated")),
            # null: the user never signed in (Okta's User object: lastLogin is null until the first sign-in)
            "last_login": _date(user.get("lastLogin")),
            "admin_roles": roles.get(user_id, []),
            "apps_assigned": apps_assigned,
        }
        operations = [
            "GET /api/v1/users",
            "GET /api/v1/iam/assignees/users",
            "GET /api/v1/apps",
            "GET /api/v1/apps/{appId}/users",
        ]
        return Fact(
            kind="okta.user",
            resource=f"okta:{self.host}/users/{user_id}",
            scope=self.scope,
            data=data,
            source=self._source(operations, pages),
        )

    def _policies(self) -> Generator[Fact | CollectionError, None, dict[str, list[dict[str, Any]]] | None]:
        """Yields the policies; returns the authentication policies' rules by policy id (None: unread)."""
        access_rules: dict[str, list[dict[str, Any]]] | None = {}
        for policy_type in POLICY_TYPES:
            try:
                policies, pages = self.client.paginate("/api/v1/policies", {"type": policy_type})
            except OktaError as err:
                yield self._error(("okta.policy",), err)
                if policy_type == "ACCESS_POLICY":
                    access_rules = None
                continue
            for policy in policies:
                policy_id = str(policy.get("id"))
                resource = f"okta:{self.host}/policies/{policy_id}"
                try:
                    rules, _ = self.client.paginate(f"/api/v1/policies/{quote(policy_id, safe='')}/rules")
                except OktaError as err:
                    yield self._error(("okta.policy",), err, resource)
                    if policy_type == "ACCESS_POLICY" and access_rules is not None:
                        access_rules.pop(policy_id, None)
                    continue
                summary = _policy(policy, rules)
                if policy_type == "ACCESS_POLICY" and access_rules is not None:
                    access_rules[policy_id] = summary["rules"]
                yield Fact(
                    kind="okta.policy",
                    resource=resource,
                    scope=self.scope,
                    data=summary,
                    source=self._source(["GET /api/v1/policies", "GET /api/v1/policies/{policyId}/rules"], pages),
                )
        return access_rules

    def _apps(
        self, apps: list[dict[str, Any]], pages: int, access_rules: Mapping[str, list[dict[str, Any]]] | None
    ) -> Iterator[Fact | CollectionError]:
        for app in apps:
            app_id = str(app.get("id"))
            href = (((app.get("_links") or {}).get("accessPolicy")) or {}).get("href")
            policy_id = str(href).rstrip("/").rsplit("/", 1)[-1] if href else None
            data: dict[str, Any] = {
                "id": app_id,
                "name": app.get("name"),
                "label": app.get("label"),
                "sign_on_mode": app.get("signOnMode"),
                "status": app.get("status"),
                "access_policy": policy_id,
            }
            resource = f"okta:{self.host}/apps/{app_id}"
            if policy_id is not None:
                if access_rules is None or policy_id not in access_rules:
                    message = f"the authentication policy {policy_id} of app {app_id} could not be read"
                    yield CollectionError(
                        kinds=("okta.app",), scope=self.scope, message=message, code="policy_unread", resource=resource
                    )
                    continue
                # Only the rules a user can sign in through: DENY rules and inactive rules grant nothing.
                data["sign_on_rules"] = [
                    r for r in access_rules[policy_id] if r["status"] == "ACTIVE" and r.get("access") == "ALLOW"
                ]
            yield Fact(
                kind="okta.app",
                resource=resource,
                scope=self.scope,
                data=data,
                source=self._source(["GET /api/v1/apps", "GET /api/v1/policies/{policyId}/rules"], pages),
            )


def _policy(policy: Mapping[str, Any], rules: list[Mapping[str, Any]]) -> dict[str, Any]:
    """A policy as rules judge it: its settings (configuration, no personal data) and rules' actions."""
    policy_type = policy.get("type")
    settings = policy.get("settings") or {}
    data: dict[str, Any] = {
        "id": policy.get("id"),
        "type": policy_type,
        "name": policy.get("name"),
        "status": policy.get("status"),
        "system": bool(policy.get("system")),
        "priority": policy.get("priority"),
    }
    if policy_type == "PASSWORD":
        # Okta's `settings.password` (renamed: a key named `password` would have its words redacted),
        # each group present so that a setting Okta leaves out meets the rule's documented default.
        password = settings.get("password") or {}
        data["password_policy"] = {group: password.get(group) or {} for group in ("complexity", "age", "lockout")}
    if policy_type == "MFA_ENROLL":
        enrolment = _enrolment(settings)
        data["required_authenticators"] = sorted(k for k, v in enrolment.items() if v == "REQUIRED")
        data["optional_authenticators"] = sorted(k for k, v in enrolment.items() if v == "OPTIONAL")
    data["rules"] = [_rule(policy_type, rule) for rule in rules]
    return data


def _enrolment(settings: Mapping[str, Any]) -> dict[str, str]:
    """Authenticator key -> enrol setting: `settings.authenticators` (Identity Engine) or
    `settings.factors` (Classic Engine, keyed by factor)."""
    if settings.get("type") == "AUTHENTICATORS" or "authenticators" in settings:
        return {
            str(a.get("key")): str((a.get("enroll") or {}).get("self")) for a in settings.get("authenticators") or []
        }
    return {str(key): str((f.get("enroll") or {}).get("self")) for key, f in (settings.get("factors") or {}).items()}


def _rule(policy_type: Any, rule: Mapping[str, Any]) -> dict[str, Any]:
    actions = rule.get("actions") or {}
    out: dict[str, Any] = {
        "name": rule.get("name"),
        "status": rule.get("status"),
        "priority": rule.get("priority"),
        "system": bool(rule.get("system")),
    }
    if policy_type == "OKTA_SIGN_ON":
        signon = actions.get("signon") or {}
        out["access"] = signon.get("access")
        out["require_factor"] = signon.get("requireFactor")
        out["session"] = signon.get("session") or {}
    elif policy_type == "ACCESS_POLICY":
        sign_on = actions.get("appSignOn") or {}
        method = sign_on.get("verificationMethod") or {}
        out["access"] = sign_on.get("access")
        out["verification_type"] = method.get("type")
        out["factor_mode"] = method.get("factorMode")
        out["reauthenticate_in"] = method.get("reauthenticateIn")
    return out
