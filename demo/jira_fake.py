"""A loopback fake of the Jira REST API (Cloud v3 and Data Center v2): a threaded http.server on
127.0.0.1 (free port) answering issue searches as Jira documents them.

- `GET /rest/api/3/search/jql` pages with an opaque `nextPageToken` and `isLast`; `GET
  /rest/api/2/search` pages with `startAt`/`maxResults`/`total` and, like a Data Center server
  with `jira.search.views.default.max` set, returns fewer than asked (`max_page`).
- `expand=changelog` embeds at most `changelog_cap` histories with the true `total` (a
  PageOfChangelogs), the rest from `GET /rest/api/3/issue/{key}/changelog` (paged, `isLast`).
- Only the requested `fields` are returned; an unknown JQL is a 400 and a wrong credential a 401
  (ErrorCollection bodies); `rate_limit_once(path)` answers the next request with 429 and
  `Retry-After: 1`; anything but GET is refused. Every request is recorded.

Bodies come from `demo/data/jira-openapi-examples.json`: response examples taken verbatim from
Atlassian's published Jira Cloud OpenAPI description (the file names its source), changed only
where a scenario needs it (keys, names, dates, users). `seeded_site` builds the demo's site;
`annexa demo` serves it (hence a package module).
"""

from __future__ import annotations

import base64
import copy
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlparse

from annexa.demo.loopback import serve_handler
from annexa.demo.material import shift_dates
from annexa.demo.sources import Served

__all__ = [
    "ACCESS_REVIEWS",
    "CHANGES",
    "EMAIL",
    "EXAMPLES",
    "INCIDENTS",
    "TOKEN",
    "VULNERABILITIES",
    "FakeJira",
    "Ticket",
    "fake_jira",
    "issue",
    "seeded_site",
    "serve",
]

EXAMPLES = json.loads((Path(__file__).parent / "data" / "jira-openapi-examples.json").read_text())["examples"]
_SEARCH = "GET /rest/api/3/search/jql 200"
EMAIL = "auditor@acme.example"
TOKEN = "jira-demo-" + "e" * 24  # the fake accepts this token only; a real one never leaves this process


def example(name: str) -> Any:
    """A fresh copy of one of Atlassian's published examples."""
    return copy.deepcopy(EXAMPLES[name])


def _errors(*messages: str) -> dict[str, Any]:
    """Jira's ErrorCollection body (components.schemas.ErrorCollection)."""
    return {"errorMessages": list(messages), "errors": {}}


@dataclass
class Ticket:
    """What a scenario says about one issue; `issue()` turns it into Jira's IssueBean."""

    key: str
    issue_type: str
    status: str
    created: str
    resolved: str | None = None
    priority: str | None = None
    assignee: str | None = None
    reporter: str | None = None
    duedate: str | None = None
    links: list[tuple[str, str, str]] = field(default_factory=list)  # (link type, key, issue type)
    history: list[tuple[str, str, str, str]] = field(default_factory=list)  # (when, who, from, to)


def _user(account_id: str) -> dict[str, Any]:
    user = example(_SEARCH)["issues"][0]["fields"]["attachment"][0]["author"]
    user.update(
        accountId=account_id,
        displayName=account_id,
        self=f"https://your-domain.atlassian.net/rest/api/3/user?accountId={account_id}",
    )
    return user


def _named(example_name: str, name: str) -> dict[str, Any]:
    value = example(example_name)
    value["name"] = name
    return value


def _history(number: int, when: str, who: str, old: str, new: str) -> dict[str, Any]:
    history = example("GET /rest/api/3/issue/{issueIdOrKey}/changelog 200")["values"][0]
    history.update(author=_user(who), created=when, id=str(10000 + number))
    history["items"] = [
        {
            "field": "status",
            "fieldtype": "jira",
            "fieldId": "status",
            "from": None,
            "fromString": old,
            "to": None,
            "toString": new,
        }
    ]
    return history


