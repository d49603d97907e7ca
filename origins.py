"""Where credentials may go: the configured origin, over https (plain http on the loopback only).

A bearer token or a webhook URL is a credential. The HTTP clients send it only to the
origin (scheme, host, port) the configuration names: a redirect or a paging link to any
other origin is refused and becomes error evidence naming both, never followed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urljoin, urlsplit

__all__ = [
    "LOOPBACK",
    "MAX_REDIRECTS",
    "CrossOrigin",
    "TooManyRedirects",
    "check_transport",
    "follow_within_origin",
    "origin",
    "redirect_target",
]

LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})
MAX_REDIRECTS = 5
_DEFAULT_PORTS = {"https": 443, "http": 80}


def origin(url: str) -> str:
    """`scheme://host:port`, lower-cased, with the scheme's default port made explicit."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    try:
        port = parts.port or _DEFAULT_PORTS.get(scheme)
    except ValueError:  # a port that is not a number
        port = None
    host = (parts.hostname or "").lower()
    host = f"[{host}]" if ":" in host else host
    return f"{scheme}://{host}:{port}" if port else f"{scheme}://{host}"


def check_transport(url: str, what: str) -> str:
    """`url` if it is https (or http to the loopback, for local fakes); ValueError naming `what` otherwise.

    The message shows scheme and host only: a webhook URL's path is its secret."""
    parts = urlsplit(url) if isinstance(url, str) else None
    scheme = parts.scheme.lower() if parts else ""
    shown = f"{scheme}://{parts.hostname or ''}" if parts and scheme else repr(url)[:40]
    if parts is None or not parts.hostname or scheme not in ("https", "http"):
        raise ValueError(f"{what} must be an https:// URL, not {shown}")
    if scheme == "http" and parts.hostname.lower() not in LOOPBACK:
        raise ValueError(f"{what} must use https:// (plain http only to 127.0.0.1, localhost or ::1), not {shown}")
    return url


def redirect_target(current: str, location: str | None) -> str | None:
    """The absolute URL a 3xx answer points to (None without a Location)."""
    return urljoin(current, location) if location else None


class CrossOrigin(Exception):
    """A redirect or a paging link leads to another origin: `found` is where, `how` what led there."""

    def __init__(self, found: str, how: str) -> None:
        super().__init__(f"{how} leads to another host, {origin(found)}")
        self.found = found
        self.how = how


class TooManyRedirects(Exception):
    """More than MAX_REDIRECTS redirects, all within the origin."""


def follow_within_origin(
    send: Callable[[str, Mapping[str, Any] | None], Any], url: str, params: Mapping[str, Any] | None, allowed: str
) -> tuple[Any, str]:
    """(response, the URL that answered): `send(url, params)` makes one request without following
    redirects (a requests.Response); a redirect within `allowed` (an origin) is followed, up to
    MAX_REDIRECTS, and one to any other origin raises CrossOrigin before anything is sent there."""
    for _hop in range(MAX_REDIRECTS + 1):
        response = send(url, params)
        target = redirect_target(response.url or url, response.headers.get("Location"))
        if not response.is_redirect or target is None:
            return response, url
        if origin(target) != allowed:
            raise CrossOrigin(target, f"a redirect (HTTP {response.status_code})")
        url, params = target, None  # the Location carries its own query
    raise TooManyRedirects(f"more than {MAX_REDIRECTS} redirects")
