"""Every Okta Management API call annexa makes, with the OAuth scope Okta's OpenAPI description
declares for it (`security: oauth2: [...]`, management-minimal.yaml 2026.06.3). The client refuses
any path that matches none of these, so policies/okta-readonly-scopes.yaml (tested against this
table) covers every call. All are GETs; the one POST is the OAuth token request, to Okta's own
token endpoint on the configured host."""

from __future__ import annotations

import re
from functools import cache

__all__ = ["OPERATIONS", "TOKEN_PATH", "scope_of"]

OPERATIONS: dict[str, str] = {
    "/api/v1/users": "okta.users.read",
    "/api/v1/iam/assignees/users": "okta.roles.read",
    "/api/v1/users/{userId}/roles": "okta.roles.read",
    "/api/v1/apps": "okta.apps.read",
    "/api/v1/apps/{appId}/users": "okta.apps.read",
    "/api/v1/policies": "okta.policies.read",
    "/api/v1/policies/{policyId}/rules": "okta.policies.read",
    "/api/v1/logStreams": "okta.logStreams.read",
}
# The org authorization server's token endpoint (client credentials with a private-key JWT).
TOKEN_PATH = "/oauth2/v1/token"


@cache
def _patterns() -> tuple[tuple[re.Pattern[str], str], ...]:
    return tuple(
        (re.compile("^" + re.sub(r"\\\{[A-Za-z]+\\\}", "[^/]+", re.escape(template)) + "$"), template)
        for template in OPERATIONS
    )


def scope_of(path: str) -> tuple[str, str] | None:
    """(template, scope) of a concrete path (`/api/v1/users/00u1/roles`), None if annexa never calls it."""
    for pattern, template in _patterns():
        if pattern.match(path.split("?", 1)[0]):
            return template, OPERATIONS[template]
    return None