def issue(ticket: Ticket) -> dict[str, Any]:
    """Jira's IssueBean for a ticket, from the search example's issue with the scenario's fields."""
    bean = example(_SEARCH)["issues"][0]
    number = int(ticket.key.rsplit("-", 1)[1])
    bean.update(
        id=str(10000 + number),
        key=ticket.key,
        self=f"https://your-domain.atlassian.net/rest/api/3/issue/{10000 + number}",
    )
    link_example = bean["fields"]["issuelinks"][0]
    links = []
    for n, (link_type, key, issue_type) in enumerate(ticket.links):
        link = copy.deepcopy(link_example)
        link["id"] = str(20000 + number * 10 + n)
        link["type"]["name"] = link_type
        link["outwardIssue"].update(
            key=key, id=str(30000 + n), self=f"https://your-domain.atlassian.net/rest/api/3/issue/{key}"
        )
        link["outwardIssue"]["fields"]["issuetype"] = _named("GET /rest/api/3/issuetype/{id} 200", issue_type)
        links.append(link)
    bean["fields"].update(
        issuetype=_named("GET /rest/api/3/issuetype/{id} 200", ticket.issue_type),
        status=_named("GET /rest/api/3/status/{idOrName} 200", ticket.status),
        created=ticket.created,
        resolutiondate=ticket.resolved,
        priority=_named("GET /rest/api/3/priority/{id} 200", ticket.priority) if ticket.priority else None,
        assignee=_user(ticket.assignee) if ticket.assignee else None,
        reporter=_user(ticket.reporter) if ticket.reporter else None,
        duedate=ticket.duedate,
        issuelinks=links,
    )
    bean["changelog"] = [_history(n, *h) for n, h in enumerate(ticket.history)]  # paged when served
    return bean


class FakeJira:
    def __init__(self, url: str) -> None:
        self.url = url
        self.queries: dict[str, list[dict[str, Any]]] = {}  # JQL -> IssueBeans it matches
        self.requests: list[tuple[str, str, str]] = []  # (method, path with query, authorization)
        self.limited: set[str] = set()
        self.max_page = 100  # Data Center's cap on maxResults
        self.changelog_cap = 40
        self.authorization = {
            "Basic " + base64.b64encode(f"{EMAIL}:{TOKEN}".encode()).decode(),  # Cloud
            f"Bearer {TOKEN}",  # Data Center personal access token
        }

    def rate_limit_once(self, path: str) -> None:
        self.limited.add(path)

    def _issue(self, bean: dict[str, Any], fields: list[str] | None, expand: str) -> dict[str, Any]:
        out = copy.deepcopy(bean)
        histories = out.pop("changelog")
        if fields:
            out["fields"] = {k: v for k, v in out["fields"].items() if k in fields}
        if "changelog" in expand.split(","):
            shown = histories[: self.changelog_cap]
            out["changelog"] = {"startAt": 0, "maxResults": len(shown), "total": len(histories), "histories": shown}
        return out

    def _bean(self, key: str) -> dict[str, Any] | None:
        return next((b for beans in self.queries.values() for b in beans if b["key"] == key), None)

    def answer(self, path: str, query: dict[str, str]) -> tuple[int, Any, dict[str, str]]:
        if path in ("/rest/api/3/myself", "/rest/api/2/myself"):
            return 200, example("GET /rest/api/3/myself 200"), {}
        fields = [f for f in query.get("fields", "").split(",") if f] or None
        expand = query.get("expand", "")
        if path in ("/rest/api/3/search/jql", "/rest/api/2/search"):
            jql = query.get("jql", "")
            if jql not in self.queries:
                return 400, _errors(f"Error in the JQL Query: the query {jql!r} is not valid for this site."), {}
            beans = self.queries[jql]
            size = min(int(query.get("maxResults", 50)), self.max_page)
            if path.endswith("/jql"):
                start = int(base64.b64decode(query["nextPageToken"]).decode()) if "nextPageToken" in query else 0
                chunk = beans[start : start + size]
                body: dict[str, Any] = {"isLast": start + size >= len(beans)}
                body["issues"] = [self._issue(b, fields, expand) for b in chunk]
                if not body["isLast"]:
                    body["nextPageToken"] = base64.b64encode(str(start + size).encode()).decode()
                return 200, body, {}
            start = int(query.get("startAt", 0))
            body = {
                k: v for k, v in example("GET /rest/api/3/search 200").items() if k not in ("issues", "warningMessages")
            }
            body.update(startAt=start, maxResults=size, total=len(beans))
            body["issues"] = [self._issue(b, fields, expand) for b in beans[start : start + size]]
            return 200, body, {}
        if path.startswith("/rest/api/3/issue/") and path.endswith("/changelog"):
            bean = self._bean(path.split("/")[5])
            if bean is None:
                return 404, example("POST /rest/api/3/expression/eval 404"), {}
            start, size = int(query.get("startAt", 0)), min(int(query.get("maxResults", 50)), 100)
            page = example("GET /rest/api/3/issue/{issueIdOrKey}/changelog 200")
            values = bean["changelog"][start : start + size]
            page.update(startAt=start, maxResults=size, total=len(bean["changelog"]), values=values)
            page["isLast"] = start + size >= len(bean["changelog"])
            page.pop("nextPage", None)
            return 200, page, {}
        return 404, _errors("Not found"), {}


