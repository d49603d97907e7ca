"""The GitHub REST client every GitHub collector shares: auth, paging, rate limits.

- Auth: a token from the environment variable the target names (`token_env`,
  default GITHUB_TOKEN), or a GitHub App (`app_id`, `private_key`, `installation_id`):
  a short-lived JWT is exchanged for an installation token. That exchange is the
  only non-GET request annexa makes to GitHub; every read is a GET.
- Paging follows the `Link: <...>; rel="next"` header, as GitHub documents.
- The token goes to the configured origin only: `base_url` must be https (http on the
  loopback only, for fakes); a redirect within that origin is followed (bounded) and
  `redirects` records where each answer really came from; a redirect or a `Link` to any
  other origin is refused (`cross_origin`, naming both hosts), so another host's answer
  never becomes evidence for this organisation.
- Rate limits: a 403/429 with `Retry-After` (secondary limits) or with
  `X-RateLimit-Remaining: 0` (primary) waits and retries, and a response that
  leaves no requests waits for `X-RateLimit-Reset` before the next one; every wait
  is bounded by `max_wait`, beyond which the call fails as `rate_limited` evidence.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import requests

from annexa.collectors.jwt import rs256_jwt
from annexa.inputfiles import KEY_LIMIT, InputFileError, read_input
from annexa.origins import MAX_REDIRECTS, CrossOrigin, TooManyRedirects, check_transport, follow_within_origin, origin

__all__ = ["GitHubClient", "GitHubError", "app_jwt", "check_base_url"]

DEFAULT_BASE_URL = "https://api.github.com"
_NEXT = re.compile(r'<([^>]+)>;\s*rel="next"')
_TIMEOUT = 30
_MAX_ATTEMPTS = 4


class GitHubError(Exception):
    """One failed call: `status` (HTTP status or 0), `code` (short reason), the operation."""

    def __init__(self, operation: str, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.operation = operation
        self.status = status
        self.code = code


def check_base_url(base_url: str) -> str:
    """`base_url` without a trailing slash if the token may be sent there; ValueError otherwise."""
    return check_transport(base_url, "github option 'base_url'").rstrip("/")


def _cross_origin(operation: str, expected: str, found: str, how: str) -> GitHubError:
    return GitHubError(
        operation,
        0,
        "cross_origin",
        f"{how} leads from {origin(expected)} to another host, {origin(found)}: not followed "
        "(the token is only sent to the configured base_url)",
    )


def app_jwt(app_id: str, private_key_pem: bytes, now: float) -> str:
    """An RS256 JWT for a GitHub App, valid 9 minutes (GitHub allows 10), backdated 60s for clock skew."""
    try:
        return rs256_jwt({"iat": int(now) - 60, "exp": int(now) + 540, "iss": str(app_id)}, private_key_pem)
    except ValueError as err:
        if "RSA" in str(err):
            raise ValueError("a GitHub App private key is an RSA key") from None
        raise


class GitHubClient:
    def __init__(
        self,
        base_url: str,
        token: str,
        max_wait: float = 300.0,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.base_url = check_base_url(base_url)
        self.max_wait = max_wait
        self.principal = "unknown"
        self.redirects: list[tuple[str, str]] = []  # (requested URL, final URL) of each redirected read
        self._sleep = sleep
        self._clock = clock
        self._session = session or requests.Session()
        self._session.headers.update(
            {
                "Accept": "application/vnd.github+json",
                "X-GitHub-Api-Version": "2022-11-28",
                "User-Agent": "annexa (read-only evidence collector)",
                "Authorization": f"Bearer {token}",
            }
        )
        self._not_before = 0.0  # primary limit exhausted: no request before this time

    @classmethod
    def for_target(cls, options: Mapping[str, Any]) -> GitHubClient:
        """Build from target options; GitHubError(code=`no_credentials`) when none are usable."""
        try:
            base_url = check_base_url(str(options.get("base_url") or DEFAULT_BASE_URL))
        except ValueError as err:
            raise GitHubError("auth", 0, "bad_target", str(err)) from None
        max_wait = float(options.get("max_wait_seconds", 300))
        if "app_id" in options:
            return cls(base_url, _installation_token(base_url, options), max_wait)
        env = str(options.get("token_env") or "GITHUB_TOKEN")
        token = os.environ.get(env, "").strip()
        if not token:
            raise GitHubError("auth", 0, "no_credentials", f"no GitHub token: set {env} (or configure a GitHub App)")
        return cls(base_url, token, max_wait)

    # -- requests ------------------------------------------------------------------

    def get(self, path: str, params: Mapping[str, Any] | None = None) -> tuple[Any, requests.Response]:
        """GET one resource (JSON, response); GitHubError on any failure after bounded waits."""
        url = path if path.startswith("http") else f"{self.base_url}{path}"
        operation = f"GET {path.split('?')[0] if not path.startswith('http') else _path_of(url, self.base_url)}"
        if origin(url) != origin(self.base_url):
            raise _cross_origin(operation, self.base_url, url, "a link")
        for _attempt in range(_MAX_ATTEMPTS):
            self._wait_until(self._not_before, operation)
            response = self._fetch(url, params, operation)
            self._note_limits(response)
            delay = self._retry_delay(response)
            if delay is not None:
                self._wait(delay, operation)
                continue
            if response.status_code >= 500:
                self._wait(2.0, operation)
                continue
            if response.status_code >= 400:
                raise GitHubError(operation, response.status_code, _code(response), _message(response))
            try:
                return response.json(), response
            except ValueError:
                raise GitHubError(operation, response.status_code, "bad_response", "the response is not JSON") from None
        raise GitHubError(operation, 0, "retries_exhausted", f"gave up after {_MAX_ATTEMPTS} attempts")

    def _fetch(self, url: str, params: Mapping[str, Any] | None, operation: str) -> requests.Response:
        """One GET, following redirects only within the configured origin."""

        def send(where: str, query: Mapping[str, Any] | None) -> requests.Response:
            try:
                return self._session.get(where, params=query, timeout=_TIMEOUT, allow_redirects=False)
            except requests.RequestException as err:
                raise GitHubError(operation, 0, "unreachable", f"{type(err).__name__}: {err}") from None

        try:
            response, final = follow_within_origin(send, url, params, origin(self.base_url))
        except CrossOrigin as err:
            raise _cross_origin(operation, self.base_url, err.found, err.how) from None
        except TooManyRedirects:
            raise GitHubError(
                operation, 0, "too_many_redirects", f"more than {MAX_REDIRECTS} redirects from {url}"
            ) from None
        if final != url:
            self.redirects.append((url, final))
        return response

    def paginate(
        self,
        path: str,
        params: Mapping[str, Any] | None = None,
        key: str | None = None,
        stop: Callable[[list[Any]], bool] | None = None,
    ) -> tuple[list[Any], int]:
        """Every item of a listing (following Link rel=next) and the number of pages read.

        `key` names the list inside an object response (`{"total_count": n, "repositories": [...]}`).
        `stop(page)` true ends the listing after that page (a sorted listing past its window).
        """
        items: list[Any] = []
        pages = 0
        url: str | None = path
        query: Mapping[str, Any] | None = {"per_page": 100, **(params or {})}
        while url:
            body, response = self.get(url, query)
            pages += 1
            page = body.get(key, []) if key and isinstance(body, dict) else body
            if not isinstance(page, list):
                raise GitHubError(f"GET {path}", response.status_code, "bad_response", "expected a list")
            items.extend(page)
            if stop is not None and stop(page):
                break
            found = _NEXT.search(response.headers.get("Link", ""))
            url, query = (found.group(1), None) if found else (None, None)
            if url is not None and origin(url) != origin(self.base_url):
                raise _cross_origin(f"GET {path}", self.base_url, url, 'the Link rel="next" header')
        return items, pages

    # -- rate limits ---------------------------------------------------------------

    def _note_limits(self, response: requests.Response) -> None:
        if response.headers.get("X-RateLimit-Remaining") == "0" and response.headers.get("X-RateLimit-Reset"):
            self._not_before = float(response.headers["X-RateLimit-Reset"]) + 1

    def _retry_delay(self, response: requests.Response) -> float | None:
        if response.status_code not in (403, 429):
            return None
        retry_after = response.headers.get("Retry-After")
        if retry_after is not None and retry_after.strip().isdigit():
            return float(retry_after)
        if response.headers.get("X-RateLimit-Remaining") == "0" and response.headers.get("X-RateLimit-Reset"):
            return max(0.0, float(response.headers["X-RateLimit-Reset"]) + 1 - self._clock())
        if response.status_code == 429 or "secondary rate limit" in _message(response).lower():
            return 60.0  # GitHub's advice when a secondary limit names no time
        return None

    def _wait_until(self, moment: float, operation: str) -> None:
        if moment > self._clock():
            self._wait(moment - self._clock(), operation)

    def _wait(self, seconds: float, operation: str) -> None:
        if seconds > self.max_wait:
            raise GitHubError(
                operation,
                403,
                "rate_limited",
                f"rate limited for {seconds:.0f}s, more than max_wait_seconds {self.max_wait:.0f}",
            )
        self._sleep(seconds)
        self._not_before = 0.0  # waited: the limit that asked for it has been served


def _path_of(url: str, base_url: str) -> str:
    return url[len(base_url) :].split("?")[0] if url.startswith(base_url) else url.split("?")[0]


def _message(response: requests.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return f"HTTP {response.status_code}"
    return (
        str(body.get("message") or f"HTTP {response.status_code}")
        if isinstance(body, dict)
        else f"HTTP {response.status_code}"
    )


def _code(response: requests.Response) -> str:
    return {401: "unauthorized", 403: "forbidden", 404: "not_found", 410: "gone", 422: "unprocessable"}.get(
        response.status_code, f"http_{response.status_code}"
    )


def _installation_token(base_url: str, options: Mapping[str, Any]) -> str:
    """Exchange a GitHub App JWT for an installation token (POST: the one non-GET call)."""
    operation = "POST /app/installations/{id}/access_tokens"
    if "private_key" not in options or "installation_id" not in options:
        raise GitHubError("auth", 0, "bad_target", "a GitHub App needs app_id, private_key and installation_id")
    try:
        pem = read_input(Path(str(options["private_key"])), KEY_LIMIT, "github option 'private_key'", "a PEM key")
        token = app_jwt(str(options["app_id"]), pem, time.time())
    except ImportError:
        raise GitHubError(
            "auth", 0, "no_credentials", "GitHub App auth needs `pip install 'annexa[github-app]'`"
        ) from None
    except (OSError, ValueError, InputFileError) as err:  # InputFileError: a device, a folder, too large
        raise GitHubError("auth", 0, "bad_private_key", f"cannot use the GitHub App private key: {err}") from None
    url = f"{base_url.rstrip('/')}/app/installations/{options['installation_id']}/access_tokens"
    try:
        response = requests.post(
            url,
            headers={"Authorization": f"Bearer {token}", "Accept": "application/vnd.github+json"},
            timeout=_TIMEOUT,
            allow_redirects=False,  # the app's JWT goes to the configured host only
        )
    except requests.RequestException as err:
        raise GitHubError(operation, 0, "unreachable", f"{type(err).__name__}: {err}") from None
    if response.status_code != 201:
        raise GitHubError(operation, response.status_code, _code(response), _message(response))
    return str(response.json()["token"])
