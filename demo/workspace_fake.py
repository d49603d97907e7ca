"""A loopback fake of the Google Workspace Admin SDK (Directory API users.list, Reports API
activities.list), on 127.0.0.1 (free port), at `<endpoint>/admin/...` as the shared Google client
addresses a configured endpoint.

The Admin SDK publishes no example bodies, so the bodies follow the schemas of its discovery
documents (googleapis/google-api-python-client, googleapiclient/discovery_cache/documents/
admin.directory_v1.json: `Users` {kind "admin#directory#users", users, nextPageToken} and `User`;
admin.reports_v1.json: `Activities` {kind "admin#reports#activities", items, nextPageToken} and
`Activity` with `id.time`), field for field, with made-up people. Paging is `maxResults` and
`pageToken`; a 403 body is Google's JSON error (`error.code`, `message`, `status`, `errors[].reason`).
Only GET is served, and POST to `/token` (an OAuth token endpoint for a service account key whose
`token_uri` points here, as Google's does at oauth2.googleapis.com); any other method answers 405.
Every request is recorded.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlparse

from annexa.demo.loopback import serve_handler
from annexa.demo.material import shift_dates
from annexa.demo.sources import Served

__all__ = ["TOKEN", "FakeWorkspace", "fake_workspace", "forbidden", "seeded_customer", "serve"]

TOKEN = "ya29." + "c" * 40  # the access token the fake accepts (never a real one)
USERS = "/admin/admin/directory/v1/users"
LOGIN_ACTIVITIES = "/admin/admin/reports/v1/activity/users/all/applications/login"


def forbidden(message: str = "Not Authorized to access this resource/api") -> tuple[int, dict[str, Any]]:
    """Google's JSON error body for a 403 (the Admin SDK's answer to a caller without the admin privilege)."""
    return 403, {
        "error": {
            "code": 403,
            "message": message,
            "errors": [{"message": message, "domain": "global", "reason": "forbidden"}],
            "status": "PERMISSION_DENIED",
        }
    }


class FakeWorkspace:
    def __init__(self, url: str) -> None:
        self.url = url
        self.users: list[dict[str, Any]] = []
        self.activities: list[dict[str, Any]] = []
        self.errors: dict[str, tuple[int, dict[str, Any]]] = {}  # path -> (status, body)
        self.requests: list[tuple[str, str, str]] = []
        self.page_size = 500
        self.token_requests: list[dict[str, str]] = []  # the forms POSTed to /token


def _handler(fake: FakeWorkspace) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            return None

        def _send(self, status: int, body: Any) -> None:
            raw = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=UTF-8")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        def _any(self) -> None:
            fake.requests.append((self.command, self.path, self.headers.get("Authorization", "")))
            parsed = urlparse(self.path)
            query = {k: v[0] for k, v in parse_qs(parsed.query).items()}
            if self.command == "POST" and parsed.path == "/token":
                length = int(self.headers.get("Content-Length", 0))
                fake.token_requests.append({k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()})
                self._send(200, {"access_token": TOKEN, "expires_in": 3599, "token_type": "Bearer"})
                return
            if self.command != "GET":
                self._send(405, {"error": {"code": 405, "message": "annexa must only read"}})
                return
            if self.headers.get("Authorization") != f"Bearer {TOKEN}":
                self._send(401, {"error": {"code": 401, "message": "Invalid Credentials", "status": "UNAUTHENTICATED"}})
                return
            if parsed.path in fake.errors:
                self._send(*fake.errors[parsed.path])
                return
            if parsed.path == USERS:
                kind, key, items = "admin#directory#users", "users", fake.users
            elif parsed.path == LOGIN_ACTIVITIES:
                kind, key, items = "admin#reports#activities", "items", fake.activities
            else:
                self._send(404, {"error": {"code": 404, "message": "Not Found", "status": "NOT_FOUND"}})
                return
            size = min(int(query.get("maxResults", fake.page_size)), fake.page_size)
            start = int(query.get("pageToken", 0))
            page: dict[str, Any] = {"kind": kind}
            if items[start : start + size]:  # Google leaves empty lists out
                page[key] = items[start : start + size]
            if start + size < len(items):
                page["nextPageToken"] = str(start + size)
            self._send(200, page)

        do_GET = _any
        do_POST = _any
        do_PUT = _any
        do_PATCH = _any
        do_DELETE = _any

    return Handler


@contextmanager
def fake_workspace() -> Iterator[FakeWorkspace]:
    fake = FakeWorkspace("")
    with serve_handler(_handler(fake)) as url:
        fake.url = url
        yield fake


@contextmanager
def serve(shift_days: int) -> Iterator[Served]:
    """The demo's Workspace customer, for demo/sources.py."""
    with fake_workspace() as fake:
        seeded_customer(fake, shift_days)
        yield Served("a fake Google Workspace", {"http://127.0.0.1:8767": fake.url}, {"WORKSPACE_TOKEN": TOKEN})


def _user(number: int, email: str, last_login: str, created: str, **flags: bool) -> dict[str, Any]:
    """A `User` as users.list returns it with annexa's `fields` selection (false booleans left out)."""
    user: dict[str, Any] = {
        "id": f"1{number:020d}",
        "primaryEmail": email,
        "lastLoginTime": last_login,
        "creationTime": created,
    }
    user.update({key: True for key, value in flags.items() if value})
    return user


def seeded_customer(fake: FakeWorkspace, shift_days: int = 0) -> None:
    """acme: two super admins; chen not enrolled in 2SV (enforcement off for their org unit); the
    leaver dana still active; eli suspended; a shared mailbox never signed in to."""
    users = [
        _user(1, "ana@acme.example", "2026-11-30T08:12:00.000Z", "2023-02-01T09:00:00.000Z",
              isAdmin=True, isEnrolledIn2Sv=True, isEnforcedIn2Sv=True),
        _user(2, "ben@acme.example", "2026-11-29T18:00:00.000Z", "2024-06-03T09:00:00.000Z",
              isAdmin=True, isEnrolledIn2Sv=True, isEnforcedIn2Sv=True),
        _user(3, "chen@acme.example", "2026-11-30T09:30:00.000Z", "2025-09-01T09:00:00.000Z"),
        _user(4, "dana@acme.example", "2026-08-30T16:00:00.000Z", "2022-03-01T09:00:00.000Z",
              isEnrolledIn2Sv=True, isEnforcedIn2Sv=True),
        _user(5, "eli@acme.example", "2025-12-30T12:00:00.000Z", "2021-11-01T09:00:00.000Z",
              suspended=True, isEnrolledIn2Sv=True, isEnforcedIn2Sv=True),
    ]  # fmt: skip
    fake.users = users
    fake.activities = [
        {
            "kind": "admin#reports#activity",
            "id": {
                "time": "2026-11-30T08:12:00.000Z",
                "uniqueQualifier": "-4002873813501386024",
                "applicationName": "login",
                "customerId": "C03az79cb",
            },
            "actor": {"callerType": "USER", "email": "ana@acme.example", "profileId": "100000000000000000001"},
            "events": [{"type": "login", "name": "login_success"}],
        }
    ]
    if shift_days:
        fake.users = json.loads(shift_dates(json.dumps(fake.users), shift_days))
        fake.activities = json.loads(shift_dates(json.dumps(fake.activities), shift_days))
