"""Every Google API operation annexa calls, with the IAM permission it needs.

One table: the client refuses a call that is not in it, so the least-privilege role
(policies/gcp-readonly-role.yaml) can be proven to cover every call (tests/collectors/gcp/
test_permissions.py matches each request the fake recorded against these templates).

POST appears only for methods Google documents as reads: `getIamPolicy` on Resource Manager
resources is an HTTP POST that returns the policy and changes nothing (cloudresourcemanager v3
discovery document, `projects.getIamPolicy`, `"httpMethod": "POST"`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

__all__ = ["OPERATIONS", "Operation", "operation", "permission_of_request"]


@dataclass(frozen=True)
class Operation:
    method: str
    service: str  # the API's host name without .googleapis.com
    path: str  # the path template, placeholders in braces
    permission: str

    @property
    def name(self) -> str:
        return f"{self.method} https://{self.service}.googleapis.com{self.path}"


_CRM = "cloudresourcemanager"
OPERATIONS: tuple[Operation, ...] = (
    Operation("GET", _CRM, "/v3/projects/{project}", "resourcemanager.projects.get"),
    Operation("GET", _CRM, "/v3/projects", "resourcemanager.projects.list"),
    Operation("GET", _CRM, "/v3/folders", "resourcemanager.folders.list"),
    Operation("GET", _CRM, "/v3/folders/{folder}", "resourcemanager.folders.get"),
    Operation("POST", _CRM, "/v3/projects/{project}:getIamPolicy", "resourcemanager.projects.getIamPolicy"),
    Operation("POST", _CRM, "/v3/folders/{folder}:getIamPolicy", "resourcemanager.folders.getIamPolicy"),
    Operation(
        "POST", _CRM, "/v3/organizations/{organization}:getIamPolicy", "resourcemanager.organizations.getIamPolicy"
    ),
    Operation("GET", "iam", "/v1/projects/{project}/serviceAccounts", "iam.serviceAccounts.list"),
    Operation("GET", "iam", "/v1/projects/{project}/serviceAccounts/{account}/keys", "iam.serviceAccountKeys.list"),
    Operation("GET", "storage", "/storage/v1/b", "storage.buckets.list"),
    Operation("GET", "storage", "/storage/v1/b/{bucket}/iam", "storage.buckets.getIamPolicy"),
    Operation("GET", "logging", "/v2/projects/{project}/sinks", "logging.sinks.list"),
    Operation("GET", "logging", "/v2/folders/{folder}/sinks", "logging.sinks.list"),
    Operation("GET", "logging", "/v2/organizations/{organization}/sinks", "logging.sinks.list"),
    Operation("GET", "logging", "/v2/projects/{project}/locations/{location}/buckets", "logging.buckets.list"),
    Operation("GET", "compute", "/compute/v1/projects/{project}", "compute.projects.get"),
    Operation("GET", "compute", "/compute/v1/projects/{project}/aggregated/instances", "compute.instances.list"),
    Operation("GET", "compute", "/compute/v1/projects/{project}/global/firewalls", "compute.firewalls.list"),
    Operation("GET", "compute", "/compute/v1/projects/{project}/aggregated/subnetworks", "compute.subnetworks.list"),
    Operation("GET", "sqladmin", "/v1/projects/{project}/instances", "cloudsql.instances.list"),
    Operation("GET", "container", "/v1/projects/{project}/locations/-/clusters", "container.clusters.list"),
    Operation("GET", "cloudkms", "/v1/projects/{project}/locations", "cloudkms.locations.list"),
    Operation("GET", "cloudkms", "/v1/projects/{project}/locations/{location}/keyRings", "cloudkms.keyRings.list"),
    Operation(
        "GET",
        "cloudkms",
        "/v1/projects/{project}/locations/{location}/keyRings/{ring}/cryptoKeys",
        "cloudkms.cryptoKeys.list",
    ),
    Operation("GET", "essentialcontacts", "/v1/projects/{project}/contacts:compute", "essentialcontacts.contacts.list"),
    # Org Policy v2 reference, projects.policies.getEffectivePolicy: "requires ... orgpolicy.policies.get".
    Operation(
        "GET", "orgpolicy", "/v2/projects/{project}/policies/{constraint}:getEffectivePolicy", "orgpolicy.policies.get"
    ),
    Operation("GET", "securitycenter", "/v1/projects/{project}/sources", "securitycenter.sources.list"),
    # BigQuery has no datasets.list permission: listing needs bigquery.datasets.get (BigQuery docs, "List datasets").
    Operation("GET", "bigquery", "/bigquery/v2/projects/{project}/datasets", "bigquery.datasets.get"),
    Operation("GET", "bigquery", "/bigquery/v2/projects/{project}/datasets/{dataset}", "bigquery.datasets.get"),
)


def operation(method: str, service: str, path: str) -> Operation:
    """The declared operation for a call; LookupError for one nobody declared."""
    for op in OPERATIONS:
        if (op.method, op.service, op.path) == (method, service, path):
            return op
    raise LookupError(f"undeclared Google API operation: {method} {service} {path}")


@cache
def _patterns() -> tuple[tuple[re.Pattern[str], Operation], ...]:
    out = []
    for op in OPERATIONS:
        regex = re.sub(r"\\\{[a-z]+\\\}", "[^/]+", re.escape(op.path))
        out.append((re.compile(f"^{regex}$"), op))
    return tuple(out)


def permission_of_request(method: str, service: str, path: str) -> str | None:
    """The permission a concrete request (`GET storage /storage/v1/b/x/iam`) needs, or None."""
    for pattern, op in _patterns():
        if op.method == method and op.service == service and pattern.match(path):
            return op.permission
    return None
