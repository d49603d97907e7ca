"""A loopback fake of the GitHub REST API: a threaded http.server on 127.0.0.1 (free port)
serving the response shapes of GitHub's published OpenAPI description, Link-header paging,
rate-limit headers and GitHub's error bodies.

`FakeGitHub.routes` maps a path to a JSON body (lists are paged by `per_page`, as is the list
inside a `Keyed` object such as `{"total_count": n, "environments": [...]}`) or to
(status, body). `rate_limit_once(path, ...)` makes the next request to a path answer like
GitHub's primary or secondary rate limit. Every request is recorded.

`seeded_org` builds an organisation from `demo/data/github-openapi-examples.json`: examples
taken verbatim from the npm package @octokit/openapi 23.0.2 (generated/api.github.com.json,
API version 2022-11-28), changed only where a scenario needs it (names, states, dates).

`annexa demo` serves it (hence a package module); the tests reuse it through tests/fakes/github.py.
"""

from __future__ import annotations

import copy
import json
import time
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlparse

from annexa.demo.loopback import serve_handler
from annexa.demo.material import shift_dates
from annexa.demo.sources import Served

__all__ = ["EXAMPLES", "FakeGitHub", "Keyed", "Moved", "error", "example", "fake_github", "seeded_org", "serve"]

EXAMPLES = json.loads((Path(__file__).parent / "data" / "github-openapi-examples.json").read_text())["examples"]
_DOCS = "https://docs.github.com/rest"


def example(name: str) -> Any:
    """A fresh copy of one of GitHub's published examples."""
    return copy.deepcopy(EXAMPLES[name])


def error(status: int, message: str, **extra: Any) -> tuple[int, dict[str, Any]]:
    """GitHub's error body (basic-error; validation-error with `errors`) for a status."""
    return status, {"message": message, "documentation_url": _DOCS, "status": str(status), **extra}


@dataclass(frozen=True)
class Moved:
    """A renamed or transferred repository: GitHub answers 301 with the new API location
    (REST docs, "Best practices: follow redirects"; body `{"message": "Moved Permanently", "url": ...}`)."""

    path: str


@dataclass
class Keyed:
    """An object response whose `key` list is paged, e.g. environments."""

    key: str
    items: list[Any]
    extra: dict[str, Any] = field(default_factory=dict)


class FakeGitHub:
    def __init__(self, url: str) -> None:
        self.url = url
        self.routes: dict[str, Any] = {}
        self.requests: list[tuple[str, str, str]] = []  # (method, path with query, authorization)
        self.limited: dict[str, tuple[int, dict[str, str], str]] = {}
        self.remaining = 4999

    def rate_limit_once(self, path: str, secondary: bool = False) -> None:
        if secondary:
            self.limited[path] = (403, {"Retry-After": "1"}, "You have exceeded a secondary rate limit.")
        else:
            reset = str(int(time.time()) + 1)
            self.limited[path] = (
                403,
                {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": reset},
                "API rate limit exceeded for user ID 1.",
            )


def _handler(fake: FakeGitHub) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            return None

        def _send(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
            raw = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(raw)))
            fake.remaining -= 1
            headers = {
                "X-RateLimit-Limit": "5000",
                "X-RateLimit-Remaining": str(max(fake.remaining, 1)),
                "X-RateLimit-Reset": str(int(time.time()) + 3600),
                **(headers or {}),
            }
            for key, value in headers.items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(raw)

        def _any(self) -> None:
            fake.requests.append((self.command, self.path, self.headers.get("Authorization", "")))
            parsed = urlparse(self.path)
            query = {k: v[0] for k, v in parse_qs(parsed.query).items()}
            if self.command != "GET" and not parsed.path.startswith("/app/installations/"):
                self._send(405, {"message": "annexa must only read"})
                return
            if parsed.path in fake.limited:
                status, headers, message = fake.limited.pop(parsed.path)
                self._send(status, {"message": message, "documentation_url": "https://docs.github.com/rest"}, headers)
                return
            key = parsed.path + (
                "?" + urlencode(sorted((k, v) for k, v in query.items() if k in ("role", "filter")))
                if any(k in query for k in ("role", "filter"))
                else ""
            )
            route = fake.routes.get(key, fake.routes.get(parsed.path))
            if route is None:
                self._send(*error(404, "Not Found"))
                return
            if isinstance(route, Moved):
                location = f"{fake.url}{route.path}"
                self._send(
                    301,
                    {"message": "Moved Permanently", "url": location, "documentation_url": _DOCS},
                    {"Location": location},
                )
                return
            status, body = route if isinstance(route, tuple) else (200 if self.command == "GET" else 201, route)
            if isinstance(body, list) and status == 200:
                body = _filtered(body, query)
            if isinstance(body, (list, Keyed)) and status == 200:
                items = body.items if isinstance(body, Keyed) else body
                per_page = int(query.get("per_page", 30))
                page = int(query.get("page", 1))
                chunk = items[(page - 1) * per_page : page * per_page]
                headers = {}
                if page * per_page < len(items):
                    next_query = urlencode({**query, "page": page + 1})
                    headers["Link"] = f'<{fake.url}{parsed.path}?{next_query}>; rel="next"'
                if isinstance(body, Keyed):
                    chunk = {**body.extra, "total_count": len(items), body.key: chunk}
                self._send(200, chunk, headers)
                return
            self._send(status, body)

        do_GET = _any
        do_POST = _any
        do_PUT = _any
        do_PATCH = _any
        do_DELETE = _any

    return Handler


