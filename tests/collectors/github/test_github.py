"""The GitHub collector against a loopback fake of the REST API (tests/fakes/github.py)."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

import pytest
from fakes.github import FakeGitHub, Keyed, Moved, error, example, fake_github, seeded_org

from annexa.collectors.base import Target
from annexa.collectors.github.client import GitHubClient, GitHubError
from annexa.collectors.github.org import GitHubOrgCollector
from annexa.collectors.registry import load_registry
from annexa.mappings.catalog import load_catalog
from annexa.mappings.evaluate import evaluate
from annexa.mappings.rules import builtin_rule_files, load_rules
from annexa.model import CollectionError, Fact, Source

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
    # GitHub's published branch-protection example: 2 reviews, one status check, force pushes and
    # deletions allowed, no required_signatures object.
    assert api["default_branch_rules"] == {
        "required_reviews": 2,
        "status_checks": ["continuous-integration/travis-ci"],
        "force_push_blocked": False,
        "deletion_blocked": False,
        "signatures_required": False,
        "sources": ["branch_protection"],
    }
    assert api["code_scanning"] == {
        "default_setup": "configured",
        "latest_analysis_at": None,
        "latest_analysis_tool": None,
        "state": "configured",
    }
    web = facts[("github.repo", "127.0.0.1/acme/web")].data
    assert web["branch_protection"] is None and web["default_branch_rules"]["sources"] == ["rulesets"]
    assert web["default_branch_rules"]["required_reviews"] == 1 and web["default_branch_rules"]["force_push_blocked"]
    assert web["code_scanning"]["state"] == "advanced" and web["code_scanning"]["latest_analysis_tool"] == "CodeQL"
    assert len(web["environments"]) == 40 and [e["name"] for e in web["environments"] if e["production"]] == [
        "production"
    ]
    legacy = facts[("github.repo", "127.0.0.1/acme/legacy")].data
    assert legacy["code_scanning"]["state"] == "not-configured" and legacy["dependabot_alerts"]["enabled"] is False
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
    assert results[("github.repo-force-push-blocked", "api")] == "fail"  # the published example allows them
    assert results[("github.repo-code-scanning", "api")] == "pass"  # default setup
    assert results[("github.repo-code-scanning", "web")] == "pass"  # a workflow's analysis 4 days ago
    assert results[("github.repo-code-scanning", "legacy")] == "fail"
    assert results[("github.repo-production-environment-protected", "api")] == "pass"  # staging is not judged
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


def test_a_404_without_branch_not_protected_is_an_error_not_an_unprotected_branch(github: FakeGitHub, context) -> None:  # type: ignore[no-untyped-def]
    """GitHub answers a caller who is not a repository admin with a plain 404 "Not Found"."""
    github.routes["/repos/acme/api/branches/main/protection"] = error(404, "Not Found")
    items = _collect(github, context)
    errors = [i for i in items if isinstance(i, CollectionError)]
    assert [(e.resource, e.code, str(e.message)) for e in errors] == [("127.0.0.1/acme/api", "not_found", "Not Found")]
    assert "127.0.0.1/acme/api" not in {i.resource for i in items if isinstance(i, Fact)}
    rules = load_rules(builtin_rule_files(), load_registry().kinds(), set(load_catalog().ids()))
    facts = [i for i in items if isinstance(i, Fact)]
    results = {(r.rule, r.resource): r.status for r in evaluate(facts, errors, rules, NOW)}
    assert results[("github.repo-reviews-required", "127.0.0.1/acme/api")] == "error"
    assert results[("github.repo-reviews-required", "127.0.0.1/acme/web")] == "pass"  # "Branch not protected", ruleset


def test_a_422_on_the_2fa_filter_leaves_only_the_2fa_state_unknown(github: FakeGitHub, context) -> None:  # type: ignore[no-untyped-def]
    """A token that is not an org owner gets 422 on filter=2fa_disabled; the org and every member stay."""
    github.routes["/orgs/acme/members?filter=2fa_disabled"] = error(
        422, "Validation Failed", errors=[{"resource": "Organization", "field": "filter", "code": "invalid"}]
    )
    items = _collect(github, context)
    assert not [i for i in items if isinstance(i, CollectionError)]
    facts = {(f.kind, f.resource): f.data for f in items if isinstance(f, Fact)}
    org = facts[("github.org", "127.0.0.1/acme")]
    assert "members_without_2fa_count" not in org and "422" in org["two_factor_unknown"]
    members = [data for (kind, _), data in facts.items() if kind == "github.member"]
    assert len(members) == 151 and all("two_factor_disabled" not in m and m["two_factor_unknown"] for m in members)
    rules = load_rules(builtin_rule_files(), load_registry().kinds(), set(load_catalog().ids()))
    results = evaluate([f for f in items if isinstance(f, Fact)], [], rules, NOW)
    two_factor = {r.status for r in results if r.rule == "github.member-2fa"}
    # The property is left out: the evaluator reports it absent, so each member's 2FA is `error`, never a pass.
    assert two_factor == {"error"}
    assert {r.status for r in results if r.rule == "github.org-2fa-required"} == {"pass"}


def test_every_list_is_read_to_its_last_page(github: FakeGitHub, context) -> None:  # type: ignore[no-untyped-def]
    """More items than one page (100) in each list the collector reads: repositories, members,
    outside collaborators, environments, branch rules and Dependabot alerts."""
    github.routes["/orgs/acme/outside_collaborators"] = [
        example("simple-user-items")[0] | {"login": f"c{n}"} for n in range(130)
    ]
    github.routes["/orgs/acme/outside_collaborators?filter=2fa_disabled"] = []
    github.routes["/orgs/acme/repos"] = [*github.routes["/orgs/acme/repos"], *(_archived(n) for n in range(110))]
    rules = [{"type": "creation", "ruleset_id": 1} for _ in range(105)]
    rules.append({"type": "pull_request", "ruleset_id": 2, "parameters": {"required_approving_review_count": 2}})
    github.routes["/repos/acme/legacy/rules/branches/main"] = rules
    environments = [example("environments")["environments"][0] | {"name": f"preview-{n}"} for n in range(120)]
    environments.append(example("environments")["environments"][0] | {"name": "Production", "protection_rules": []})
    github.routes["/repos/acme/api/environments"] = Keyed("environments", environments)
    alerts = github.routes["/repos/acme/web/dependabot/alerts"] * 101
    github.routes["/repos/acme/web/dependabot/alerts"] = alerts
    items = _collect(github, context)
    facts = {(f.kind, f.resource.rsplit("/", 1)[-1]): f.data for f in items if isinstance(f, Fact)}
    assert facts[("github.org", "acme")]["outside_collaborators_count"] == 130
    assert len([k for k in facts if k[0] == "github.repo"]) == 4 + 110
    assert facts[("github.repo", "legacy")]["default_branch_rules"]["required_reviews"] == 2  # rule on page 2
    api_environments = facts[("github.repo", "api")]["environments"]
    assert len(api_environments) == 121 and api_environments[-1] == {
        "name": "Production",
        "production": True,
        "protection_rules": [],
    }
    assert len(facts[("github.repo", "web")]["dependabot_alerts"]["open"]) == 101
    pages = [p for _, p, _ in github.requests]
    for path in (
        "/orgs/acme/outside_collaborators?",
        "/orgs/acme/repos?",
        "/repos/acme/legacy/rules/branches/main?",
        "/repos/acme/api/environments?",
        "/repos/acme/web/dependabot/alerts?",
    ):
        assert len([p for p in pages if p.startswith(path) and "filter=" not in p]) == 2, path
    rules_for_run = load_rules(builtin_rule_files(), load_registry().kinds(), set(load_catalog().ids()))
    results = {
        (r.rule, r.resource.rsplit("/", 1)[-1]): r.status
        for r in evaluate([i for i in items if isinstance(i, Fact)], [], rules_for_run, NOW)
    }
    assert results[("github.repo-production-environment-protected", "api")] == "fail"  # production on page 2
    assert results[("github.repo-reviews-required", "legacy")] == "pass"


def test_production_environments_are_configurable(github: FakeGitHub, context) -> None:  # type: ignore[no-untyped-def]
    items = _collect(github, context, production_environments=["staging", "live-*"])
    facts = {f.resource.rsplit("/", 1)[-1]: f.data for f in items if isinstance(f, Fact) and f.kind == "github.repo"}
    assert [e["name"] for e in facts["api"]["environments"] if e["production"]] == ["staging"]
    assert [e["name"] for e in facts["web"]["environments"] if e["production"]] == []
    with pytest.raises(ValueError, match="production_environments"):
        GitHubOrgCollector.check_options({"production_environments": []})


def _archived(n: int) -> dict:
    repo = example("minimal-repository-items")[0]
    repo.update(name=f"old{n}", full_name=f"acme/old{n}", archived=True, default_branch="main")
    return repo


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


def test_a_redirected_read_names_where_the_evidence_really_came_from(github: FakeGitHub, context) -> None:  # type: ignore[no-untyped-def]
    """GitHub answers a renamed repository's URLs with 301 to /repositories/{id}/...: the fact is read
    from there, and its source records both URLs, so the evidence names what really answered."""
    github.routes["/repositories/42/environments"] = github.routes["/repos/acme/api/environments"]
    github.routes["/repos/acme/api/environments"] = Moved("/repositories/42/environments")
    items = _collect(github, context)
    assert not [i for i in items if isinstance(i, CollectionError)]
    sources = {f.resource.rsplit("/", 1)[-1]: f.source.to_dict() for f in items if f.kind == "github.repo"}
    assert sources["api"]["redirects"] == [
        [f"{github.url}/repos/acme/api/environments", f"{github.url}/repositories/42/environments"]
    ]
    assert "redirects" not in sources["web"]
    assert Source.from_dict(sources["api"]).redirects == (
        (f"{github.url}/repos/acme/api/environments", f"{github.url}/repositories/42/environments"),
    )
