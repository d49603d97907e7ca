"""The Google Workspace collector against the loopback fake (bodies after the Admin SDK discovery
documents' schemas): users paged by nextPageToken with only the fields annexa needs, only GETs,
domain-wide delegation through a service account key (the token request carries the admin as
`sub` and only read-only scopes), 403s as error evidence for what they concern, and the rules'
verdicts on the seeded customer."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from annexa.collectors.base import Context, Target
from annexa.collectors.registry import load_registry
from annexa.collectors.workspace.collector import WorkspaceCollector
from annexa.collectors.workspace.operations import SCOPES
from annexa.demo.workspace_fake import (
    LOGIN_ACTIVITIES,
    TOKEN,
    FakeWorkspace,
    fake_workspace,
    forbidden,
    seeded_customer,
)
from annexa.mappings.catalog import load_catalog
from annexa.mappings.evaluate import evaluate
from annexa.mappings.rules import builtin_rule_files, load_rules
from annexa.model import CollectionError, Fact

NOW = datetime(2026, 12, 1, tzinfo=timezone.utc)


@pytest.fixture
def workspace(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeWorkspace]:
    monkeypatch.setenv("WORKSPACE_TOKEN", TOKEN)
    with fake_workspace() as fake:
        seeded_customer(fake)
        fake.page_size = 2  # five users: three pages
        yield fake


def _collect(options: dict[str, Any]) -> list[Fact | CollectionError]:
    return list(WorkspaceCollector().collect(Target("workspace", options), Context("run", None)))


def _by_kind(items: list[Fact | CollectionError], kind: str) -> dict[str, Any]:
    return {f.resource.rsplit("/", 1)[-1]: f.data for f in items if isinstance(f, Fact) and f.kind == kind}


def test_users_are_paged_minimised_and_only_read(workspace: FakeWorkspace) -> None:
    items = _collect({"endpoint": workspace.url, "access_token_env": "WORKSPACE_TOKEN"})
    assert [i for i in items if isinstance(i, CollectionError)] == []
    users = _by_kind(items, "workspace.user")
    assert len(users) == 5
    assert users["100000000000000000003"] == {
        "id": "100000000000000000003",
        "primary_email": "chen@acme.example",
        "is_admin": False,  # left out of the partial response: false, the schema's meaning
        "is_delegated_admin": False,
        "suspended": False,
        "archived": False,
        "enrolled_2sv": False,
        "enforced_2sv": False,
        "created": "2025-09-01",
        "last_login": "2026-11-30",
    }
    (customer,) = _by_kind(items, "workspace.customer").values()
    assert (customer["super_admins"], customer["suspended_count"]) == (["ana@acme.example", "ben@acme.example"], 1)
    (audit,) = _by_kind(items, "workspace.login_audit").values()
    assert audit == {"readable": True, "newest_event_at": "2026-11-30T08:12:00.000Z"}
    assert {method for method, _, _ in workspace.requests} == {"GET"}
    user_reads = [path for _, path, _ in workspace.requests if path.startswith("/admin/admin/directory/v1/users")]
    assert len(user_reads) == 3 and "pageToken=2" in user_reads[1] and "pageToken=4" in user_reads[2]
    assert all("fields=nextPageToken%2Cusers%28id%2CprimaryEmail" in path for path in user_reads)


def test_a_never_used_account_has_no_last_login(workspace: FakeWorkspace) -> None:
    workspace.users[2]["lastLoginTime"] = "1970-01-01T00:00:00.000Z"  # the API's answer for "never"
    users = _by_kind(_collect({"endpoint": workspace.url, "access_token_env": "WORKSPACE_TOKEN"}), "workspace.user")
    assert users["100000000000000000003"]["last_login"] is None


def test_forbidden_login_audit_is_an_error_for_that_kind_only(workspace: FakeWorkspace) -> None:
    workspace.errors[LOGIN_ACTIVITIES] = forbidden()
    items = _collect({"endpoint": workspace.url, "access_token_env": "WORKSPACE_TOKEN"})
    (error,) = [i for i in items if isinstance(i, CollectionError)]
    assert error.kinds == ("workspace.login_audit",)
    assert (error.code, "HTTP 403" in error.message) == ("PERMISSION_DENIED", True)
    assert len(_by_kind(items, "workspace.user")) == 5


def test_forbidden_users_leave_no_customer_fact(workspace: FakeWorkspace) -> None:
    workspace.errors["/admin/admin/directory/v1/users"] = forbidden()
    items = _collect({"endpoint": workspace.url, "access_token_env": "WORKSPACE_TOKEN"})
    errors = [i for i in items if isinstance(i, CollectionError)]
    assert [e.kinds for e in errors] == [("workspace.customer", "workspace.user")]
    assert _by_kind(items, "workspace.customer") == {} and _by_kind(items, "workspace.user") == {}


def test_domain_wide_delegation_asks_for_read_only_scopes_as_the_admin(
    workspace: FakeWorkspace, tmp_path: Path
) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    key_file = tmp_path / "annexa-reader.json"
    key_file.write_text(
        json.dumps(
            {
                "type": "service_account",
                "project_id": "acme-admin",
                "private_key_id": "k1",
                "private_key": pem,
                "client_email": "annexa-reader@acme-admin.iam.gserviceaccount.com",
                "client_id": "1",
                "token_uri": f"{workspace.url}/token",
            }
        )
    )
    items = _collect({"endpoint": workspace.url, "credentials_file": str(key_file), "subject": "ana@acme.example"})
    assert [i for i in items if isinstance(i, CollectionError)] == []
    (form,) = workspace.token_requests
    claims = json.loads(base64.urlsafe_b64decode(form["assertion"].split(".")[1] + "=="))
    assert (claims["sub"], claims["iss"]) == ("ana@acme.example", "annexa-reader@acme-admin.iam.gserviceaccount.com")
    assert sorted(claims["scope"].split()) == sorted(SCOPES)
    assert all(scope.endswith(".readonly") for scope in SCOPES)
    fact = next(i for i in items if isinstance(i, Fact))
    assert fact.source.principal == "annexa-reader@acme-admin.iam.gserviceaccount.com as ana@acme.example"
    assert {method for method, path, _ in workspace.requests if path != "/token"} == {"GET"}


def test_rules_judge_the_seeded_customer(workspace: FakeWorkspace) -> None:
    rules = load_rules(builtin_rule_files(), load_registry().kinds(), set(load_catalog().ids()))
    facts = [
        i for i in _collect({"endpoint": workspace.url, "access_token_env": "WORKSPACE_TOKEN"}) if isinstance(i, Fact)
    ]
    results = evaluate(facts, [], [r for r in rules if r.id.startswith("workspace.")], NOW)
    failing = sorted((r.rule, r.resource.rsplit("/", 1)[-1]) for r in results if r.status != "pass")
    assert failing == [
        ("workspace.2sv-enforced", "100000000000000000003"),
        ("workspace.2sv-enrolled", "100000000000000000003"),
        ("workspace.inactive-users", "100000000000000000004"),  # dana: last sign-in 30 August
    ]
    assert len([r for r in results if r.rule == "workspace.2sv-enrolled"]) == 4  # the suspended user is not judged


def test_a_redirect_is_never_followed_with_the_token(monkeypatch: pytest.MonkeyPatch) -> None:
    from scripted_http import scripted_http

    monkeypatch.setenv("WORKSPACE_TOKEN", TOKEN)
    with scripted_http() as home, scripted_http() as elsewhere:
        home.redirect("/admin/admin/directory/v1/users", f"{elsewhere.url}/admin/admin/directory/v1/users")
        items = _collect({"endpoint": home.url, "access_token_env": "WORKSPACE_TOKEN"})
        assert elsewhere.requests == []
    user_errors = [i for i in items if isinstance(i, CollectionError) and "workspace.user" in i.kinds]
    assert [(e.code, "redirect not followed" in e.message) for e in user_errors] == [("Redirect", True)]