def _filtered(items: list[Any], query: dict[str, str]) -> list[Any]:
    """A pull request or issue listing filtered as GitHub documents: `state` (open, closed, all;
    default open), `labels` (every named label), `since` (updated at or after)."""
    if not items or not isinstance(items[0], dict) or "state" not in items[0] or "number" not in items[0]:
        return items
    state = query.get("state", "open")
    wanted = [name for name in query.get("labels", "").split(",") if name]
    return [
        item
        for item in items
        if state in ("all", item.get("state"))
        and all(name in {label.get("name") for label in item.get("labels") or []} for name in wanted)
        and str(item.get("updated_at") or "") >= query.get("since", "")
    ]


@contextmanager
def fake_github() -> Iterator[FakeGitHub]:
    fake = FakeGitHub("")
    with serve_handler(_handler(fake)) as url:
        fake.url = url
        yield fake


@contextmanager
def serve(shift_days: int) -> Iterator[Served]:
    """The demo's GitHub organisation (acme, five members), for demo/sources.py."""
    with fake_github() as fake:
        seeded_org(fake, members=5, shift_days=shift_days)
        yield Served(
            "a fake GitHub organisation",
            {"http://127.0.0.1:8765": fake.url},
            # the fake accepts any token; a real one never leaves this process
            {"GITHUB_TOKEN": "ghp_" + "d" * 36},
        )


def _user(login: str, number: int) -> dict[str, Any]:
    user = example("simple-user-items")[0]
    user.update(login=login, id=number, url=f"https://api.github.com/users/{login}")
    return user


def _repo(name: str, **extra: Any) -> dict[str, Any]:
    repo = example("minimal-repository-items")[0]
    repo.update(
        id=zlib.crc32(name.encode()) % 10**6,  # stable across processes, unlike hash()
        name=name,
        full_name=f"acme/{name}",
        private=True,
        visibility="private",
        archived=False,
        fork=False,
        default_branch="main",
        pushed_at="2026-11-20T10:00:00Z",
    )
    repo["security_and_analysis"].update(
        secret_scanning={"status": "enabled"},
        secret_scanning_push_protection={"status": "enabled"},
        dependabot_security_updates={"status": "enabled"},
    )
    repo.update(extra)
    return repo


