"""The GitHub collector against a loopback fake of the REST API (tests/fakes/github.py)."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

import pytest
from fakes.github import FakeGitHub, fake_github, seeded_org

from annexa.collectors.base import Target
from annexa.collectors.github.client import GitHubClient, GitHubError
from annexa.collectors.github.org import GitHubOrgCollector
from annexa.collectors.registry import load_registry
from annexa.mappings.catalog import load_catalog
from annexa.mappings.evaluate import evaluate
from annexa.mappings.rules import builtin_rule_files, load_rules
from annexa.model import CollectionError, Fact

NOW = datetime(2026, 11, 22, tzinfo=timezone.utc)


@pytest.fixture
def github(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeGitHub]:
    monkeypatch.setenv("ANNEXA_TEST_GH_TOKEN", "ghp_" + "a" * 36)
    with fake_github() as fake:
        seeded_org(fake)
        yield fake


def _collect(fake: FakeGitHub, context, **options: object) -> list[Fact | CollectionError]:  # type: ignore[no-untyped-def]
    target = Target("github", {"org": "acme", "base_url": fake.url, "token_env": "ANNEXA_TEST_GH_TOKEN", **options})
    return list(GitHubOrgCollector().collect(target, context))


def test_org_members_and_repos_with_paging_and_get_only(github: FakeGitHub, context) -> None:  # type: ignore[no-untyped-def]
    items = _collect(github, context)
    assert not [i for i in items if isinstance(i, CollectionError)]
    facts = {(f.kind, f.resource): f for f in items if isinstance(f, Fact)}
    org = facts[("github.org", "127.0.0.1/acme")].data
    assert org["members_count"] == 150 and org["owners_count"] == 2 and org["outside_collaborators_count"] == 1
    assert org["two_factor_requirement_enabled"] is True and org["members_without_2fa_count"] == 1
    assert len([k for k in facts if k[0] == "github.member"]) == 151
    assert facts[("github.member", "127.0.0.1/acme/outside_collaborators/contractor1")].data["two_factor_disabled"]
    api = facts[("github.repo", "127.0.0.1/acme/api")].data
    assert api["default_branch_rules"] == {
        "required_reviews": 2,
        "status_checks": ["ci/test"],
        "force_push_blocked": True,
        "deletion_blocked": True,
        "signatures_required": True,
        "sources": ["branch_protection"],
    }
    web = facts[("github.repo", "127.0.0.1/acme/web")].data
    assert web["branch_protection"] is None and web["default_branch_rules"]["sources"] == ["rulesets"]
    assert web["default_branch_rules"]["required_reviews"] == 1 and web["default_branch_rules"]["force_push_blocked"]
    legacy = facts[("github.repo", "127.0.0.1/acme/legacy")].data
    assert legacy["code_scanning"] == {"state": "unavailable"} and legacy["dependabot_alerts"]["enabled"] is False
    assert "branch_protection" not in facts[("github.repo", "127.0.0.1/acme/old")].data  # archived: not read further
    member_pages = [
        p
        for m, p, _ in github.requests
        if p.startswith("/orgs/acme/members?") and "role" not in p and "filter" not in p
    ]
    assert len(member_pages) == 2  # 150 members at 100 per page, following Link rel="next"
    assert {m for m, _, _ in github.requests} == {"GET"}
    assert all(auth == "Bearer ghp_" + "a" * 36 for _, _, auth in github.requests)
    assert facts[("github.org", "127.0.0.1/acme")].source.principal == "github-user:auditor-bot"


def test_rules_judge_the_seeded_org(github: FakeGitHub, context) -> None:  # type: ignore[no-untyped-def]
    facts = [i for i in _collect(github, context) if isinstance(i, Fact)]
    rules = load_rules(builtin_rule_files(), load_registry().kinds(), set(load_catalog().ids()))
    results = {(r.rule, r.resource.rsplit("/", 1)[-1]): r.status for r in evaluate(facts, [], rules, NOW)}
    assert results[("github.org-2fa-required", "acme")] == "pass"
    assert results[("github.member-2fa", "contractor1")] == "fail"
    assert results[("github.repo-reviews-required", "api")] == "pass"
    assert results[("github.repo-reviews-required", "web")] == "pass"  # through a ruleset
    assert results[("github.repo-reviews-required", "legacy")] == "fail"
    assert results[("github.repo-force-push-blocked", "legacy")] == "fail"
    assert results[("github.repo-vulnerable-dependencies-fixed", "api")] == "pass"  # high, 7 days old
    assert results[("github.repo-vulnerable-dependencies-fixed", "web")] == "fail"  # critical since 2025
    assert results[("github.repo-production-environment-protected", "web")] == "fail"
    assert results[("github.repo-secret-scanning", "legacy")] == "fail"
    assert ("github.repo-reviews-required", "old") not in results


def test_client_waits_out_primary_and_secondary_rate_limits(github: FakeGitHub) -> None:
    waits: list[float] = []
    client = GitHubClient(github.url, "t", max_wait=30, sleep=waits.append)
    github.rate_limit_once("/orgs/acme")
    assert client.get("/orgs/acme")[0]["login"] == "acme"
    github.rate_limit_once("/orgs/acme", secondary=True)
    assert client.get("/orgs/acme")[0]["login"] == "acme"
    assert len(waits) == 2 and 0 < waits[0] <= 3 and waits[1] == 1.0


def test_a_rate_limit_longer_than_max_wait_is_error_evidence(github: FakeGitHub, context) -> None:  # type: ignore[no-untyped-def]
    github.rate_limit_once("/orgs/acme/repos", secondary=True)
    items = _collect(github, context, max_wait_seconds=0)
    (error,) = [i for i in items if isinstance(i, CollectionError)]
    assert error.kinds == ("github.repo",) and error.code == "rate_limited"
    assert not [i for i in items if isinstance(i, Fact) and i.kind == "github.repo"]


def test_missing_token_and_forbidden_calls_are_errors_never_silence(github: FakeGitHub, context, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.delenv("ANNEXA_TEST_GH_TOKEN")
    (error,) = _collect(github, context)
    assert (
        isinstance(error, CollectionError)
        and error.code == "no_credentials"
        and set(error.kinds) == {"github.org", "github.member", "github.repo"}
    )
    monkeypatch.setenv("ANNEXA_TEST_GH_TOKEN", "t")
    github.routes["/repos/acme/api/branches/main/protection"] = (
        403,
        {"message": "Resource not accessible by integration"},
    )
    errors = [i for i in _collect(github, context) if isinstance(i, CollectionError)]
    assert [(e.resource, e.code) for e in errors] == [("127.0.0.1/acme/api", "forbidden")]


def test_github_app_installation_token(github: FakeGitHub, context, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import padding, rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = tmp_path / "app.pem"
    pem.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    github.routes["/app/installations/42/access_tokens"] = (201, {"token": "ghs_installation", "expires_at": "x"})
    items = _collect(github, context, app_id=7, installation_id=42, private_key=str(pem))
    assert not [i for i in items if isinstance(i, CollectionError)]
    (post,) = [r for r in github.requests if r[0] == "POST"]
    header, payload, signature = post[2].removeprefix("Bearer ").split(".")
    pad = lambda s: base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))  # noqa: E731
    key.public_key().verify(pad(signature), f"{header}.{payload}".encode(), padding.PKCS1v15(), hashes.SHA256())
    assert json.loads(pad(payload))["iss"] == "7"
    assert {auth for m, _, auth in github.requests if m == "GET"} == {"Bearer ghs_installation"}


def test_client_rejects_unreachable_hosts_as_errors() -> None:
    with pytest.raises(GitHubError) as info:
        GitHubClient("http://127.0.0.1:9", "t").get("/orgs/acme")
    assert info.value.code == "unreachable"