def _handler(fake: FakeJira) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            return None

        def _send(self, status: int, body: Any, headers: dict[str, str]) -> None:
            raw = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json;charset=UTF-8")
            self.send_header("Content-Length", str(len(raw)))
            for key, value in headers.items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(raw)

        def _any(self) -> None:
            authorization = self.headers.get("Authorization", "")
            fake.requests.append((self.command, self.path, authorization))
            parsed = urlparse(self.path)
            path = unquote(parsed.path)
            if self.command != "GET":
                self._send(405, _errors("annexa must only read"), {})
                return
            if authorization not in fake.authorization:
                # the text of the search operation's documented 401 response
                message = "The authentication credentials are incorrect or missing."
                self._send(401, _errors(message), {})
                return
            if path in fake.limited:
                fake.limited.discard(path)
                self._send(429, _errors("Rate limit exceeded."), {"Retry-After": "1"})
                return
            query = {k: v[0] for k, v in parse_qs(parsed.query).items()}
            status, body, headers = fake.answer(path, query)
            self._send(status, body, headers)

        do_GET = _any
        do_POST = _any
        do_PUT = _any
        do_DELETE = _any

    return Handler


@contextmanager
def fake_jira() -> Iterator[FakeJira]:
    fake = FakeJira("")
    with serve_handler(_handler(fake)) as url:
        fake.url = url
        yield fake


# The demo's JQL, as demo/acme/annexa.yaml writes it.
CHANGES = "project = CHG AND resolved >= -90d ORDER BY resolved DESC"
INCIDENTS = "project = INC AND created >= -180d ORDER BY created DESC"
ACCESS_REVIEWS = 'project = SEC AND issuetype = "Access review" ORDER BY duedate DESC'
VULNERABILITIES = "project = SEC AND labels = vulnerability ORDER BY created DESC"