def _alert(number: int, severity: str, created_at: str, package: str) -> dict[str, Any]:
    alert = example("dependabot-alerts-for-repository")[1]  # the example's open alert
    alert.update(number=number, state="open", created_at=created_at)
    alert["security_advisory"]["severity"] = severity
    alert["security_vulnerability"]["severity"] = severity
    alert["security_vulnerability"]["package"]["name"] = package
    return alert


def _pull(number: int, author: str, created: str, merged: str | None) -> dict[str, Any]:
    pull = example("pull-request-simple-items")[0]
    closed = merged or created
    pull.update(
        number=number, state="closed", created_at=created, updated_at=closed, closed_at=closed, merged_at=merged
    )
    pull["user"]["login"] = author
    pull["base"]["ref"] = "main"
    return pull


def _review(reviewer: str, state: str, submitted: str) -> dict[str, Any]:
    review = example("pull-request-review-items")[0]
    review.update(state=state, submitted_at=submitted)
    review["user"]["login"] = reviewer
    return review


def _issue(number: int, labels: list[str], created: str, closed: str | None) -> dict[str, Any]:
    issue = example("issue-items")[0]
    del issue["pull_request"]  # the example is a pull request's issue; these are plain issues
    label = issue["labels"][0]
    issue.update(
        number=number,
        state="closed" if closed else "open",
        state_reason="completed" if closed else None,
        created_at=created,
        updated_at=closed or created,
        closed_at=closed,
        labels=[{**label, "name": name, "default": False} for name in labels],
    )
    return issue


def _environment(name: str, rules: list[dict[str, Any]]) -> dict[str, Any]:
    environment = example("environments")["environments"][0]
    environment.update(name=name, protection_rules=rules)
    return environment


def _shifted(value: Any, days: int) -> Any:
    """A route body with every date moved by `days` (the demo dates its world as of today)."""
    if isinstance(value, str):
        return shift_dates(value, days)
    if isinstance(value, dict):
        return {key: _shifted(item, days) for key, item in value.items()}
    if isinstance(value, list):
        return [_shifted(item, days) for item in value]
    if isinstance(value, tuple):
        return tuple(_shifted(item, days) for item in value)
    if isinstance(value, Keyed):
        return Keyed(value.key, _shifted(value.items, days), _shifted(value.extra, days))
    return value


