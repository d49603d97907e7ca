"""A loopback fake of Azure Resource Manager and Microsoft Graph for tests.

One threaded HTTP server on 127.0.0.1 (a free port) serves ARM under `/arm` and Graph
under `/graph`, in the real APIs' response shapes: `value` lists with `nextLink` (ARM)
or `@odata.nextLink` (Graph) paging, `{"error": {"code", "message"}}` failures, 400 on
an ARM call without `api-version`, 401 on a token for the wrong API. Tests add faults
(403 on a path, one 429 with `Retry-After`) and read back every request it received.
"""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

__all__ = ["FakeAzure", "Request", "fake_jwt", "fake_azure"]


def fake_jwt(tenant_id: str, object_id: str, audience: str, lifetime_s: int = 3600) -> str:
    """An unsigned token with the claims annexa reads (tid, oid, exp): the fake does not verify signatures."""

    def part(obj: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).decode().rstrip("=")

    claims = {"tid": tenant_id, "oid": object_id, "aud": audience, "exp": int(time.time()) + lifetime_s}
    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims)}.c2lnbmF0dXJl"


@dataclass(frozen=True)
class Request:
    method: str
    api: str  # "arm" or "graph"
    path: str
    query: dict[str, str]
    authorization: str


@dataclass
class FakeAzure:
    arm_token: str
    graph_token: str
    base_url: str = ""
    documents: dict[tuple[str, str], Any] = field(default_factory=dict)
    lists: dict[tuple[str, str], tuple[list[Any], int]] = field(default_factory=dict)
    denied: dict[tuple[str, str], str] = field(default_factory=dict)
    throttle_once: dict[tuple[str, str], str] = field(default_factory=dict)
    requests: list[Request] = field(default_factory=list)
    no_premium: bool = False
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def arm_endpoint(self) -> str:
        return f"{self.base_url}/arm"

    @property
    def graph_endpoint(self) -> str:
        return f"{self.base_url}/graph"

    def document(self, api: str, path: str, body: Any) -> None:
        self.documents[(api, path)] = body

    def collection(self, api: str, path: str, items: list[Any], page_size: int = 100) -> None:
        self.lists[(api, path)] = (items, page_size)

    def deny(self, api: str, path: str, code: str = "AuthorizationFailed") -> None:
        self.denied[(api, path)] = code

    def throttle(self, api: str, path: str, retry_after: str = "1") -> None:
        self.throttle_once[(api, path)] = retry_after

    def methods(self) -> set[str]:
        return {r.method for r in self.requests}

    # --- serving ----------------------------------------------------------------------
    def respond(self, method: str, raw_path: str, authorization: str) -> tuple[int, dict[str, str], Any]:
        url = urlsplit(raw_path)
        api, _, path = url.path.lstrip("/").partition("/")
        path = "/" + path
        query = dict(parse_qsl(url.query, keep_blank_values=True))
        with self._lock:
            self.requests.append(Request(method, api, path, query, authorization))
        if method != "GET":
            return 405, {}, _error("MethodNotAllowed", f"the fake serves reads only, got {method}")
        expected = {"arm": self.arm_token, "graph": self.graph_token}.get(api)
        if expected is None:
            return 404, {}, _error("NotFound", f"no API at /{api}")
        if authorization != f"Bearer {expected}":
            return 401, {}, _error("InvalidAuthenticationToken", "The access token is invalid for this audience.")
        if api == "arm" and "api-version" not in query:
            return 400, {}, _error("MissingApiVersionParameter", "The api-version query parameter is required.")
        key = (api, path)
        with self._lock:
            retry_after = self.throttle_once.pop(key, None)
        if retry_after is not None:
            return 429, {"Retry-After": retry_after}, _error("TooManyRequests", "Rate limit exceeded; retry later.")
        if key in self.denied:
            return (
                403,
                {},
                _error(self.denied[key], f"The client does not have authorization to perform GET over {path}."),
            )
        if (
            api == "graph"
            and path == "/v1.0/users"
            and "signInActivity" in query.get("$select", "")
            and self.no_premium
        ):
            return (
                403,
                {},
                _error(
                    "Authentication_RequestFromNonPremiumTenantOrB2CTenant",
                    "Neither tenant is B2C or tenant doesn't have premium license",
                ),
            )
        if key in self.documents:
            return 200, {}, self.documents[key]
        if key in self.lists:
            return 200, {}, self._page(api, url.path, query, *self.lists[key])
        return 404, {}, _error("ResourceNotFound", f"The resource {path} was not found.")

    def _page(self, api: str, full_path: str, query: dict[str, str], items: list[Any], size: int) -> dict[str, Any]:
        start = int(query.get("$skiptoken", "0"))
        body: dict[str, Any] = {"value": items[start : start + size]}
        if start + size < len(items):
            next_query = urlencode({**query, "$skiptoken": str(start + size)}, safe="$,'")
            body["nextLink" if api == "arm" else "@odata.nextLink"] = f"{self.base_url}{full_path}?{next_query}"
        if api == "graph":
            body["@odata.context"] = f"{self.base_url}/graph/v1.0/$metadata#{full_path.rsplit('/', 1)[-1]}"
        return body


def _error(code: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message}}


@contextmanager
def fake_azure(world: FakeAzure) -> Iterator[FakeAzure]:
    """Serve `world` on 127.0.0.1 until the block ends."""

    class Handler(BaseHTTPRequestHandler):
        def _serve(self) -> None:
            status, headers, body = world.respond(self.command, self.path, self.headers.get("Authorization", ""))
            payload = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(payload)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _serve

        def log_message(self, *args: Any) -> None:  # keep test output clean
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)  # the OS picks a free port
    world.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield world
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
