"""A loopback fake of the GitHub REST API: a threaded http.server on 127.0.0.1 (free port)
serving real response shapes, Link-header paging, rate-limit headers and errors.

`FakeGitHub.routes` maps a path to a JSON body (lists are paged by `per_page`) or to
(status, body). `rate_limit_once(path, ...)` makes the next request to a path answer
like GitHub's primary or secondary rate limit. Every request is recorded.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlparse

from servers import free_port

__all__ = ["FakeGitHub", "fake_github", "seeded_org"]


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
                self._send(404, {"message": "Not Found", "documentation_url": "https://docs.github.com/rest"})
                return
            status, body = route if isinstance(route, tuple) else (200 if self.command == "GET" else 201, route)
            if isinstance(body, list) and status == 200:
                per_page = int(query.get("per_page", 30))
                page = int(query.get("page", 1))
                chunk = body[(page - 1) * per_page : page * per_page]
                headers = {}
                if page * per_page < len(body):
                    next_query = urlencode({**query, "page": page + 1})
                    headers["Link"] = f'<{fake.url}{parsed.path}?{next_query}>; rel="next"'
                self._send(200, chunk, headers)
                return
            self._send(status, body)

        do_GET = _any
        do_POST = _any
        do_PUT = _any
        do_PATCH = _any
        do_DELETE = _any

    return Handler


@contextmanager
def fake_github() -> Iterator[FakeGitHub]:
    port = free_port()
    fake = FakeGitHub(f"http://127.0.0.1:{port}")
    server = ThreadingHTTPServer(("127.0.0.1", port), _handler(fake))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def _repo(name: str, **extra: Any) -> dict[str, Any]:
    return {
        "id": abs(hash(name)) % 10**6,
        "name": name,
        "full_name": f"acme/{name}",
        "private": True,
        "visibility": "private",
        "archived": False,
        "fork": False,
        "default_branch": "main",
        "pushed_at": "2026-11-20T10:00:00Z",
        "security_and_analysis": {
            "secret_scanning": {"status": "enabled"},
            "secret_scanning_push_protection": {"status": "enabled"},
            "dependabot_security_updates": {"status": "enabled"},
        },
        **extra,
    }


def seeded_org(fake: FakeGitHub, members: int = 150) -> None:
    """acme: 2FA required, 2 owners, `members` members (paged), one outside collaborator without 2FA;
    repos `api` (well protected via branch protection), `web` (ruleset only, an old critical alert,
    unprotected production environment), `legacy` (unprotected, scanning off), `old` (archived)."""
    logins = [{"login": f"dev{n:03d}", "id": n, "type": "User"} for n in range(members)]
    fake.routes.update(
        {
            "/user": {"login": "auditor-bot", "id": 9},
            "/orgs/acme": {
                "login": "acme",
                "id": 1,
                "two_factor_requirement_enabled": True,
                "default_repository_permission": "read",
                "members_can_create_public_repositories": False,
            },
            "/orgs/acme/members": logins,
            "/orgs/acme/members?role=admin": logins[:2],
            "/orgs/acme/members?filter=2fa_disabled": [],
            "/orgs/acme/outside_collaborators": [{"login": "contractor1", "id": 500}],
            "/orgs/acme/outside_collaborators?filter=2fa_disabled": [{"login": "contractor1", "id": 500}],
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
            "/repos/acme/api/branches/main/protection": {
                "url": "x",
                "required_status_checks": {"strict": True, "contexts": ["ci/test"], "checks": [{"context": "ci/test"}]},
                "required_pull_request_reviews": {"required_approving_review_count": 2, "dismiss_stale_reviews": True},
                "enforce_admins": {"enabled": True},
                "required_signatures": {"enabled": True},
                "allow_force_pushes": {"enabled": False},
                "allow_deletions": {"enabled": False},
            },
            "/repos/acme/api/rules/branches/main": [],
            "/repos/acme/api/code-scanning/default-setup": {"state": "configured", "languages": ["python"]},
            "/repos/acme/api/dependabot/alerts": [
                {
                    "number": 1,
                    "state": "open",
                    "created_at": "2026-11-15T00:00:00Z",
                    "security_advisory": {"ghsa_id": "GHSA-1", "severity": "high"},
                    "security_vulnerability": {"package": {"ecosystem": "pip", "name": "requests"}, "severity": "high"},
                },
            ],
            "/repos/acme/api/environments": {
                "total_count": 1,
                "environments": [{"name": "production", "protection_rules": [{"id": 1, "type": "required_reviewers"}]}],
            },
            "/repos/acme/web/branches/main/protection": (404, {"message": "Branch not protected"}),
            "/repos/acme/web/rules/branches/main": [
                {"type": "pull_request", "ruleset_id": 7, "parameters": {"required_approving_review_count": 1}},
                {"type": "non_fast_forward", "ruleset_id": 7},
                {
                    "type": "required_status_checks",
                    "ruleset_id": 7,
                    "parameters": {"required_status_checks": [{"context": "build"}]},
                },
            ],
            "/repos/acme/web/code-scanning/default-setup": {"state": "not-configured"},
            "/repos/acme/web/dependabot/alerts": [
                {
                    "number": 3,
                    "state": "open",
                    "created_at": "2025-01-02T00:00:00Z",
                    "security_advisory": {"ghsa_id": "GHSA-3", "severity": "critical"},
                    "security_vulnerability": {
                        "package": {"ecosystem": "npm", "name": "lodash"},
                        "severity": "critical",
                    },
                },
            ],
            "/repos/acme/web/environments": {
                "total_count": 1,
                "environments": [{"name": "production", "protection_rules": []}],
            },
            "/repos/acme/legacy/branches/main/protection": (404, {"message": "Branch not protected"}),
            "/repos/acme/legacy/rules/branches/main": [],
            "/repos/acme/legacy/code-scanning/default-setup": (
                403,
                {"message": "Advanced Security must be enabled for this repository to use code scanning."},
            ),
            "/repos/acme/legacy/dependabot/alerts": (
                403,
                {"message": "Dependabot alerts are disabled for this repository."},
            ),
            "/repos/acme/legacy/environments": {"total_count": 0, "environments": []},
        }
    )
