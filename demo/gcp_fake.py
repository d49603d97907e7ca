"""A fake Google Cloud on 127.0.0.1 (`annexa demo` serves it, hence a package module; the tests reuse
it through tests/fakes/gcp.py): every API under `<endpoint>/<service>/...`, as the gcp
target's `endpoint:` option addresses it.

It serves what a test stores (documents and paged lists), pages every list through
`nextPageToken`, checks the bearer token, records every request (method, service, path, query,
token) so tests can prove what the collectors called, and answers faults in Google's own error
shapes:

- SERVICE_DISABLED: google.rpc.ErrorInfo as googleapis/googleapis `google/api/error_reason.proto`
  documents it (reason SERVICE_DISABLED, domain googleapis.com, metadata service/consumer), inside the
  JSON error of the API design guide (cloud.google.com/apis/design/errors: code, message, status, details).
- PERMISSION_DENIED: the same envelope with status PERMISSION_DENIED and ErrorInfo reason
  IAM_PERMISSION_DENIED (domain iam.googleapis.com, metadata permission).
- 429 RESOURCE_EXHAUSTED with Retry-After; 404 NOT_FOUND for anything not stored.

Impersonation: `POST /iamcredentials/v1/projects/-/serviceAccounts/<email>:generateAccessToken`
answers an access token (iamcredentials v1 GenerateAccessTokenResponse: accessToken, expireTime)
that the fake then accepts, so a test can see which principal made each read.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from annexa.demo.loopback import serve_handler
from annexa.demo.sources import Served

__all__ = ["FakeGoogle", "Request", "fake_google", "list_key", "serve"]

# Query parameters that select what a list returns (others, like pageToken, do not).
_SELECTORS = ("parent", "project")


@dataclass(frozen=True)
class Request:
    method: str
    service: str
    path: str
    query: dict[str, str]
    token: str


def list_key(service: str, path: str, **selectors: str) -> tuple[str, str, tuple[tuple[str, str], ...]]:
    return (service, path, tuple(sorted(selectors.items())))


@dataclass
class FakeGoogle:
    tokens: set[str] = field(default_factory=lambda: {"fake-adc-token"})
    base_url: str = ""
    documents: dict[tuple[str, str], Any] = field(default_factory=dict)
    policies: dict[tuple[str, str], Any] = field(default_factory=dict)  # POST :getIamPolicy bodies
    pages: dict[tuple[str, str, tuple[tuple[str, str], ...]], list[dict[str, Any]]] = field(default_factory=dict)
    faults: dict[tuple[str, str], tuple[int, dict[str, Any]]] = field(default_factory=dict)
    throttled: dict[tuple[str, str], tuple[int, int, str | None]] = field(default_factory=dict)
    requests: list[Request] = field(default_factory=list)
    impersonation_grants: set[str] = field(default_factory=set)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    # --- storing ----------------------------------------------------------------------
    def document(self, service: str, path: str, body: Any) -> None:
        self.documents[(service, path)] = body

    def policy(self, path: str, body: Any) -> None:
        self.policies[("cloudresourcemanager", path)] = body

    def collection(
        self, service: str, path: str, field_name: str, items: list[Any], page_size: int = 1, **selectors: str
    ) -> None:
        """A list served `page_size` items per page (one by default, so every list of two or more items
        pages), each page but the last with a nextPageToken."""
        chunks = [items[at : at + page_size] for at in range(0, len(items), page_size)] or [[]]
        self.pages[list_key(service, path, **selectors)] = [{field_name: chunk} if chunk else {} for chunk in chunks]

    def paged(self, service: str, path: str, bodies: list[dict[str, Any]], **selectors: str) -> None:
        """A list given as its page bodies (aggregated lists, whose items are a map)."""
        self.pages[list_key(service, path, **selectors)] = bodies

    def disable(self, service: str, path: str, consumer: str = "projects/123456789012") -> None:
        api = f"{service}.googleapis.com"
        message = (
            f"{api} has not been used in project {consumer.split('/')[-1]} before or it is disabled. "
            f"Enable it by visiting https://console.developers.google.com/apis/api/{api}/overview then retry."
        )
        detail = {
            "reason": "SERVICE_DISABLED",
            "domain": "googleapis.com",
            "metadata": {"service": api, "consumer": consumer},
        }
        self.faults[(service, path)] = (403, _error(403, message, "PERMISSION_DENIED", detail))

    def deny(self, service: str, path: str, permission: str = "") -> None:
        message = f"Permission '{permission or 'denied'}' denied on resource (or it may not exist)."
        detail = {
            "reason": "IAM_PERMISSION_DENIED",
            "domain": "iam.googleapis.com",
            "metadata": {"permission": permission},
        }
        self.faults[(service, path)] = (403, _error(403, message, "PERMISSION_DENIED", detail))

    def throttle(
        self, service: str, path: str, times: int = 1, status: int = 429, retry_after: str | None = "0"
    ) -> None:
        """Answer `status` (429 RESOURCE_EXHAUSTED, or 503 UNAVAILABLE) `times` times first."""
        self.throttled[(service, path)] = (times, status, retry_after)

    # --- reading what happened --------------------------------------------------------
    def calls(self) -> list[tuple[str, str, str]]:
        return [(r.method, r.service, r.path) for r in self.requests]

    # --- serving ----------------------------------------------------------------------
    def respond(self, method: str, raw: str, authorization: str, body: bytes) -> tuple[int, dict[str, str], Any]:
        parts = urlsplit(raw)
        service, _, rest = parts.path.lstrip("/").partition("/")
        path = "/" + rest
        query = dict(parse_qsl(parts.query))
        token = authorization.removeprefix("Bearer ").strip()
        with self._lock:
            self.requests.append(Request(method, service, path, query, token))
        if token not in self.tokens:
            return 401, {}, _error(401, "Request had invalid authentication credentials.", "UNAUTHENTICATED")
        if service == "iamcredentials" and method == "POST" and path.endswith(":generateAccessToken"):
            return self._impersonate(path)
        with self._lock:
            left, status, retry_after = self.throttled.get((service, path), (0, 429, None))
            if left:
                self.throttled[(service, path)] = (left - 1, status, retry_after)
                headers = {"Retry-After": retry_after} if retry_after is not None else {}
                if status == 429:
                    return 429, headers, _error(429, "Quota exceeded.", "RESOURCE_EXHAUSTED")
                return status, headers, _error(status, "The service is currently unavailable.", "UNAVAILABLE")
        if (service, path) in self.faults:
            status, error = self.faults[(service, path)]
            return status, {}, error
        if method == "POST" and path.endswith(":getIamPolicy") and (service, path) in self.policies:
            return 200, {}, self.policies[(service, path)]
        if method != "GET":
            return 405, {}, _error(405, f"{method} is not served by this fake", "UNIMPLEMENTED")
        selectors = {k: v for k, v in query.items() if k in _SELECTORS}
        key = list_key(service, path, **selectors)
        if key in self.pages:
            bodies = self.pages[key]
            at = int(query.get("pageToken", "0").removeprefix("page-") or 0)
            page = dict(bodies[at])
            if at + 1 < len(bodies):
                page["nextPageToken"] = f"page-{at + 1}"
            return 200, {}, page
        if (service, path) in self.documents:
            return 200, {}, self.documents[(service, path)]
        return 404, {}, _error(404, f"The requested resource {path} was not found.", "NOT_FOUND")

    def _impersonate(self, path: str) -> tuple[int, dict[str, str], Any]:
        account = path.rsplit("/", 1)[-1].removesuffix(":generateAccessToken")
        if account not in self.impersonation_grants:
            return 403, {}, _error(403, "Permission 'iam.serviceAccounts.getAccessToken' denied", "PERMISSION_DENIED")
        token = f"impersonated:{account}"
        self.tokens.add(token)
        expire = (datetime.now(timezone.utc) + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
        return 200, {}, {"accessToken": token, "expireTime": expire}


def _error(code: int, message: str, status: str, info: dict[str, Any] | None = None) -> dict[str, Any]:
    error: dict[str, Any] = {"code": code, "message": message, "status": status}
    if info is not None:
        error["details"] = [{"@type": "type.googleapis.com/google.rpc.ErrorInfo", **info}]
    return {"error": error}


@contextmanager
def fake_google(world: FakeGoogle) -> Iterator[FakeGoogle]:
    """Serve `world` on 127.0.0.1 until the block ends."""

    class Handler(BaseHTTPRequestHandler):
        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            status, headers, answer = world.respond(
                self.command, self.path, self.headers.get("Authorization", ""), body
            )
            payload = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(payload)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

        def log_message(self, *args: Any) -> None:  # keep test output clean
            return None

    with serve_handler(Handler) as url:
        world.base_url = url
        yield world


@contextmanager
def serve(shift_days: int) -> Iterator[Served]:
    """The demo's Google Cloud organisation (demo/gcp_world.py), for demo/sources.py. Its dates are
    relative to today already (`shift_days` is not needed)."""
    from annexa.demo.gcp_world import TOKEN, new_world, seed  # gcp_world imports this module

    with fake_google(seed(new_world())) as world:
        yield Served(
            "a fake Google Cloud organisation", {"http://127.0.0.1:8770": world.base_url}, {"GCP_ACCESS_TOKEN": TOKEN}
        )
