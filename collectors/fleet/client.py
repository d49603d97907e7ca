"""The read-only client of Fleet's REST API (docs/REST API/rest-api.md in fleetdm/fleet).

- Auth: an API token (`Authorization: Bearer <token>`, "Retrieve your API token") read from
  the environment variable the target names (`token_env`, default FLEET_API_TOKEN); an API-only
  user with the Observer role can read everything annexa asks for.
- Paging: Fleet pages by page number (`page`, 0-based, and `per_page`); the listing ends at the
  first page shorter than `per_page` (Fleet's `meta.has_next_results` is not on every listing).
- Rate limits: a 429 carries `retry-after: N` seconds ("Too many requests / Rate limiting");
  annexa waits (at most `max_wait_seconds`) and retries; a 5xx is retried a few times.
- The token goes to the configured origin only (https; http on the loopback for fakes): a
  redirect is never followed, it is an error naming where it led.
- Only GET: no code path here can change a Fleet server.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping
from typing import Any

import requests

from annexa.origins import check_transport, origin, redirect_target

__all__ = ["FleetClient", "FleetError", "check_base_url"]

DEFAULT_TOKEN_ENV = "FLEET_API_TOKEN"
DEFAULT_PER_PAGE = 100
_TIMEOUT = (10.0, 60.0)
_ATTEMPTS = 4
_MAX_PAGES = 100_000  # a listing that never returns a short page must end somewhere


class FleetError(Exception):
    """One failed call: the operation (a path template), HTTP status (0 when none) and a short code."""

    def __init__(self, operation: str, status: int, code: str, message: str) -> None:
        super().__init__(" ".join(message.split())[:400])
        self.operation = operation
        self.status = status
        self.code = code


def check_base_url(url: Any) -> str:
    """`base_url` without a trailing slash when the token may go there; ValueError otherwise."""
    return check_transport(url, "fleet option 'base_url'").rstrip("/")


def _message(response: requests.Response) -> str:
    """Fleet's error body: {"message": ..., "errors": [{"name": ..., "reason": ...}]} (API errors)."""
    try:
        body = response.json()
    except ValueError:
        return f"HTTP {response.status_code}"
    if not isinstance(body, dict):
        return f"HTTP {response.status_code}"
    reasons = [str(e.get("reason")) for e in body.get("errors") or [] if isinstance(e, dict) and e.get("reason")]
    message = str(body.get("message") or f"HTTP {response.status_code}")
    return f"{message}: {'; '.join(reasons)}" if reasons and reasons != [message] else message


_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found", 422: "unprocessable"}


class FleetClient:
    def __init__(
        self,
        base_url: str,
        token: str,
        max_wait: float = 300.0,
        per_page: int = DEFAULT_PER_PAGE,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.base_url = check_base_url(base_url)
        self.max_wait = max_wait
        self.per_page = per_page
        self.calls = 0
        self._sleep = sleep
        self._session = session or requests.Session()
        self._session.headers.update(
            {
                "Authorization": f"Bearer {token}",
                "Accept": "application/json",
                "User-Agent": "annexa (read-only evidence collector)",
            }
        )

    @classmethod
    def for_target(cls, options: Mapping[str, Any]) -> FleetClient:
        """Built from target options; FleetError(code `bad_target` or `no_credentials`) when unusable."""
        try:
            base_url = check_base_url(options.get("base_url"))
        except ValueError as err:
            raise FleetError("auth", 0, "bad_target", str(err)) from None
        env = str(options.get("token_env") or DEFAULT_TOKEN_ENV)
        token = os.environ.get(env, "").strip()
        if not token:
            raise FleetError("auth", 0, "no_credentials", f"no Fleet API token: set {env}")
        return cls(
            base_url,
            token,
            max_wait=float(options.get("max_wait_seconds", 300)),
            per_page=int(options.get("per_page", DEFAULT_PER_PAGE)),
        )

    def get(self, template: str, params: Mapping[str, Any] | None = None, **path: Any) -> Any:
        """GET one document (its JSON body); FleetError on any failure after bounded retries."""
        operation = f"GET {template}"
        url = self.base_url + template.format(**path)
        for _attempt in range(_ATTEMPTS):
            try:
                self.calls += 1
                response = self._session.get(url, params=params, timeout=_TIMEOUT, allow_redirects=False)
            except requests.RequestException as err:
                raise FleetError(operation, 0, "unreachable", f"{type(err).__name__}: {err}") from None
            if response.is_redirect:
                target = redirect_target(url, response.headers.get("Location")) or "(no Location)"
                raise FleetError(
                    operation,
                    response.status_code,
                    "redirect",
                    f"HTTP {response.status_code} redirects to {origin(target)}: not followed "
                    "(the token goes to the configured base_url only)",
                )
            if response.status_code == 429:
                self._wait(_retry_after(response.headers.get("Retry-After")), operation)
                continue
            if response.status_code >= 500:
                self._wait(2.0, operation)
                continue
            if response.status_code >= 400:
                code = _CODES.get(response.status_code, f"http_{response.status_code}")
                raise FleetError(operation, response.status_code, code, _message(response))
            try:
                return response.json()
            except ValueError:
                raise FleetError(operation, response.status_code, "bad_response", "the response is not JSON") from None
        raise FleetError(operation, 0, "retries_exhausted", f"gave up after {_ATTEMPTS} attempts")

    def pages(self, template: str, key: str, params: Mapping[str, Any] | None = None) -> tuple[list[Any], int]:
        """Every item of a page-numbered listing (`key` names the list in each page) and the pages read."""
        items: list[Any] = []
        for page in range(_MAX_PAGES):
            body = self.get(template, {**(params or {}), "page": page, "per_page": self.per_page})
            batch = body.get(key) if isinstance(body, dict) else None
            if not isinstance(batch, list):
                raise FleetError(f"GET {template}", 200, "bad_response", f"the response has no `{key}` list")
            items.extend(batch)
            if len(batch) < self.per_page:
                return items, page + 1
        raise FleetError(f"GET {template}", 200, "paging_loop", f"no short page after {_MAX_PAGES} pages")

    def _wait(self, seconds: float, operation: str) -> None:
        if seconds > self.max_wait:
            raise FleetError(
                operation, 429, "rate_limited", f"rate limited for {seconds:.0f}s, more than max_wait_seconds"
            )
        self._sleep(seconds)


def _retry_after(value: str | None) -> float:
    """Fleet sends whole seconds; anything else waits a default second."""
    try:
        return max(0.0, float(value)) if value is not None else 1.0
    except ValueError:
        return 1.0
