"""GitHub change, incident and vulnerability records (github.records) against the loopback fake."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timezone
from typing import Any

import pytest
from fakes.github import FakeGitHub, error, fake_github, seeded_org

from annexa.collectors.base import Target
from annexa.collectors.github.changes import GitHubRecordsCollector
from annexa.collectors.registry import load_registry
from annexa.demo.material import AUTHORED_ON
from annexa.mappings.catalog import load_catalog
from annexa.mappings.evaluate import evaluate
from annexa.mappings.rules import builtin_rule_files, load_rules
from annexa.model import CollectionError, Fact

RECORDS = {
    "days": 90,
    "repos": ["api", "web"],
    "incidents": {"labels": ["incident"], "sla_days": {"high": 3}},
    "vulnerabilities": {"labels": ["vulnerability"], "sla_days": {"critical": 7, "medium": 90}},
}


@pytest.fixture
def github(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeGitHub]:
    monkeypatch.setenv("ANNEXA_TEST_GH_TOKEN", "ghp_" + "a" * 36)
    with fake_github() as fake:
        # dated as of today, as the demo does: the window is counted back from now
        seeded_org(fake, members=3, shift_days=(datetime.now(timezone.utc).date() - AUTHORED_ON).days)
        yield fake


def _collect(fake: FakeGitHub, context: Any, records: dict[str, Any] | None = RECORDS) -> list[Fact | CollectionError]:
    options: dict[str, Any] = {"org": "acme", "base_url": fake.url, "token_env": "ANNEXA_TEST_GH_TOKEN"}
    if records is not None:
        options["records"] = records
        GitHubRecordsCollector.check_options(options)
    return list(GitHubRecordsCollector().collect(Target("github", options), context))


def test_merged_pull_requests_with_reviews_and_labelled_issues(github: FakeGitHub, context: Any) -> None:
    items = _collect(github, context)
    assert [i for i in items if isinstance(i, CollectionError)] == []
    facts = {f.resource.split("/acme/", 1)[1]: f for f in items if isinstance(f, Fact)}
    assert sorted(facts) == ["api/issues/31", "api/issues/32", "api/issues/33", "api/pull/12", "api/pull/13"]
    reviewed = facts["api/pull/12"]
    assert reviewed.kind == "github.change"
    assert reviewed.data["author"] == "dev001"
    assert [a["by"] for a in reviewed.data["approvals"]] == ["dev002"]  # the latest verdict, approving
    assert reviewed.data["independent_approved_at"] == reviewed.data["approvals"][0]["at"]
    assert facts["api/pull/13"].data["approvals"] == [] and facts["api/pull/13"].data["independent_approved_at"] is None
    assert facts["api/issues/31"].kind == "github.incident" and facts["api/issues/31"].data["severity"] == "high"
    assert facts["api/issues/32"].data["sla_days"] == 7 and facts["api/issues/32"].data["resolution_days"] == 3.0
    assert facts["api/issues/33"].data["resolved_at"] is None
    assert {method for method, _, _ in github.requests} == {"GET"}
    # no field about the change's content is kept
    assert "title" not in reviewed.data and "body" not in reviewed.data


def test_rules_fail_the_merge_without_review(github: FakeGitHub, context: Any) -> None:
    items = _collect(github, context)
    rules = load_rules(builtin_rule_files(), load_registry().kinds(), set(load_catalog().ids()))
    now = datetime.now(timezone.utc)
    results = {
        (r.rule, r.resource.rsplit("/", 1)[-1]): r.status
        for r in evaluate([f for f in items if isinstance(f, Fact)], [], rules, now)
        if r.kind.startswith("github.") and r.kind not in ("github.org", "github.member", "github.repo")
    }
    assert results == {
        ("github.pull-request-independently-approved", "12"): "pass",
        ("github.pull-request-independently-approved", "13"): "fail",
        ("github.incident-severity-assessed", "31"): "pass",
        ("github.incident-resolved-within-target", "31"): "pass",
        ("github.vulnerability-issue-within-sla", "32"): "pass",
        ("github.vulnerability-issue-within-sla", "33"): "pass",
    }


def test_an_approval_by_the_author_or_after_the_merge_does_not_count(github: FakeGitHub, context: Any) -> None:
    merged = github.routes["/repos/acme/api/pulls"][1]["merged_at"]
    github.routes["/repos/acme/api/pulls/13/reviews"] = [
        {**github.routes["/repos/acme/api/pulls/12/reviews"][1], "user": {"login": "dev003"}},
        {**github.routes["/repos/acme/api/pulls/12/reviews"][1], "submitted_at": merged.replace("T17", "T18")},
    ]
    items = _collect(github, context)
    pull = next(f for f in items if isinstance(f, Fact) and f.resource.endswith("/pull/13"))
    assert [a["by"] for a in pull.data["approvals"]] == ["dev003"]
    assert pull.data["independent_approved_at"] is None


def test_a_failed_listing_is_an_error_for_that_repository_and_kind(github: FakeGitHub, context: Any) -> None:
    github.routes["/repos/acme/api/pulls"] = error(403, "Resource not accessible by integration")
    items = _collect(github, context)
    errors = [i for i in items if isinstance(i, CollectionError)]
    assert [(e.kinds, e.scope["repo"], e.code) for e in errors] == [(("github.change",), "api", "forbidden")]
    assert len([f for f in items if isinstance(f, Fact) and f.kind == "github.vulnerability"]) == 2


def test_a_named_repository_that_is_not_there_is_an_error(github: FakeGitHub, context: Any) -> None:
    items = _collect(github, context, {**RECORDS, "repos": ["api", "gone"]})
    errors = [i for i in items if isinstance(i, CollectionError)]
    assert [(e.scope["repo"], e.code) for e in errors] == [("gone", "not_found")]


def test_nothing_is_read_without_records(github: FakeGitHub, context: Any) -> None:
    assert _collect(github, context, None) == []
    assert github.requests == []


@pytest.mark.parametrize(
    ("records", "message"),
    [
        ({"vulnerabilities": {"labels": ["v"]}}, "sla_days"),
        ({"incidents": {"labels": [], "sla_days": {"high": 1}}}, "labels must be"),
        ({"days": 0}, "between 1 and 3660"),
        ({"label": "x"}, "unknown key 'label'"),
    ],
)
def test_bad_records_options_are_refused(records: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        GitHubRecordsCollector.check_options({"org": "acme", "records": records})
