"""The Jira records collector against the loopback fake (Atlassian's published examples)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timezone
from typing import Any

import pytest
from fakes.jira import (
    ACCESS_REVIEWS,
    CHANGES,
    EMAIL,
    INCIDENTS,
    TOKEN,
    VULNERABILITIES,
    FakeJira,
    Ticket,
    fake_jira,
    issue,
    seeded_site,
)

from annexa.collectors.base import Target
from annexa.collectors.jira.collector import JiraRecordsCollector
from annexa.collectors.registry import load_registry
from annexa.mappings.catalog import load_catalog
from annexa.mappings.evaluate import evaluate
from annexa.mappings.rules import builtin_rule_files, load_rules
from annexa.model import CollectionError, Fact

NOW = datetime(2026, 12, 1, 12, tzinfo=timezone.utc)
QUERIES: dict[str, Any] = {
    "changes": {
        "type": "change",
        "jql": CHANGES,
        "approval": {"status": "Approved"},
        "deployed": {"status": "Deployed"},
    },
    "incidents": {
        "type": "incident",
        "jql": INCIDENTS,
        "review": {"link_type": "Post-incident review"},
        "sla_days": {"Highest": 1, "High": 3},
    },
    "access-reviews": {"type": "access_review", "jql": ACCESS_REVIEWS, "every": "90d"},
    "vulnerabilities": {
        "type": "vulnerability",
        "jql": VULNERABILITIES,
        "sla_days": {"Highest": 7, "High": 30, "Medium": 90},
    },
}


@pytest.fixture
def jira(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeJira]:
    monkeypatch.setenv("ANNEXA_TEST_JIRA_TOKEN", TOKEN)
    with fake_jira() as fake:
        seeded_site(fake)
        yield fake


def _collect(fake: FakeJira, context: Any, **options: Any) -> list[Fact | CollectionError]:
    settings = {"base_url": fake.url, "email": EMAIL, "token_env": "ANNEXA_TEST_JIRA_TOKEN", "queries": QUERIES}
    target = Target("jira", {**settings, **options})
    JiraRecordsCollector.check_options(target.options)
    return list(JiraRecordsCollector().collect(target, context))


def _facts(items: list[Fact | CollectionError]) -> dict[str, dict[str, Any]]:
    return {f.resource.rsplit("/", 1)[-1]: f.data for f in items if isinstance(f, Fact)}


def test_cloud_records_with_changelog_paging_and_get_only(jira: FakeJira, context: Any) -> None:
    items = _collect(jira, context)
    assert [i for i in items if isinstance(i, CollectionError)] == []
    facts = _facts(items)
    # CHG-102 has 46 histories: the search embeds 40, the rest come from the changelog endpoint
    assert facts["CHG-102"]["approvals"] == [{"by": "lead-bea", "at": "2026-11-19T08:00:00Z"}]
    assert facts["CHG-102"]["deployed_at"] == "2026-11-20T11:00:00Z"
    assert facts["CHG-102"]["independent_approved_at"] == "2026-11-19T08:00:00Z"
    assert facts["CHG-103"]["author"] == "lead-bea"
    assert facts["INC-7"]["post_incident_review"] == "INC-8"
    assert facts["INC-9"]["post_incident_review"] is None
    assert facts["SEC-58"] == {
        "key": "SEC-58",
        "type": "vulnerability",
        "query": "vulnerabilities",
        "issue_type": "Bug",
        "status": "In Progress",
        "created_at": "2026-10-20T10:00:00Z",
        "resolved_at": None,
        "severity": "High",
        "sla_days": 30,
    }
    assert facts["SEC-52"]["due_date"] == "2026-09-30T23:59:59Z"
    assert facts["access-reviews"] == {
        "name": "access-reviews",
        "type": "access_review",
        "jql": ACCESS_REVIEWS,
        "count": 3,
        "latest_resolved_at": "2026-09-26T11:00:00Z",
        "interval_days": 90,
    }
    assert {method for method, _, _ in jira.requests} == {"GET"}
    paths = [path.split("?")[0] for _, path, _ in jira.requests]
    assert paths.count("/rest/api/3/issue/CHG-102/changelog") == 1
    assert "/rest/api/3/issue/CHG-101/changelog" not in paths  # its whole history was embedded
    # no description, comment or attachment is asked for
    searched = [path for _, path, _ in jira.requests if "/search/jql" in path]
    assert all("comment" not in path and "description" not in path for path in searched)


def test_rules_judge_the_seeded_site(jira: FakeJira, context: Any) -> None:
    items = _collect(jira, context)
    kinds = load_registry().kinds()
    rules = load_rules(builtin_rule_files(), kinds, set(load_catalog().ids()))
    results = {
        (r.rule, r.resource.rsplit("/", 1)[-1]): r.status
        for r in evaluate([f for f in items if isinstance(f, Fact)], [], rules, NOW)
        if r.rule.startswith("jira.")
    }
    assert results == {
        ("jira.change-approved-independently", "CHG-101"): "pass",
        ("jira.change-approved-independently", "CHG-102"): "pass",
        ("jira.change-approved-independently", "CHG-103"): "pass",
        ("jira.incident-severity-assessed", "INC-7"): "pass",
        ("jira.incident-severity-assessed", "INC-9"): "pass",
        ("jira.incident-resolved-within-target", "INC-7"): "pass",
        ("jira.incident-resolved-within-target", "INC-9"): "pass",
        ("jira.incident-post-review", "INC-7"): "pass",
        ("jira.incident-post-review", "INC-9"): "fail",
        ("jira.access-review-by-due-date", "SEC-40"): "pass",
        ("jira.access-review-by-due-date", "SEC-52"): "pass",
        ("jira.access-reviews-on-schedule", "access-reviews"): "pass",
        ("jira.vulnerability-within-sla", "SEC-55"): "pass",
        ("jira.vulnerability-within-sla", "SEC-58"): "fail",
        ("jira.vulnerability-within-sla", "SEC-60"): "pass",
    }


def test_self_approval_and_approval_after_deployment_fail(jira: FakeJira, context: Any) -> None:
    jira.queries["self"] = [
        issue(
            Ticket(
                "CHG-1",
                "Change",
                "Done",
                "2026-11-01T09:00:00.000+0000",
                "2026-11-02T09:00:00.000+0000",
                assignee="dev-amir",
                history=[("2026-11-01T10:00:00.000+0000", "dev-amir", "Awaiting approval", "Approved")],
            )
        ),
        issue(
            Ticket(
                "CHG-2",
                "Change",
                "Done",
                "2026-11-01T09:00:00.000+0000",
                "2026-11-02T09:00:00.000+0000",
                assignee="dev-amir",
                history=[("2026-11-03T10:00:00.000+0000", "lead-bea", "Done", "Approved")],
            )
        ),
    ]
    queries = {"changes": {"type": "change", "jql": "self", "approval": {"status": "approved"}}}
    items = _collect(jira, context, queries=queries)
    rules = load_rules(builtin_rule_files(), load_registry().kinds(), set(load_catalog().ids()))
    results = {
        r.resource.rsplit("/", 1)[-1]: r.status
        for r in evaluate([f for f in items if isinstance(f, Fact)], [], rules, NOW)
        if r.rule == "jira.change-approved-independently"
    }
    assert results == {"CHG-1": "fail", "CHG-2": "fail"}


def test_cloud_search_pages_with_next_page_token(jira: FakeJira, context: Any) -> None:
    jira.queries["many"] = [
        issue(Ticket(f"SEC-{n}", "Bug", "Done", "2026-11-01T09:00:00.000+0000", priority="Low")) for n in range(1, 251)
    ]
    queries = {"v": {"type": "vulnerability", "jql": "many", "sla_days": {"Low": 180}}}
    items = _collect(jira, context, queries=queries)
    assert (
        len([f for f in items if isinstance(f, Fact) and f.kind.startswith("jira.") and f.kind != "jira.query"]) == 250
    )
    tokens = [path for _, path, _ in jira.requests if "/search/jql" in path]
    assert len(tokens) == 3 and "nextPageToken" not in tokens[0] and "nextPageToken" in tokens[2]
    summary = next(f for f in items if isinstance(f, Fact) and f.kind == "jira.query")
    assert summary.source.pages == 3 and summary.data["count"] == 250


def test_data_center_bearer_and_start_at_paging_when_the_server_caps_the_page(jira: FakeJira, context: Any) -> None:
    jira.max_page = 40  # the server returns fewer than the 100 asked for
    jira.queries["dc"] = [
        issue(Ticket(f"SEC-{n}", "Bug", "Open", "2026-11-01T09:00:00.000+0000", priority="Low")) for n in range(1, 96)
    ]
    queries = {"v": {"type": "vulnerability", "jql": "dc", "sla_days": {"Low": 180}}}
    items = _collect(jira, context, deployment="data_center", queries=queries)
    assert (
        len([f for f in items if isinstance(f, Fact) and f.kind.startswith("jira.") and f.kind != "jira.query"]) == 95
    )
    searches = [path for _, path, _ in jira.requests if path.startswith("/rest/api/2/search")]
    assert [p.split("startAt=")[1].split("&")[0] for p in searches] == ["0", "40", "80"]
    assert {auth for _, _, auth in jira.requests} == {f"Bearer {TOKEN}"}


def test_rate_limit_is_waited_out(jira: FakeJira, context: Any) -> None:
    jira.rate_limit_once("/rest/api/3/search/jql")
    items = _collect(jira, context)
    assert [i for i in items if isinstance(i, CollectionError)] == []
    assert (
        len([f for f in items if isinstance(f, Fact) and f.kind.startswith("jira.") and f.kind != "jira.query"]) == 11
    )


def test_rejected_credentials_are_an_error_for_every_kind(
    jira: FakeJira, context: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ANNEXA_TEST_JIRA_TOKEN", "wrong")
    items = _collect(jira, context)
    assert len(items) == 1 and isinstance(items[0], CollectionError)
    assert items[0].code == "unauthorized"
    assert items[0].kinds == ("jira.change", "jira.incident", "jira.access_review", "jira.vulnerability", "jira.query")
    assert "credentials were rejected" in items[0].message


def test_a_failed_query_is_an_error_for_its_records_only(jira: FakeJira, context: Any) -> None:
    queries = {**QUERIES, "incidents": {**QUERIES["incidents"], "jql": "project = NOPE"}}
    items = _collect(jira, context, queries=queries)
    errors = [i for i in items if isinstance(i, CollectionError)]
    assert [(e.code, e.scope["query"]) for e in errors] == [("bad_query", "incidents")]
    rules = load_rules(builtin_rule_files(), load_registry().kinds(), set(load_catalog().ids()))
    results = evaluate([f for f in items if isinstance(f, Fact)], errors, rules, NOW)
    incident = {r.status for r in results if r.rule.startswith("jira.incident")}
    assert incident == {"error"}
    others = {r.status for r in results if r.rule.startswith("jira.") and not r.rule.startswith("jira.incident")}
    assert others == {"pass", "fail"}  # the other queries' records are judged as before


@pytest.mark.parametrize(
    ("queries", "message"),
    [
        ({"c": {"type": "change", "jql": "x"}}, "approval must be"),
        ({"v": {"type": "vulnerability", "jql": "x"}}, "sla_days is required"),
        ({"a": {"type": "access_review", "jql": "x"}}, "every is required"),
        ({"a": {"type": "ticket", "jql": "x"}}, "type must be one of"),
        ({"v": {"type": "vulnerability", "jql": "x", "sla_days": {"High": 0}}}, "positive number of days"),
        ({"v": {"type": "incident", "jql": "x", "sla": {}}}, "unknown key 'sla'"),
    ],
)
def test_bad_queries_are_refused_at_load(queries: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        JiraRecordsCollector.check_options(
            {"base_url": "https://acme.atlassian.net", "email": EMAIL, "queries": queries}
        )


def test_plain_http_to_another_host_is_refused() -> None:
    with pytest.raises(ValueError, match="https"):
        JiraRecordsCollector.check_options({"base_url": "http://jira.acme.example", "email": EMAIL, "queries": QUERIES})


def test_a_redirect_is_not_followed_and_the_token_stays_home(monkeypatch: pytest.MonkeyPatch, context: Any) -> None:
    from scripted_http import scripted_http

    monkeypatch.setenv("ANNEXA_TEST_JIRA_TOKEN", TOKEN)
    with scripted_http() as home, scripted_http() as elsewhere:
        home.redirect("/rest/api/3/myself", f"{elsewhere.url}/rest/api/3/myself")
        target = Target(
            "jira", {"base_url": home.url, "email": EMAIL, "token_env": "ANNEXA_TEST_JIRA_TOKEN", "queries": QUERIES}
        )
        items = list(JiraRecordsCollector().collect(target, context))
    assert len(items) == 1 and isinstance(items[0], CollectionError) and items[0].code == "redirected"
    assert elsewhere.requests == []


def test_forbidden_is_read_as_a_missing_permission(monkeypatch: pytest.MonkeyPatch, context: Any) -> None:
    from scripted_http import scripted_http

    monkeypatch.setenv("ANNEXA_TEST_JIRA_TOKEN", TOKEN)
    with scripted_http() as site:
        site.answer("/rest/api/3/myself", {"accountId": "5b10a2844c20165700ede21g"})
        site.answer("/rest/api/3/search/jql", {"errorMessages": ["You do not have permission."], "errors": {}}, 403)
        queries = {"v": QUERIES["vulnerabilities"]}
        target = Target(
            "jira", {"base_url": site.url, "email": EMAIL, "token_env": "ANNEXA_TEST_JIRA_TOKEN", "queries": queries}
        )
        items = list(JiraRecordsCollector().collect(target, context))
    assert [(i.code, i.kinds) for i in items if isinstance(i, CollectionError)] == [
        ("forbidden", ("jira.vulnerability",))
    ]
    assert (
        "lacks permission (Browse projects)" in items[0].message and "You do not have permission." in items[0].message
    )


@pytest.mark.parametrize(
    ("deployment", "path", "body"),
    [
        ("cloud", "/rest/api/3/search/jql", {"isLast": False, "issues": []}),
        ("data_center", "/rest/api/2/search", {"startAt": 0, "maxResults": 100, "total": 5, "issues": []}),
    ],
)
def test_a_listing_that_cannot_be_followed_to_its_end_is_an_error(
    deployment: str, path: str, body: dict[str, Any], monkeypatch: pytest.MonkeyPatch, context: Any
) -> None:
    from scripted_http import scripted_http

    monkeypatch.setenv("ANNEXA_TEST_JIRA_TOKEN", TOKEN)
    with scripted_http() as site:
        site.answer(path.rsplit("/", 1)[0].replace("/search", "") + "/myself", {"name": "auditor"})
        site.answer(path, body)
        options = {"base_url": site.url, "email": EMAIL, "token_env": "ANNEXA_TEST_JIRA_TOKEN"}
        options.update(deployment=deployment, queries={"v": QUERIES["vulnerabilities"]})
        items = list(JiraRecordsCollector().collect(Target("jira", options), context))
    assert [(i.code, i.kinds) for i in items if isinstance(i, CollectionError)] == [
        ("truncated", ("jira.vulnerability",))
    ]
    assert [i for i in items if isinstance(i, Fact)] == []


def test_approval_from_an_approver_field_and_its_date(jira: FakeJira, context: Any) -> None:
    beans = [
        issue(Ticket("CHG-7", "Change", "Done", "2026-11-01T09:00:00.000+0000", "2026-11-03T09:00:00.000+0000")),
        issue(Ticket("CHG-8", "Change", "Done", "2026-11-01T09:00:00.000+0000", "2026-11-03T09:00:00.000+0000")),
    ]
    for bean, approver in zip(beans, ("lead-bea", "dev-amir"), strict=True):
        bean["fields"].update(
            assignee={"accountId": "dev-amir"},
            customfield_10050=[{"accountId": approver}],
            customfield_10051="2026-11-02T09:00:00.000+0000",
        )
    jira.queries["fields"] = beans
    approval = {"field": "customfield_10050", "date_field": "customfield_10051"}
    items = _collect(jira, context, queries={"c": {"type": "change", "jql": "fields", "approval": approval}})
    facts = _facts(items)
    assert facts["CHG-7"]["independent_approved_at"] == "2026-11-02T09:00:00Z"
    assert facts["CHG-8"]["approvals"] == [{"by": "dev-amir", "at": "2026-11-02T09:00:00Z"}]
    assert facts["CHG-8"]["independent_approved_at"] is None  # the author approved their own change
    assert not any("expand=changelog" in path for _, path, _ in jira.requests)


def test_a_rate_limit_longer_than_max_wait_is_an_error(monkeypatch: pytest.MonkeyPatch, context: Any) -> None:
    from scripted_http import scripted_http

    monkeypatch.setenv("ANNEXA_TEST_JIRA_TOKEN", TOKEN)
    with scripted_http() as site:
        site.answer("/rest/api/3/myself", {"accountId": "5b10a2844c20165700ede21g"})
        site.answer("/rest/api/3/search/jql", {"errorMessages": [], "errors": {}}, 429, Retry_After="3600")
        options = {"base_url": site.url, "email": EMAIL, "token_env": "ANNEXA_TEST_JIRA_TOKEN", "max_wait_seconds": 60}
        options["queries"] = {"v": QUERIES["vulnerabilities"]}
        items = list(JiraRecordsCollector().collect(Target("jira", options), context))
    assert [(i.code, i.kinds) for i in items if isinstance(i, CollectionError)] == [
        ("rate_limited", ("jira.vulnerability",))
    ]
    assert "3600s, more than max_wait_seconds 60" in items[0].message
