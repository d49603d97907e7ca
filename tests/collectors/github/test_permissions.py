"""The GitHub collector only reads, declares the permissions it needs, and names every request it
makes in the evidence it yields: checked against every request the loopback fake recorded."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from fakes.github import FakeGitHub, fake_github, seeded_org

from annexa.collectors.base import Target
from annexa.collectors.github.org import GitHubOrgCollector
from annexa.model import CollectionError, Fact

IDENTITY = "/user"  # who the token is: the principal every fact names, not evidence of its own


@pytest.fixture
def github(monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("ANNEXA_TEST_GH_TOKEN", "ghp_" + "a" * 36)
    with fake_github() as fake:
        seeded_org(fake)
        yield fake


def _collect(fake: FakeGitHub, context) -> list[Fact | CollectionError]:  # type: ignore[no-untyped-def]
    target = Target("github", {"org": "acme", "base_url": fake.url, "token_env": "ANNEXA_TEST_GH_TOKEN"})
    return list(GitHubOrgCollector().collect(target, context))


def test_only_get_requests(github: FakeGitHub, context) -> None:  # type: ignore[no-untyped-def]
    _collect(github, context)
    assert {method for method, _, _ in github.requests} == {"GET"}


def test_every_request_is_named_in_the_evidence(github: FakeGitHub, context) -> None:  # type: ignore[no-untyped-def]
    items = _collect(github, context)
    requested = {urlsplit(path).path for _, path, _ in github.requests} - {IDENTITY}
    named = {op.removeprefix("GET ") for f in items if isinstance(f, Fact) for op in f.source.operations}
    named |= {e.operation.removeprefix("GET ") for e in items if isinstance(e, CollectionError) and e.operation}
    assert named == requested


def test_permissions_name_the_read_scopes_for_tokens_and_apps() -> None:
    token, app = GitHubOrgCollector.permissions
    assert token.startswith("classic token:") and {"read:org", "repo (read)", "security_events (read)"} <= {
        part.strip() for part in token.removeprefix("classic token:").split(",")
    }
    assert app.startswith("GitHub App:") and "(write)" not in app
