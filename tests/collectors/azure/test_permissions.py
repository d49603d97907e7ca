"""Every Azure collector declares the permissions it uses and names every request in its evidence.

Each collector runs alone against the seeded fake ARM/Graph, which records every request:
- the RBAC read actions of its ARM requests and the Microsoft Graph permissions of its Graph
  requests equal the `permissions` it declares (none missing, none unused);
- it sends only GET;
- every request it sent is named in a fact's `source` (unless it was denied, which an error
  names, or answered an empty collection, which leaves no fact to name it), and every request
  a source names was sent.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlsplit

import pytest
from fakes.azure_world import Collected, Seeded

from annexa.collectors.azure.spec import rbac_read_action
from annexa.collectors.base import Collector
from annexa.collectors.registry import load_registry

AZURE: tuple[type[Collector], ...] = tuple(load_registry().for_provider("azure"))

# Least-privileged application permissions per request, from the Microsoft Graph v1.0 reference
# (microsoftgraph/microsoft-graph-docs-contrib, api-reference/v1.0/api/: user-list.md,
# identitysecuritydefaultsenforcementpolicy-get.md, conditionalaccessroot-list-policies.md,
# authorizationpolicy-get.md, domain-list.md, directoryrole-list.md, directoryrole-list-members.md,
# rbacapplication-list-roledefinitions.md, rbacapplication-list-roleassignments.md). Without
# Directory.Read.All a role's members and an assignment's principal come back as bare ids.
GRAPH_PERMISSIONS = {
    "/v1.0/users": ("User.Read.All",),
    "/v1.0/policies/identitySecurityDefaultsEnforcementPolicy": ("Policy.Read.All",),
    "/v1.0/identity/conditionalAccess/policies": ("Policy.Read.All",),
    "/v1.0/policies/authorizationPolicy": ("Policy.Read.All",),
    "/v1.0/domains": ("Domain.Read.All",),
    "/v1.0/directoryRoles": ("RoleManagement.Read.Directory",),
    "/v1.0/directoryRoles/{id}/members": ("RoleManagement.Read.Directory", "Directory.Read.All"),
    "/v1.0/roleManagement/directory/roleDefinitions": ("RoleManagement.Read.Directory",),
    "/v1.0/roleManagement/directory/roleAssignments": ("RoleManagement.Read.Directory", "Directory.Read.All"),
}
SIGN_IN_ACTIVITY = "AuditLog.Read.All"  # user-list.md: $select=signInActivity needs it as well
_SUBSCRIPTIONS = re.compile(r"^/subscriptions(/[^/]+)?$")  # the target's subscriptions: every collector's


def _graph_permissions(path: str, query: dict[str, str]) -> tuple[str, ...]:
    template = re.sub(r"^/v1\.0/directoryRoles/[^/]+/members$", "/v1.0/directoryRoles/{id}/members", path)
    extra = (SIGN_IN_ACTIVITY,) if "signInActivity" in query.get("$select", "") else ()
    return GRAPH_PERMISSIONS[template] + extra


def _requested(seeded: Seeded) -> set[tuple[str, str, frozenset[tuple[str, str]]]]:
    """The collector's requests as (api, path, query), without later pages or the subscription reads."""
    return {
        (r.api, r.path, frozenset(r.query.items()))
        for r in seeded.world.requests
        if "$skiptoken" not in r.query and not (r.api == "arm" and _SUBSCRIPTIONS.match(r.path))
    }


def _named(seeded: Seeded, collected: Collected) -> set[tuple[str, str, frozenset[tuple[str, str]]]]:
    named = set()
    for fact in collected.facts:
        for operation in fact.source.operations:
            url = urlsplit(operation.removeprefix("GET "))
            api, _, path = url.path.lstrip("/").partition("/")
            named.add((api, "/" + path, frozenset(parse_qsl(url.query, keep_blank_values=True))))
    return named


@pytest.mark.parametrize("collector", AZURE, ids=lambda c: c.name)
def test_each_collector_declares_the_permissions_it_uses(collector, seeded, run_azure) -> None:  # type: ignore[no-untyped-def]
    run_azure(seeded.options(), names=(collector.name,))
    used = set()
    for request in seeded.world.requests:
        if request.api == "graph":
            used.update(_graph_permissions(request.path, request.query))
        elif not _SUBSCRIPTIONS.match(request.path):
            used.add(rbac_read_action(request.path))
    assert used == set(collector.permissions)
    assert seeded.world.methods() == {"GET"}


@pytest.mark.parametrize("collector", AZURE, ids=lambda c: c.name)
def test_every_request_is_named_in_the_evidence(collector, seeded, run_azure) -> None:  # type: ignore[no-untyped-def]
    collected = run_azure(seeded.options(), names=(collector.name,))
    requested, named = _requested(seeded), _named(seeded, collected)
    assert named <= requested
    empty = {key for key, (items, _) in seeded.world.lists.items() if not items}
    assert {r for r in requested - named if (r[0], r[1]) not in seeded.world.denied.keys() | empty} == set()
    assert all(e.code == "AuthorizationFailed" for e in collected.errors)  # the seeded denial, named in an error


def test_rbac_read_actions_are_the_ones_the_collectors_once_listed_by_hand() -> None:
    """The derivation reproduces the actions declared by hand before the spec layer."""
    sub = "/subscriptions/s/resourceGroups/g/providers"
    assert rbac_read_action("/subscriptions/s/providers/Microsoft.Storage/storageAccounts") == (
        "Microsoft.Storage/storageAccounts/read"
    )
    assert rbac_read_action(f"{sub}/Microsoft.Compute/virtualMachines/vm/extensions") == (
        "Microsoft.Compute/virtualMachines/extensions/read"
    )
    assert rbac_read_action(f"{sub}/Microsoft.Sql/servers/a/databases/b/transparentDataEncryption/current") == (
        "Microsoft.Sql/servers/databases/transparentDataEncryption/read"
    )
    assert rbac_read_action(f"{sub}/Microsoft.Sql/servers/a/auditingSettings/default") == (
        "Microsoft.Sql/servers/auditingSettings/read"
    )
    assert rbac_read_action(f"{sub}/Microsoft.KeyVault/vaults/v/providers/Microsoft.Insights/diagnosticSettings") == (
        "Microsoft.Insights/diagnosticSettings/read"
    )
    assert rbac_read_action("/subscriptions/s") == "Microsoft.Resources/subscriptions/read"
