"""Every Admin SDK call annexa makes, with the read-only OAuth scope it needs (the scopes the Admin
SDK discovery documents admin:directory_v1 and admin:reports_v1 list for users.list and
activities.list). These are the scopes to grant the service account in the Admin console's
domain-wide delegation, and the only ones annexa asks for. The `permission` field of the shared
Google client's Operation holds the scope here."""

from __future__ import annotations

from annexa.collectors.gcp.operations import Operation

__all__ = ["OPERATIONS", "SCOPES", "operation"]

USERS = "/admin/directory/v1/users"
ACTIVITIES = "/admin/reports/v1/activity/users/{userKey}/applications/{applicationName}"
OPERATIONS: tuple[Operation, ...] = (
    Operation("GET", "admin", USERS, "https://www.googleapis.com/auth/admin.directory.user.readonly"),
    Operation("GET", "admin", ACTIVITIES, "https://www.googleapis.com/auth/admin.reports.audit.readonly"),
)
SCOPES = tuple(sorted({op.permission for op in OPERATIONS}))


def operation(method: str, service: str, path: str) -> Operation:
    """The declared operation for a call; LookupError for one nobody declared."""
    for op in OPERATIONS:
        if (op.method, op.service, op.path) == (method, service, path):
            return op
    raise LookupError(f"undeclared Admin SDK operation: {method} {service} {path}")
