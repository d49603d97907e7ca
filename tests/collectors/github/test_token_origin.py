"""The GitHub token stays on its host: a redirect or a paging link to another origin (another
port on 127.0.0.1 is another origin) is refused as error evidence naming both hosts, and the
other host never sees the token; a redirect within the origin is followed and recorded."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from scripted_http import Scripted, scripted_http

from annexa import cli
from annexa.collectors.base import Context, Target
from annexa.collectors.github.client import GitHubClient, GitHubError
from annexa.collectors.github.org import GitHubOrgCollector
from annexa.model import CollectionError, Fact

TOKEN = "ghp_" + "t" * 36


@pytest.fixture
def hosts() -> Iterator[tuple[Scripted, Scripted]]:
    with scripted_http() as home, scripted_http() as elsewhere:
        yield home, elsewhere


def test_cross_origin_redirect_is_refused_and_names_both_hosts(hosts: tuple[Scripted, Scripted]) -> None:
    home, elsewhere = hosts
    home.redirect("/orgs/acme", f"{elsewhere.url}/orgs/acme")
    elsewhere.answer("/orgs/acme", {"login": "acme", "two_factor_requirement_enabled": True})
    with pytest.raises(GitHubError) as info:
        GitHubClient(home.url, TOKEN).get("/orgs/acme")
    err = info.value
    assert err.code == "cross_origin"
    assert home.url.removeprefix("http://") in str(err) and elsewhere.url.removeprefix("http://") in str(err)
    assert elsewhere.requests == []  # not followed: neither the token nor the request left home


def test_cross_origin_next_link_is_refused_before_the_token_is_sent(hosts: tuple[Scripted, Scripted]) -> None:
    home, elsewhere = hosts
    home.answer("/orgs/acme/members", [{"login": "a"}], Link=f'<{elsewhere.url}/orgs/acme/members?page=2>; rel="next"')
    elsewhere.answer("/orgs/acme/members", [{"login": "intruder"}])
    with pytest.raises(GitHubError) as info:
        GitHubClient(home.url, TOKEN).paginate("/orgs/acme/members")
    assert info.value.code == "cross_origin" and "Link" in str(info.value)
    assert elsewhere.url.removeprefix("http://") in str(info.value)
    assert elsewhere.requests == []


def test_redirect_within_the_origin_is_followed_and_recorded(hosts: tuple[Scripted, Scripted]) -> None:
    home, _ = hosts
    home.redirect("/repos/acme/old-name", f"{home.url}/repositories/42", status=301)
    home.answer("/repositories/42", {"name": "new-name"})
    client = GitHubClient(home.url, TOKEN)
    body, response = client.get("/repos/acme/old-name")
    assert body == {"name": "new-name"}
    assert response.url == f"{home.url}/repositories/42"
    assert client.redirects == [(f"{home.url}/repos/acme/old-name", f"{home.url}/repositories/42")]
    assert all(auth == f"Bearer {TOKEN}" for auth in home.authorizations)


def test_a_redirected_org_becomes_error_evidence_not_another_hosts_facts(
    hosts: tuple[Scripted, Scripted], monkeypatch: pytest.MonkeyPatch, context: Context
) -> None:
    home, elsewhere = hosts
    monkeypatch.setenv("ANNEXA_TEST_GH_TOKEN", TOKEN)
    home.answer("/user", {"login": "auditor"})
    home.redirect("/orgs/acme", f"{elsewhere.url}/orgs/acme", status=307)
    elsewhere.answer("/orgs/acme", {"login": "acme", "two_factor_requirement_enabled": True})
    target = Target("github", {"org": "acme", "base_url": home.url, "token_env": "ANNEXA_TEST_GH_TOKEN"})
    items = list(GitHubOrgCollector().collect(target, context))
    assert not [i for i in items if isinstance(i, Fact)]
    errors = [i for i in items if isinstance(i, CollectionError)]
    assert errors and errors[0].code == "cross_origin" and elsewhere.url.removeprefix("http://") in errors[0].message
    assert elsewhere.requests == []


@pytest.mark.parametrize(
    "base_url", ["http://github.example.com/api/v3", "file:///etc/passwd", "ftp://github.example.com", "https://"]
)
def test_token_needs_https_except_on_the_loopback(base_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    with pytest.raises(GitHubError) as info:
        GitHubClient.for_target({"org": "acme", "base_url": base_url})
    assert info.value.code == "bad_target" and "https://" in str(info.value)
    for loopback in ("http://127.0.0.1:9", "http://localhost:9", "http://[::1]:9"):
        assert GitHubClient.for_target({"org": "acme", "base_url": loopback}).base_url == loopback


@pytest.mark.parametrize("base_url", ["http://github.example.com/api/v3", "file:///etc/passwd"])
def test_check_rejects_a_base_url_the_token_must_not_go_to(
    base_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "annexa.yaml"
    config.write_text(f"targets:\n  - github: {{org: acme, base_url: '{base_url}'}}\n", encoding="utf-8")
    code = cli.main(["check", "--config", str(config)])
    err = capsys.readouterr().err
    assert code == 2 and "base_url" in err and "https://" in err and len(err.strip().splitlines()) == 1
