"""azure.entra.roles (collectors/azure/entra_roles.py): the tenant's activated directory roles with their members, and every role assignment."""

from __future__ import annotations

import pytest
from fakes.azure_specs import assert_pages_and_errors

from annexa.collectors.azure.entra_roles import EntraRolesCollector


def test_reads_directory_roles_and_role_assignments() -> None:
    assert EntraRolesCollector.kinds == ("azure.entra.directory_role", "azure.entra.role_assignment")
    assert EntraRolesCollector.permissions == ("RoleManagement.Read.Directory", "Directory.Read.All")


def test_every_page_is_read_and_a_failed_read_is_error_evidence(monkeypatch: pytest.MonkeyPatch) -> None:
    assert_pages_and_errors(EntraRolesCollector, monkeypatch)