def seeded_site(fake: FakeJira, shift_days: int = 0) -> None:
    """acme.atlassian.net as of 2026-12-01: three changes approved by a second person before
    deployment (one with a long history, read through the changelog endpoint); two incidents, one
    with a linked post-incident review and one (resolved) without; quarterly access reviews done
    by their due dates; three vulnerabilities, the high one open past its 30-day SLA.
    `shift_days` moves every date by that many days."""

    def ticket(*args: Any, **kwargs: Any) -> dict[str, Any]:
        bean = issue(Ticket(*args, **kwargs))
        return json.loads(shift_dates(json.dumps(bean), shift_days)) if shift_days else bean

    busy = [(f"2026-11-0{d}T09:00:00.000+0000", "dev-amir", "In Progress", "In Review") for d in range(1, 5)]
    fake.queries.update(
        {
            CHANGES: [
                ticket(
                    "CHG-101",
                    "Change",
                    "Done",
                    "2026-11-10T09:00:00.000+0000",
                    "2026-11-12T16:00:00.000+0000",
                    assignee="dev-amir",
                    reporter="dev-amir",
                    history=[
                        ("2026-11-11T10:00:00.000+0000", "lead-bea", "Awaiting approval", "Approved"),
                        ("2026-11-12T15:30:00.000+0000", "dev-amir", "Approved", "Deployed"),
                    ],
                ),
                ticket(
                    "CHG-102",
                    "Change",
                    "Done",
                    "2026-11-18T09:00:00.000+0000",
                    "2026-11-20T12:00:00.000+0000",
                    assignee="dev-chen",
                    reporter="dev-chen",
                    history=[
                        *busy * 11,  # 44 histories: more than the search embeds
                        ("2026-11-19T08:00:00.000+0000", "lead-bea", "Awaiting approval", "Approved"),
                        ("2026-11-20T11:00:00.000+0000", "dev-chen", "Approved", "Deployed"),
                    ],
                ),
                ticket(
                    "CHG-103",
                    "Change",
                    "Done",
                    "2026-11-24T09:00:00.000+0000",
                    "2026-11-25T17:00:00.000+0000",
                    assignee="lead-bea",
                    reporter="dev-amir",
                    history=[
                        ("2026-11-25T09:00:00.000+0000", "dev-amir", "Awaiting approval", "Approved"),
                        ("2026-11-25T16:00:00.000+0000", "lead-bea", "Approved", "Deployed"),
                    ],
                ),
            ],
            INCIDENTS: [
                ticket(
                    "INC-7",
                    "Incident",
                    "Resolved",
                    "2026-10-02T07:15:00.000+0000",
                    "2026-10-02T19:40:00.000+0000",
                    priority="Highest",
                    links=[("Post-incident review", "INC-8", "Post-incident review")],
                ),
                ticket(
                    "INC-9",
                    "Incident",
                    "Resolved",
                    "2026-11-14T13:05:00.000+0000",
                    "2026-11-16T10:00:00.000+0000",
                    priority="High",
                    links=[("Relates", "CHG-102", "Change")],
                ),
            ],
            ACCESS_REVIEWS: [
                ticket(
                    "SEC-40",
                    "Access review",
                    "Done",
                    "2026-06-01T08:00:00.000+0000",
                    "2026-06-24T15:00:00.000+0000",
                    duedate="2026-06-30",
                ),
                ticket(
                    "SEC-52",
                    "Access review",
                    "Done",
                    "2026-09-01T08:00:00.000+0000",
                    "2026-09-26T11:00:00.000+0000",
                    duedate="2026-09-30",
                ),
                ticket("SEC-61", "Access review", "To Do", "2026-11-30T08:00:00.000+0000", duedate="2026-12-31"),
            ],
            VULNERABILITIES: [
                ticket(
                    "SEC-55",
                    "Bug",
                    "Done",
                    "2026-10-05T10:00:00.000+0000",
                    "2026-10-07T09:00:00.000+0000",
                    priority="Highest",
                ),
                ticket("SEC-58", "Bug", "In Progress", "2026-10-20T10:00:00.000+0000", priority="High"),
                ticket(
                    "SEC-60",
                    "Bug",
                    "Done",
                    "2026-11-03T10:00:00.000+0000",
                    "2026-11-21T10:00:00.000+0000",
                    priority="Medium",
                ),
            ],
        }
    )


@contextmanager
def serve(shift_days: int) -> Iterator[Served]:
    """The demo's Jira Cloud site (changes, incidents, access reviews, vulnerabilities), for demo/sources.py."""
    with fake_jira() as fake:
        seeded_site(fake, shift_days)
        yield Served("a fake Jira Cloud site", {"http://127.0.0.1:8766": fake.url}, {"JIRA_API_TOKEN": TOKEN})
