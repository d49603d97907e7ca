"""Where credentials may go: the configured origin, over https (plain http on the loopback only).

A bearer token or a webhook URL is a credential. The HTTP clients send it only to the
origin (scheme, host, port) the configuration names: a redirect or a paging link to any
other origin is refused and becomes error evidence naming both, never followed.
"""

from __future__ import annotations

from urllib.parse import urljoin, urlsplit

__all__ = ["LOOPBACK", "MAX_REDIRECTS", "check_transport", "origin", "redirect_target"]

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
