"""A loopback fake of the Okta Management API: a threaded http.server on 127.0.0.1 (free port)
serving bodies built from the response examples of Okta's OpenAPI description
(okta/okta-management-openapi-spec, dist/2026.06.3/management-minimal.yaml, copied verbatim into
demo/data/okta-openapi-examples.json, changed only where a scenario needs it: ids, logins,
statuses, dates), with `Link: rel="next"` paging (`limit`/`after`), the role-assignees list's
in-body `_links.next`, Okta's error bodies (errorCode, errorSummary) and a 429 with
`X-Rate-Limit-Reset`.

Only GET is served, and POST to the OAuth token endpoint (`/oauth2/v1/token`); any other method
answers 405, and every request is recorded, so tests prove the collector only reads.
"""

from __future__ import annotations

import copy
import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlparse

from annexa.demo.loopback import serve_handler
from annexa.demo.material import shift_dates
from annexa.demo.sources import Served

__all__ = ["EXAMPLES", "SCOPES", "FakeOkta", "example", "fake_okta", "seeded_org", "serve"]

_DATA = json.loads((Path(__file__).parent / "data" / "okta-openapi-examples.json").read_text())
EXAMPLES: dict[str, Any] = _DATA["examples"]
SCOPES: dict[str, list[str]] = _DATA["scopes"]  # each operation's OAuth scope, as Okta's spec declares it
TOKEN = "00" + "a" * 40  # the API token the fake accepts (never a real one)


def example(name: str) -> Any:
    return copy.deepcopy(EXAMPLES[name])


class FakeOkta:
    def __init__(self, url: str) -> None:
        self.url = url
        # path (with `?filter=` or `?type=` when routed by them) -> body or (status, body)
        self.routes: dict[str, Any] = {}
        self.requests: list[tuple[str, str, str]] = []  # (method, path with query, authorization)
        self.page_size = 200  # the most items a page holds, whatever `limit` asks
        self.limited: set[str] = set()  # paths whose next request answers 429 once
        self.token_requests: list[dict[str, str]] = []
        self.access_token = "eyJ" + "b" * 40

    def rate_limit_once(self, path: str) -> None:
        self.limited.add(path)