def seeded_org(fake: FakeGitHub, members: int = 150, shift_days: int = 0) -> None:
    """acme: 2FA required, 2 owners, `members` members (paged), one outside collaborator without 2FA;
    repos `api` (GitHub's published branch-protection example, default setup configured),
    `web` (ruleset only, code scanning from a workflow, an old critical alert, an unprotected
    production environment among 40 paged environments), `legacy` (unprotected, scanning
    off), `old` (archived). Records: `api` has a pull request merged with a second person's approval,
    one merged without any review, one closed unmerged, and an incident and two vulnerability issues
    closed (or open) within their SLAs. `shift_days` moves every date of the organisation by that many days."""
    logins = [_user(f"dev{n:03d}", n) for n in range(members)]
    staging_rules = example("environments")["environments"][0]["protection_rules"]
    user = example("private-user-response-with-public-profile-information")
    user.update(login="auditor-bot", id=9)
    org = example("organization-full")
    org.update(
        login="acme",
        id=1,
        two_factor_requirement_enabled=True,
        default_repository_permission="read",
        members_can_create_public_repositories=False,
    )
    analyses = example("code-scanning-analysis-items")
    for analysis in analyses:
        analysis.update(ref="refs/heads/main", created_at="2026-11-18T03:00:00Z")
    fake.routes.update(
        {
            "/user": user,
            "/orgs/acme": org,
            "/orgs/acme/members": logins,
            "/orgs/acme/members?role=admin": logins[:2],
            "/orgs/acme/members?filter=2fa_disabled": [],
            "/orgs/acme/outside_collaborators": [_user("contractor1", 500)],
            "/orgs/acme/outside_collaborators?filter=2fa_disabled": [_user("contractor1", 500)],
            "/orgs/acme/repos": [
                _repo("api"),
                _repo("web"),
                _repo(
                    "legacy",
                    security_and_analysis={
                        "secret_scanning": {"status": "disabled"},
                        "secret_scanning_push_protection": {"status": "disabled"},
                    },
                ),
                _repo("old", archived=True),
            ],
            "/repos/acme/api/branches/main/protection": example("branch-protection"),
            "/repos/acme/api/rules/branches/main": [],
            "/repos/acme/api/code-scanning/default-setup": example("code-scanning-default-setup"),
            "/repos/acme/api/code-scanning/analyses": error(404, "no analysis found"),
            "/repos/acme/api/dependabot/alerts": [_alert(1, "high", "2026-11-15T00:00:00Z", "requests")],
            "/repos/acme/api/environments": Keyed(
                "environments", [_environment("production", staging_rules), _environment("staging", [])]
            ),
            "/repos/acme/web/branches/main/protection": error(404, "Branch not protected"),
            "/repos/acme/web/rules/branches/main": [
                *example("repository-rule-items"),
                {"type": "pull_request", "ruleset_id": 7, "parameters": {"required_approving_review_count": 1}},
                {"type": "non_fast_forward", "ruleset_id": 7},
                {
                    "type": "required_status_checks",
                    "ruleset_id": 7,
                    "parameters": {"required_status_checks": [{"context": "build"}]},
                },
            ],
            "/repos/acme/web/code-scanning/default-setup": {
                **example("code-scanning-default-setup"),
                "state": "not-configured",
            },
            "/repos/acme/web/code-scanning/analyses": analyses,
            "/repos/acme/web/dependabot/alerts": [_alert(3, "critical", "2025-01-02T00:00:00Z", "lodash")],
            "/repos/acme/web/environments": Keyed(
                "environments",
                [_environment(f"review-{n:02d}", []) for n in range(39)] + [_environment("production", [])],
            ),
            "/repos/acme/legacy/branches/main/protection": error(404, "Branch not protected"),
            "/repos/acme/legacy/rules/branches/main": [],
            "/repos/acme/legacy/code-scanning/default-setup": error(
                403, "Advanced Security must be enabled for this repository to use code scanning."
            ),
            "/repos/acme/legacy/code-scanning/analyses": error(
                403, "Advanced Security must be enabled for this repository to use code scanning."
            ),
            "/repos/acme/legacy/dependabot/alerts": error(403, "Dependabot alerts are disabled for this repository."),
            "/repos/acme/legacy/environments": Keyed("environments", []),
            # change records (github.records): api's #12 approved by a second person before the
            # merge, #13 merged with no review at all, #14 closed unmerged; an incident and two
            # vulnerability issues, each closed within its SLA
            "/repos/acme/api/pulls": [
                _pull(14, "dev004", "2026-11-26T09:00:00Z", None),
                _pull(13, "dev003", "2026-11-20T09:00:00Z", "2026-11-20T17:00:00Z"),
                _pull(12, "dev001", "2026-11-17T09:00:00Z", "2026-11-18T15:00:00Z"),
            ],
            "/repos/acme/api/pulls/12/reviews": [
                _review("dev002", "CHANGES_REQUESTED", "2026-11-17T12:00:00Z"),
                _review("dev002", "APPROVED", "2026-11-18T10:00:00Z"),
            ],
            "/repos/acme/api/pulls/13/reviews": [],
            **{f"/repos/acme/{name}/{listing}": [] for name in ("web", "legacy") for listing in ("pulls", "issues")},
            "/repos/acme/api/issues": [
                _issue(31, ["incident", "severity:high"], "2026-11-05T08:00:00Z", "2026-11-06T12:00:00Z"),
                _issue(32, ["vulnerability", "severity:critical"], "2026-11-10T08:00:00Z", "2026-11-13T08:00:00Z"),
                _issue(33, ["vulnerability", "severity:medium"], "2026-11-22T08:00:00Z", None),
            ],
        }
    )
    if shift_days:
        fake.routes.update({path: _shifted(body, shift_days) for path, body in fake.routes.items()})
