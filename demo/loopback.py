"""Threaded servers on 127.0.0.1 (a free port) for the demo's fakes of SaaS and cloud APIs.

`serve_handler` runs any request handler class until its block ends and stops it cleanly; every
fake in demo/ starts its server through it. `serve_json` builds the handler too, for fakes that
only supply `respond(method, path, query, headers) -> (status, headers, body)` (fleet_fake,
intune_fake).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

__all__ = ["Respond", "serve_handler", "serve_json"]

Respond = Callable[[str, str, dict[str, str], Mapping[str, str]], tuple[int, dict[str, str], Any]]


@contextmanager
def serve_json(respond: Respond) -> Iterator[str]:
    """Serve `respond` until the block ends; yields the base URL (`http://127.0.0.1:PORT`)."""

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            return None

        def _any(self) -> None:
            parts = urlsplit(self.path)
            status, headers, body = respond(self.command, parts.path, dict(parse_qsl(parts.query)), self.headers)
            raw = json.dumps(body).encode() if body is not None else b""
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(raw)))
            for key, value in headers.items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(raw)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _any

    with serve_handler(Handler) as url:
        yield url


@contextmanager
def serve_handler(handler: type[BaseHTTPRequestHandler]) -> Iterator[str]:
    """Serve `handler` until the block ends; yields the base URL (`http://127.0.0.1:PORT`)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)  # port 0: the system picks a free port
    # a short poll interval: shutdown() waits for the loop's next poll, and demos and tests stop many servers
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
