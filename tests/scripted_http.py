"""A scripted HTTP server on 127.0.0.1 (a free port): each path answers a fixed status, headers and
JSON body, and every request is recorded with its Authorization header. Two of them on two ports
are two origins, which is all the cross-origin tests need (redirects, paging links)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlparse

from servers import free_port

__all__ = ["Scripted", "scripted_http"]


@dataclass
class Scripted:
    url: str
    routes: dict[str, tuple[int, dict[str, str], Any]] = field(default_factory=dict)
    requests: list[tuple[str, str, str]] = field(default_factory=list)  # (method, path, Authorization)

    def answer(self, path: str, body: Any, status: int = 200, **headers: str) -> None:
        self.routes[path] = (status, {k.replace("_", "-"): v for k, v in headers.items()}, body)

    def redirect(self, path: str, location: str, status: int = 302) -> None:
        self.routes[path] = (status, {"Location": location}, {"message": "Moved"})

    @property
    def authorizations(self) -> list[str]:
        return [auth for _method, _path, auth in self.requests if auth]


@contextmanager
def scripted_http() -> Iterator[Scripted]:
    port = free_port()
    fake = Scripted(f"http://127.0.0.1:{port}")

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            return None

        def _any(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            if length:
                self.rfile.read(length)
            fake.requests.append((self.command, self.path, self.headers.get("Authorization", "")))
            status, headers, body = fake.routes.get(urlparse(self.path).path, (404, {}, {"message": "Not Found"}))
            raw = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            for key, value in headers.items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(raw)

        do_GET = _any
        do_POST = _any

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
