"""The published least-privilege role (policies/gcp-readonly-role.yaml) allows exactly what the GCP
collectors call: every request a full collection of the seeded estate makes (organisation scope and
a list of projects, whose ancestors are read upwards) maps to a permission in the role, each
collector's calls to permissions it declares, and the role holds nothing more."""

from __future__ import annotations

from pathlib import Path

import yaml
from fakes.gcp_world import PROD, SANDBOX

import annexa
from annexa.collectors.gcp.operations import OPERATIONS, permission_of_request
from annexa.collectors.registry import load_registry

ROLE_FILE = Path(annexa.__file__).parent / "policies" / "gcp-readonly-role.yaml"
GCP = load_registry().for_provider("gcp")
READ_VERBS = ("get", "list", "getIamPolicy")


def _role() -> list[str]:
    role = yaml.safe_load(ROLE_FILE.read_text())
    assert set(role) == {"title", "description", "stage", "includedPermissions"}
    return role["includedPermissions"]


def test_role_grants_reads_only_and_each_once() -> None:
    permissions = _role()
    assert permissions == sorted(set(permissions))
    assert [p for p in permissions if p.rsplit(".", 1)[1] not in READ_VERBS] == []


def test_role_is_exactly_what_collectors_declare() -> None:
    declared = {p for collector in GCP for p in collector.permissions}
    assert set(_role()) == declared
    assert {op.permission for op in OPERATIONS} == declared


def test_every_call_is_allowed_by_the_role_and_declared_by_its_collector(seeded, run_gcp) -> None:  # type: ignore[no-untyped-def]
    role = set(_role())
    seen: set[str] = set()
    for collector in GCP:
        before = len(seeded.world.requests)
        for options in (seeded.options(), seeded.options(organization=None, projects=[PROD, SANDBOX])):
            run_gcp(options, names=(collector.name,))
        made = seeded.world.requests[before:]
        assert made
        needed = {permission_of_request(r.method, r.service, r.path) for r in made}
        assert None not in needed, [
            (r.method, r.service, r.path) for r in made if permission_of_request(r.method, r.service, r.path) is None
        ]
        # every collector resolves the scope (projects.list / folders.list / projects.get) through the shared session
        scope = {"resourcemanager.projects.list", "resourcemanager.folders.list", "resourcemanager.projects.get"}
        assert needed - scope <= set(collector.permissions), collector.name
        assert needed <= role
        seen |= needed
    assert seen == role
