"""Entra ID directory roles: who holds them, and every privileged role assignment."""

from __future__ import annotations

import json
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

from annexa.collectors.azure.client import AzureCallError
from annexa.collectors.azure.collector import TenantCollector
from annexa.collectors.azure.session import Tenant
from annexa.collectors.azure.spec import Detail, Listing
from annexa.model import CollectionError, Fact

DIRECTORY_ROLE = "azure.entra.directory_role"
ROLE_ASSIGNMENT = "azure.entra.role_assignment"
_PRIVILEGED_ROLES = Path(__file__).with_name("privileged_roles.json")


@cache
def privileged_role_templates() -> frozenset[str]:
    """The template ids of the built-in roles Microsoft labels PRIVILEGED (privileged_roles.json names its source)."""
    return frozenset(json.loads(_PRIVILEGED_ROLES.read_text())["privileged_role_template_ids"])


def _privilege(definition: dict[str, Any]) -> dict[str, Any]:
    """`is_privileged` and where it comes from, or nothing when it cannot be told (a custom role, or
    a definition that was not returned): the rule then says `error`, never a silent pass.

    Graph v1.0 has no `isPrivileged` (beta only); when a definition carries it, it is Graph's word.
    Otherwise a built-in role is judged by Microsoft's published list of privileged roles."""
    if isinstance(definition.get("isPrivileged"), bool):
        return {"is_privileged": definition["isPrivileged"], "privilege_source": "graph isPrivileged"}
    if definition.get("isBuiltIn") is True and definition.get("templateId"):
        template = str(definition["templateId"]).lower()
        return {"is_privileged": template in privileged_role_templates(), "privilege_source": "built-in roles list"}
    return {}


def _principal(raw: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": raw.get("id"),
        "type": str(raw.get("@odata.type") or "").rpartition(".")[2] or None,
        "display_name": raw.get("displayName"),
        "user_principal_name": raw.get("userPrincipalName"),
    }


def _directory_role(raw: dict[str, Any], members: list[dict[str, Any]]) -> dict[str, Any]:
    listed = sorted((_principal(m) for m in members), key=lambda m: str(m["id"]))
    return {
        "display_name": raw.get("displayName"),
        "role_template_id": raw.get("roleTemplateId"),
        "members": listed,
        "member_count": len(listed),
    }


class EntraRolesCollector(TenantCollector):
    """Directory roles and role assignments, read once per tenant through Microsoft Graph v1.0.

    - `azure.entra.directory_role` (`<tenant>:directoryRole/<id>`): every activated role with
      `display_name`, `role_template_id` (Global Administrator is
      `62e90394-69f5-4237-9190-012177145e10`), `members` (id, type, display name, UPN; a
      guest's UPN contains `#EXT#`) and `member_count`.
    - `azure.entra.role_assignment` (`<tenant>:roleAssignment/<id>`): `role` (display name),
      `role_definition_id`, `is_built_in`, `is_privileged` and `privilege_source` (Graph's
      `isPrivileged` where the definition has it, which v1.0 does not; for a built-in role
      Microsoft's published list in privileged_roles.json; left out for a custom role, so a
      rule reading it is `error`), `directory_scope_id` and `principal` (id, type, display
      name, UPN).
    """

    name = "azure.entra.roles"
    kinds = (DIRECTORY_ROLE, ROLE_ASSIGNMENT)
    # Reading the members' and principals' names (not only their ids) needs Directory.Read.All.
    specs = (
        Listing(
            DIRECTORY_ROLE,
            "/v1.0/directoryRoles",
            None,
            _directory_role,
            "{tenant}:directoryRole/{id}",
            details=(Detail("/v1.0/directoryRoles/{role}/members", collection=True),),
            graph_permissions=("RoleManagement.Read.Directory", "Directory.Read.All"),
        ),
    )
    # Role assignments are read by code: each is joined with its role definition.
    permissions = ("RoleManagement.Read.Directory", "Directory.Read.All")

    def collect_tenant(self, tenant: Tenant) -> Iterator[Fact | CollectionError]:
        yield from super().collect_tenant(tenant)
        yield from self._assignments(tenant)

    @staticmethod
    def _assignments(tenant: Tenant) -> Iterator[Fact | CollectionError]:
        try:
            definitions = tenant.graph.list("/v1.0/roleManagement/directory/roleDefinitions")
            assignments = tenant.graph.list("/v1.0/roleManagement/directory/roleAssignments", {"$expand": "principal"})
        except AzureCallError as exc:
            yield exc.to_collection_error((ROLE_ASSIGNMENT,), tenant.scope())
            return
        by_id = {str(d.get("id")): d for d in definitions.body}
        for raw in assignments.body:
            definition = by_id.get(str(raw.get("roleDefinitionId")), {})
            yield Fact(
                kind=ROLE_ASSIGNMENT,
                resource=f"{tenant.id}:roleAssignment/{raw['id']}",
                scope=tenant.scope(),
                data={
                    "role": definition.get("displayName"),
                    "role_definition_id": raw.get("roleDefinitionId"),
                    "is_built_in": definition.get("isBuiltIn"),
                    **_privilege(definition),
                    "directory_scope_id": raw.get("directoryScopeId"),
                    "principal": _principal(raw.get("principal") or {"id": raw.get("principalId")}),
                },
                source=tenant.source(definitions, assignments),
            )