def _handler(fake: FakeOkta) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            return None

        def _send(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
            raw = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            for key, value in {
                "X-Rate-Limit-Limit": "600",
                "X-Rate-Limit-Remaining": "599",
                "X-Rate-Limit-Reset": str(int(time.time()) + 60),
                **(headers or {}),
            }.items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(raw)

        def _any(self) -> None:
            fake.requests.append((self.command, self.path, self.headers.get("Authorization", "")))
            parsed = urlparse(self.path)
            query = {k: v[0] for k, v in parse_qs(parsed.query).items()}
            if self.command == "POST" and parsed.path == "/oauth2/v1/token":
                length = int(self.headers.get("Content-Length", 0))
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                fake.token_requests.append(form)
                self._send(
                    200,
                    {"token_type": "Bearer", "expires_in": 3600, "access_token": fake.access_token,
                     "scope": form.get("scope", "")},
                )  # fmt: skip
                return
            if self.command != "GET":
                self._send(405, {"errorCode": "E0000022", "errorSummary": "annexa must only read"})
                return
            if self.headers.get("Authorization") not in (f"SSWS {TOKEN}", f"Bearer {fake.access_token}"):
                self._send(401, example("error-401"))
                return
            if parsed.path in fake.limited:
                fake.limited.discard(parsed.path)
                self._send(429, example("error-429"), {"X-Rate-Limit-Remaining": "0",
                                                       "X-Rate-Limit-Reset": str(int(time.time()))})  # fmt: skip
                return
            routed = {k: v for k, v in query.items() if k in ("filter", "type")}
            key = parsed.path + ("?" + urlencode(sorted(routed.items())) if routed else "")
            route = fake.routes.get(key, fake.routes.get(parsed.path) if not routed else None)
            if route is None:
                self._send(404, {**example("error-403"), "errorCode": "E0000007", "errorSummary": "Not found"})
                return
            status, body = route if isinstance(route, tuple) else (200, route)
            if status != 200:
                self._send(status, body)
                return
            size = min(int(query.get("limit", fake.page_size)), fake.page_size)
            after = int(query.get("after", 0))
            if isinstance(body, dict) and isinstance(body.get("value"), list):  # role assignees: next link in the body
                items = body["value"]
                page = {"value": items[after : after + size], "_links": {}}
                if after + size < len(items):
                    page["_links"]["next"] = {"href": f"{fake.url}{parsed.path}?after={after + size}&limit={size}"}
                self._send(200, page)
                return
            if isinstance(body, list):
                headers = {"Link": f'<{fake.url}{self.path}>; rel="self"'}
                if after + size < len(body):
                    next_query = urlencode({**query, "after": after + size, "limit": size})
                    headers["Link"] += f', <{fake.url}{parsed.path}?{next_query}>; rel="next"'
                self._send(200, body[after : after + size], headers)
                return
            self._send(200, body)

        do_GET = _any
        do_POST = _any
        do_PUT = _any
        do_DELETE = _any

    return Handler


@contextmanager
def fake_okta() -> Iterator[FakeOkta]:
    fake = FakeOkta("")
    with serve_handler(_handler(fake)) as url:
        fake.url = url
        yield fake


@contextmanager
def serve(shift_days: int) -> Iterator[Served]:
    """The demo's Okta org (acme.okta.com), for demo/sources.py."""
    with fake_okta() as fake:
        seeded_org(fake, shift_days)
        yield Served("a fake Okta org", {"http://127.0.0.1:8768": fake.url}, {"OKTA_API_TOKEN": TOKEN})


def _user(user_id: str, login: str, status: str, created: str, last_login: str | None) -> dict[str, Any]:
    user = example("users")[0]
    user.update(id=user_id, status=status, created=created, activated=created, lastLogin=last_login)
    user["profile"].update(login=login, email=login)
    user["_links"]["self"]["href"] = f"https://acme.okta.com/api/v1/users/{user_id}"
    return user


def _app_user(user_id: str) -> dict[str, Any]:
    app_user = example("app-users")[0]
    app_user.update(id=user_id)
    del app_user["_embedded"]  # only with expand=user, which annexa does not ask for
    app_user["_links"]["user"]["href"] = f"https://acme.okta.com/api/v1/users/{user_id}"
    return app_user


def _policy(example_name: str, policy_id: str, **changes: Any) -> dict[str, Any]:
    policy = example(example_name)[0]
    policy.update(id=policy_id, **changes)
    return policy


def seeded_org(fake: FakeOkta, shift_days: int = 0) -> None:
    """acme: two super admins; the HR leaver dana suspended with two apps still assigned, eli
    deactivated; an account unused since spring and one never used; password policy without lockout
    (Okta's example: maxAttempts 0); Okta Verify required; sessions within limits; an app whose
    authentication policy is Okta's catch-all 1FA example; an EventBridge log stream."""
    users = [
        _user("00uana", "ana@acme.example", "ACTIVE", "2023-02-01T09:00:00.000Z", "2026-11-30T08:10:00.000Z"),
        _user("00uben", "ben@acme.example", "ACTIVE", "2024-06-03T09:00:00.000Z", "2026-11-28T17:45:00.000Z"),
        _user("00uchen", "chen@acme.example", "ACTIVE", "2025-09-01T09:00:00.000Z", "2026-11-29T10:00:00.000Z"),
        _user("00udana", "dana@acme.example", "SUSPENDED", "2022-03-01T09:00:00.000Z", "2026-08-30T16:00:00.000Z"),
        _user("00ubuild", "build-bot@acme.example", "ACTIVE", "2024-01-10T09:00:00.000Z", "2026-04-02T03:00:00.000Z"),
        _user("00unew", "new.hire@acme.example", "PROVISIONED", "2026-09-15T09:00:00.000Z", None),
    ]
    deprovisioned = [
        _user("00ueli", "eli@acme.example", "DEPROVISIONED", "2021-11-01T09:00:00.000Z", "2025-12-30T12:00:00.000Z")
    ]
    assignees = example("role-assignees")
    template = assignees["value"][0]
    assignees["value"] = [
        {**copy.deepcopy(template), "id": uid, "orn": template["orn"].replace("00u118oQYT4TBGuay0g4", uid)}
        for uid in ("00uana", "00uben")
    ]
    super_admin = example("user-roles")[2]
    super_admin.update(label="Super Administrator", type="SUPER_ADMIN")
    password = _policy("policy-password", "00ppassword", created="2023-01-10T00:00:00.000Z",
                       lastUpdated="2026-03-01T00:00:00.000Z")  # fmt: skip
    password["settings"]["password"]["age"]["maxAgeDays"] = 365
    mfa = _policy("policy-mfa-enroll", "00pmfa", created="2023-01-10T00:00:00.000Z",
                  lastUpdated="2026-03-01T00:00:00.000Z")  # fmt: skip
    for authenticator in mfa["settings"]["authenticators"]:
        if authenticator["key"] == "okta_verify":
            authenticator["enroll"]["self"] = "REQUIRED"
    sign_on_rules = example("rules-okta-sign-on")
    sign_on_rules[0]["actions"]["signon"]["session"].update(maxSessionIdleMinutes=60, maxSessionLifetimeMinutes=720)
    strong = example("rules-access")
    strong[0].update(id="0prstrong", name="Two factors")
    strong[0]["actions"]["appSignOn"]["verificationMethod"]["factorMode"] = "2FA"
    apps = example("apps")
    crm = copy.deepcopy(apps[0])
    apps[0].update(id="0oawiki", name="acme_wiki", label="Wiki")
    apps[0]["_links"] = {"accessPolicy": {"href": "https://acme.okta.com/api/v1/policies/00pstrong"}}
    crm.update(id="0oacrm", name="acme_crm", label="CRM")
    crm["_links"] = {"accessPolicy": {"href": "https://acme.okta.com/api/v1/policies/00pcatchall"}}
    fake.routes.update(
        {
            "/api/v1/users": users,
            "/api/v1/users?filter=status+eq+%22DEPROVISIONED%22": deprovisioned,
            "/api/v1/apps/0oawiki/users": [_app_user(u) for u in ("00uana", "00uben", "00uchen", "00udana")],
            "/api/v1/apps/0oacrm/users": [_app_user(u) for u in ("00uana", "00udana", "00ubuild")],
            "/api/v1/iam/assignees/users": assignees,
            "/api/v1/users/00uana/roles": [super_admin],
            "/api/v1/users/00uben/roles": [super_admin],
            "/api/v1/policies?type=PASSWORD": [password],
            "/api/v1/policies?type=MFA_ENROLL": [mfa],
            "/api/v1/policies?type=OKTA_SIGN_ON": [_policy("policy-okta-sign-on", "00psignon")],
            "/api/v1/policies?type=ACCESS_POLICY": [
                _policy("policy-access", "00pstrong", name="Two factors"),
                _policy("policy-access", "00pcatchall", name="Default Policy"),
            ],
            "/api/v1/policies/00ppassword/rules": example("rules-password"),
            "/api/v1/policies/00pmfa/rules": example("rules-mfa-enroll"),
            "/api/v1/policies/00psignon/rules": sign_on_rules,
            "/api/v1/policies/00pstrong/rules": strong,
            "/api/v1/policies/00pcatchall/rules": example("rules-access"),
            "/api/v1/apps?filter=status+eq+%22ACTIVE%22": [apps[0], crm],
            "/api/v1/logStreams": example("log-streams"),
        }
    )
    if shift_days:
        fake.routes.update(
            {path: json.loads(shift_dates(json.dumps(body), shift_days)) for path, body in fake.routes.items()}
        )
