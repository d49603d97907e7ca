"""The Google Workspace collector: users (2-Step Verification, admin, suspended, last sign-in)
from the Admin SDK Directory API, and login audit availability from the Reports API."""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, ClassVar

from google.auth.exceptions import GoogleAuthError

from annexa.collectors.base import Collector, Context, Target
from annexa.collectors.gcp.client import GcpCallError, GoogleApis
from annexa.collectors.workspace.operations import ACTIVITIES, SCOPES, USERS, operation
from annexa.model import CollectionError, Fact
from annexa.origins import check_transport

__all__ = ["WorkspaceCollector"]

_KINDS = ("workspace.customer", "workspace.user", "workspace.login_audit")
# Only these user fields are requested (the API's `fields` partial response): nothing else of a
# person's profile (names, phones, addresses, recovery details) leaves Google.
_USER_FIELDS = (
    "nextPageToken,users(id,primaryEmail,isAdmin,isDelegatedAdmin,suspended,archived,"
    "isEnrolledIn2Sv,isEnforcedIn2Sv,lastLoginTime,creationTime)"
)
# Directory API users answer lastLoginTime 1970-01-01T00:00:00.000Z (the Unix epoch, the zero value)
# for a user who never signed in: annexa records that as null, "never".
_NEVER = "1970-01-01"


def _date(value: Any) -> str | None:
    text = str(value)[:10] if isinstance(value, str) and value else None
    return None if text is None or text <= _NEVER else text


class WorkspaceCollector(Collector):
    """One Google Workspace customer, read as an admin through domain-wide delegation:
    `workspace.user`: each user's primary e-mail, id, super admin and delegated admin flags,
    suspended and archived flags, 2-Step Verification enrolment and enforcement
    (`isEnrolledIn2Sv`, `isEnforcedIn2Sv`), creation and last sign-in dates (null: never);
    `workspace.customer`: counts and super admins;
    `workspace.login_audit`: whether the Reports API answers for the `login` application, with
    the time of the newest login event (one item is read: the list is newest first).
    Users are read to the last page (`nextPageToken`). Password policy, less secure apps and
    OAuth app access control are not in the Admin SDK: Google exposes them only through the
    Cloud Identity Policy API (super admins only, as explicitly set policies per org unit that
    must be reduced against Google's defaults), which this collector does not read, so no rule
    here claims them. Only GET requests, with read-only scopes."""

    name = "workspace"
    provider = "workspace"
    kinds = _KINDS
    permissions = (
        "domain-wide delegation of " + ", ".join(SCOPES) + " to the service account, impersonating an admin",
    )
    target_options: ClassVar[Mapping[str, type]] = {
        "credentials_file": Path,
        "subject": str,
        "customer": str,
        "access_token_env": str,
        "endpoint": str,
    }

    @classmethod
    def check_options(cls, options: Mapping[str, Any]) -> None:
        if "endpoint" in options:
            check_transport(options["endpoint"], "workspace option 'endpoint'")
        if "access_token_env" not in options and not ("credentials_file" in options and "subject" in options):
            raise ValueError(
                "give credentials_file (a service account key with domain-wide delegation) and subject "
                "(the admin it acts as), or access_token_env"
            )

    def collect(self, target: Target, context: Context) -> Iterator[Fact | CollectionError]:
        customer = str(target.options.get("customer") or "my_customer")
        scope = {"provider": "workspace", "customer": customer}
        try:
            apis = _apis(target.options)
        except (GoogleAuthError, OSError, ValueError) as err:
            yield CollectionError(
                kinds=_KINDS, scope=scope, message=f"no credentials: {err}", operation="auth", code="no_credentials"
            )
            return
        try:
            raw, reply = apis.items(
                "admin", USERS, "users", {"customer": customer, "maxResults": "500", "fields": _USER_FIELDS}
            )
        except GcpCallError as err:
            yield err.to_collection_error(("workspace.customer", "workspace.user"), scope)
        else:
            users = [_user(u) for u in raw]
            source = apis.source([reply])
            super_admins = sorted(str(u["primary_email"]) for u in users if u["is_admin"])
            yield Fact(
                kind="workspace.customer",
                resource=f"workspace:{customer}",
                scope=scope,
                data={
                    "users_count": len(users),
                    "suspended_count": sum(1 for u in users if u["suspended"]),
                    "super_admins": super_admins,
                    "super_admins_count": len(super_admins),
                    "delegated_admins_count": sum(1 for u in users if u["is_delegated_admin"]),
                },
                source=source,
            )
            for user in users:
                yield Fact(
                    kind="workspace.user",
                    resource=f"workspace:{customer}/users/{user['id']}",
                    scope=scope,
                    data=user,
                    source=source,
                )
        try:
            audit = apis.get(
                "admin",
                ACTIVITIES,
                {"customerId": customer, "maxResults": "1"} if customer != "my_customer" else {"maxResults": "1"},
                userKey="all",
                applicationName="login",
            )
        except GcpCallError as err:
            yield err.to_collection_error(("workspace.login_audit",), scope)
        else:
            items = audit.body.get("items") or [] if isinstance(audit.body, dict) else []
            newest = ((items[0] if items else {}).get("id") or {}).get("time")
            yield Fact(
                kind="workspace.login_audit",
                resource=f"workspace:{customer}/reports/login",
                scope=scope,
                data={"readable": True, "newest_event_at": newest},
                source=apis.source([audit]),
            )


def _user(raw: Mapping[str, Any]) -> dict[str, Any]:
    # The Directory API leaves false booleans out of a partial response; the User schema's
    # booleans are false unless set (admin:directory_v1 discovery document, User).
    return {
        "id": raw.get("id"),
        "primary_email": raw.get("primaryEmail"),
        "is_admin": bool(raw.get("isAdmin")),
        "is_delegated_admin": bool(raw.get("isDelegatedAdmin")),
        "suspended": bool(raw.get("suspended")),
        "archived": bool(raw.get("archived")),
        "enrolled_2sv": bool(raw.get("isEnrolledIn2Sv")),
        "enforced_2sv": bool(raw.get("isEnforcedIn2Sv")),
        "created": _date(raw.get("creationTime")),
        "last_login": _date(raw.get("lastLoginTime")),
    }


def _apis(options: Mapping[str, Any]) -> GoogleApis:
    """The shared Google REST client with delegated (or, for tests and the demo, given) credentials."""
    endpoint = options.get("endpoint")
    if endpoint is not None:
        endpoint = check_transport(str(endpoint), "workspace option 'endpoint'").rstrip("/")
    env = options.get("access_token_env")
    if env:
        import google.oauth2.credentials

        token = os.environ.get(str(env), "").strip()
        if not token:
            raise ValueError(f"the environment variable {env} holds no access token")
        credentials: Any = google.oauth2.credentials.Credentials(token)
        principal = f"access token from ${env}"
    else:
        from google.oauth2 import service_account

        credentials = service_account.Credentials.from_service_account_file(
            str(options["credentials_file"]), scopes=list(SCOPES), subject=str(options["subject"])
        )
        principal = f"{credentials.service_account_email} as {options['subject']}"
    return GoogleApis(credentials, principal, endpoint, operations=operation)
