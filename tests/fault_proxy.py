"""A fault-injecting HTTP proxy on 127.0.0.1 in front of moto_server (or any fake).

Point AWS_ENDPOINT_URL at it; it forwards every request upstream unless a `Fault`
matches, in which case it answers with an error status, resets the connection,
hangs, or forwards but truncates or garbles the response body.
"""

from __future__ import annotations

import json
import re
import socket
import struct
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import requests

__all__ = ["Fault", "FaultProxy", "RequestInfo", "fault_proxy"]

_REGION = re.compile(r"Credential=[^/]+/\d{8}/([a-z0-9-]+)/")


@dataclass(frozen=True)
class RequestInfo:
    method: str
    path: str
    operation: str  # `ListKeys` (JSON target or query Action) or `GET /bucket?encryption` for REST
    region: str
    number: int  # 1-based count of requests the proxy has seen
    body: str  # the request body (form parameters of query APIs, JSON of JSON APIs)


@dataclass
class Fault:
    """Answer requests that `match` with `action` for the first `times` matches (None: always).

    action: "status" (status + AWS-shaped error body), "reset", "hang", "truncate", "garble".
    """

    match: Callable[[RequestInfo], bool]
    action: str
    status: int = 500
    code: str = "InternalError"
    times: int | None = None
    hits: int = field(default=0, init=False)

    def take(self, info: RequestInfo) -> bool:
        if not self.match(info) or (self.times is not None and self.hits >= self.times):
            return False
        self.hits += 1
        return True


def _operation(method: str, path: str, headers: dict[str, str], body: bytes) -> str:
    target = headers.get("x-amz-target")
    if target:
        return target.rsplit(".", 1)[-1]
    if body and headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        action = parse_qs(body.decode("utf-8", "replace")).get("Action")
        if action:
            return action[0]
    return f"{method} {path}"


class FaultProxy(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, upstream: str) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.upstream = upstream.rstrip("/")
        self.faults: list[Fault] = []
        self.seen: list[RequestInfo] = []
        self.hang_seconds = 5.0
        self._lock = threading.Lock()
        self._http = requests.Session()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def reset(self, faults: list[Fault] | None = None) -> None:
        with self._lock:
            self.faults = list(faults or [])
            self.seen = []

    def decide(self, method: str, path: str, headers: dict[str, str], body: bytes) -> tuple[RequestInfo, Fault | None]:
        region_match = _REGION.search(headers.get("authorization", ""))
        with self._lock:
            info = RequestInfo(
                method,
                path,
                _operation(method, path, headers, body),
                region_match.group(1) if region_match else "",
                len(self.seen) + 1,
                body.decode("utf-8", "replace")[:4000],
            )
            self.seen.append(info)
            return info, next((f for f in self.faults if f.take(info)), None)


class _Handler(BaseHTTPRequestHandler):
    server: FaultProxy
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - quiet test output
        return

    def _handle(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in self.headers.items()}
        info, fault = self.server.decide(self.command, self.path, headers, body)
        if fault is not None and fault.action == "reset":
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
            self.close_connection = True
            return
        if fault is not None and fault.action == "hang":
            time.sleep(self.server.hang_seconds)
            self.close_connection = True
            return
        if fault is not None and fault.action == "status":
            rest = info.operation.startswith(f"{self.command} ")
            self._reply(fault.status, _error_body(headers, fault.code, rest), _content_type(headers))
            return
        upstream = self.server._http.request(
            self.command,
            self.server.upstream + self.path,
            data=body,
            headers={k: v for k, v in self.headers.items() if k.lower() not in ("host", "content-length")},
            allow_redirects=False,
            timeout=60,
        )
        content = upstream.content
        if fault is not None and fault.action == "truncate":
            content = content[: max(1, len(content) // 2)]
        elif fault is not None and fault.action == "garble":
            content = b"\x00<<not json or xml>>" + content[:10]
        self._reply(upstream.status_code, content, upstream.headers.get("Content-Type", "application/xml"))

    def _reply(self, status: int, content: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(content)))
        self.end_headers()
        self.wfile.write(content)

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _handle


def _content_type(headers: dict[str, str]) -> str:
    return "application/x-amz-json-1.1" if "x-amz-target" in headers else "text/xml"


def _error_body(headers: dict[str, str], code: str, rest: bool) -> bytes:
    if "x-amz-target" in headers:
        return json.dumps({"__type": code, "message": "injected fault"}).encode()
    if rest:  # S3's REST error shape
        return f"<Error><Code>{code}</Code><Message>injected fault</Message></Error>".encode()
    return (
        f"<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code><Message>injected fault</Message></Error>"
        "<RequestId>fault</RequestId></ErrorResponse>"
    ).encode()


@contextmanager
def fault_proxy(upstream: str) -> Iterator[FaultProxy]:
    proxy = FaultProxy(upstream)
    thread = threading.Thread(target=proxy.serve_forever, daemon=True)
    thread.start()
    try:
        yield proxy
    finally:
        proxy.shutdown()
        proxy.server_close()
