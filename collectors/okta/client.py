"""The Okta Management API client: auth, paging, rate limits, Okta's error bodies.

- Auth: an API token (`Authorization: SSWS <token>`) from the environment variable the target
  names (`token_env`, default OKTA_API_TOKEN); or an OAuth service app (`client_id`,
  `private_key`): a client-credentials request to the org's `/oauth2/v1/token` signed with a
  private-key JWT (RFC 7523), asking only for the read scopes in operations.py. That token
  request is the only POST annexa sends to Okta; every read is a GET. An app that requires DPoP
  (proof-of-possession) tokens is not supported: the token endpoint's `invalid_dpop_proof` answer
  becomes error evidence naming it; turn DPoP off for annexa's read-only app.
- Paging follows the `Link: <...>; rel="next"` header (Okta: "treat the link as an opaque value");
  the role-assignees list pages inside its body (`_links.next.href`), as Okta's spec shows.
- The token goes to the configured origin only: `base_url` must be https (http on the loopback,
  for fakes); redirects within that origin are followed (bounded), and a redirect or a next link
  to any other origin is refused (`cross_origin`), exactly as the GitHub client does.
- Rate limits: a 429 waits until `X-Rate-Limit-Reset` (epoch seconds) and retries; an answer
  with `X-Rate-Limit-Remaining: 0` makes the next call wait for the reset. A wait longer than
  `max_wait` fails the call as `rate_limited` evidence.
- Errors keep Okta's `errorCode` and `errorSummary`, read for what they mean: 401 E0000011 (the
  token is invalid, expired or revoked), 403 E0000006 (the admin behind the token, or the
  service app's granted scopes, do not allow this read), 404 E0000007, 429 E0000047.
"""

from __future__ import annotations

import os
import re
import time
import uuid
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import requests

from annexa.collectors.jwt import rs256_jwt
from annexa.collectors.okta.operations import OPERATIONS, TOKEN_PATH, scope_of
from annexa.inputfiles import KEY_LIMIT, InputFileError, read_input
from annexa.origins import CrossOrigin, TooManyRedirects, check_transport, follow_within_origin, origin

__all__ = ["OktaClient", "OktaError", "check_base_url"]

_NEXT = re.compile(r'<([^>]+)>;\s*rel="next"')
_TIMEOUT = 30
_MAX_ATTEMPTS = 4
_MAX_PAGES = 10_000
# What Okta's error codes mean for evidence (developer.okta.com/docs/reference/error-codes).
_MEANINGS = {
    "E0000011": "the API token is invalid, expired or revoked",
    "E0000006": "the admin behind the token, or the scopes granted to the service app, do not allow this read",
    "E0000007": "not found",
    "E0000047": "rate limit exceeded",
    "E0000015": "this feature is not enabled for the org",
}


class OktaError(Exception):
    """One failed call: `status` (HTTP status or 0), `code` (Okta's errorCode or a short reason)."""

    def __init__(self, operation: str, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.operation = operation
        self.status = status
        self.code = code


def check_base_url(base_url: str) -> str:
    """The org URL (`https://acme.okta.com`) without a trailing slash; ValueError if a token may not go there."""
    return check_transport(base_url, "okta option 'base_url'").rstrip("/")


def _error(operation: str, response: requests.Response) -> OktaError:
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict) and body.get("errorCode"):
        code = str(body["errorCode"])
        summary = str(body.get("errorSummary") or "")
        meaning = _MEANINGS.get(code)
        text = f"HTTP {response.status_code} {code}: {summary}" + (f" ({meaning})" if meaning else "")
        return OktaError(operation, response.status_code, code, text)
    if isinstance(body, dict) and body.get("error"):  # the OAuth token endpoint's RFC 6749 errors
        text = f"HTTP {response.status_code} {body['error']}: {body.get('error_description') or ''}".strip()
        return OktaError(operation, response.status_code, str(body["error"]), text)
    return OktaError(operation, response.status_code, f"http_{response.status_code}", f"HTTP {response.status_code}")


class OktaClient:
    def __init__(
        self,
        base_url: str,
        authorization: str,
        max_wait: float = 300.0,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.base_url = check_base_url(base_url)
        self.max_wait = max_wait
        self.principal = "unknown"
        self._sleep = sleep
        self._clock = clock
        self._session = session or requests.Session()
        self._session.headers.update(
            {
                "Accept": "application/json",
                "User-Agent": "annexa (read-only evidence collector)",
                "Authorization": authorization,
            }
        )
        self._not_before = 0.0

    @classmethod
    def for_target(cls, options: Mapping[str, Any]) -> OktaClient:
        """Build from target options; OktaError(code=`no_credentials`) when none are usable."""
        try:
            base_url = check_base_url(str(options.get("base_url") or ""))
        except ValueError as err:
            raise OktaError("auth", 0, "bad_target", str(err)) from None
        max_wait = float(options.get("max_wait_seconds", 300))
        if "client_id" in options:
            token = _service_app_token(base_url, options)
            client = cls(base_url, f"Bearer {token}", max_wait)
            client.principal = f"okta-service-app:{options['client_id']}"
            return client
        env = str(options.get("token_env") or "OKTA_API_TOKEN")
        token = os.environ.get(env, "").strip()
        if not token:
            raise OktaError("auth", 0, "no_credentials", f"no Okta API token: set {env} (or configure a service app)")
        client = cls(base_url, f"SSWS {token}", max_wait)
        client.principal = f"okta-api-token:${env}"
        return client

    def get(self, path: str, params: Mapping[str, Any] | None = None) -> tuple[Any, requests.Response]:
        """GET one resource (JSON, response); OktaError on any failure after bounded waits."""
        url = path if path.startswith("http") else f"{self.base_url}{path}"
        relative = url[len(self.base_url) :] if url.startswith(self.base_url) else url
        declared = scope_of(relative)
        operation = f"GET {declared[0] if declared else relative.split('?')[0]}"
        if origin(url) != origin(self.base_url):
            raise OktaError(
                operation,
                0,
                "cross_origin",
                f"a link leads from {origin(self.base_url)} to another host, {origin(url)}: not followed "
                "(the token is only sent to the configured base_url)",
            )
        if declared is None and path.startswith("http"):  # a next link Okta sent to a path annexa never reads
            raise OktaError(operation, 0, "undeclared_link", f"a next link leads to {relative}: not followed")
        if declared is None:  # a programming error, not evidence: every call is declared with its scope
            raise RuntimeError(f"undeclared Okta operation {relative} (add it to okta/operations.py)")
        for _attempt in range(_MAX_ATTEMPTS):
            self._wait_until(self._not_before, operation)
            response = self._fetch(url, params, operation)
            if response.headers.get("X-Rate-Limit-Remaining") == "0":
                self._not_before = self._reset(response)
            if response.status_code == 429:
                self._wait_until(self._reset(response) or self._clock() + 60, operation)
                continue
            if response.status_code >= 500:
                self._wait(2.0, operation)
                continue
            if response.status_code >= 400:
                raise _error(operation, response)
            try:
                return response.json(), response
            except ValueError:
                raise OktaError(operation, response.status_code, "bad_response", "the response is not JSON") from None
        raise OktaError(operation, 429, "rate_limited", f"gave up after {_MAX_ATTEMPTS} attempts")

    def paginate(self, path: str, params: Mapping[str, Any] | None = None) -> tuple[list[Any], int]:
        """Every item of a listing and the number of pages read: a JSON list paged by `Link: rel="next"`,
        or an object `{"value": [...], "_links": {"next": {"href": ...}}}` paged by its own next link."""
        items: list[Any] = []
        pages = 0
        url: str | None = path
        query: Mapping[str, Any] | None = params
        while url:
            body, response = self.get(url, query)
            pages += 1
            if isinstance(body, dict) and isinstance(body.get("value"), list):
                items.extend(body["value"])
                url = ((body.get("_links") or {}).get("next") or {}).get("href")
            elif isinstance(body, list):
                items.extend(body)
                found = _NEXT.search(response.headers.get("Link", ""))
                url = found.group(1) if found else None
            else:
                raise OktaError(f"GET {path}", response.status_code, "bad_response", "expected a list")
            query = None  # the next link carries its own query
            if url is not None and origin(url) != origin(self.base_url):
                raise OktaError(
                    f"GET {path}",
                    0,
                    "cross_origin",
                    f"the next link leads from {origin(self.base_url)} to another host, {origin(url)}: not followed",
                )
            if pages >= _MAX_PAGES:
                raise OktaError(f"GET {path}", 0, "paging_loop", f"paging did not end after {pages} pages")
        return items, pages

    def _fetch(self, url: str, params: Mapping[str, Any] | None, operation: str) -> requests.Response:
        def send(where: str, query: Mapping[str, Any] | None) -> requests.Response:
            try:
                return self._session.get(where, params=query, timeout=_TIMEOUT, allow_redirects=False)
            except requests.RequestException as err:
                raise OktaError(operation, 0, "unreachable", f"{type(err).__name__}: {err}") from None

        try:
            return follow_within_origin(send, url, params, origin(self.base_url))[0]
        except CrossOrigin as err:
            raise OktaError(
                operation, 0, "cross_origin", f"{err}: not followed (the token is only sent to the configured base_url)"
            ) from None
        except TooManyRedirects as err:
            raise OktaError(operation, 0, "too_many_redirects", str(err)) from None

    def _reset(self, response: requests.Response) -> float:
        reset = response.headers.get("X-Rate-Limit-Reset", "")
        return float(reset) + 1 if reset.strip().isdigit() else 0.0

    def _wait_until(self, moment: float, operation: str) -> None:
        if moment > self._clock():
            self._wait(moment - self._clock(), operation)

    def _wait(self, seconds: float, operation: str) -> None:
        if seconds > self.max_wait:
            raise OktaError(
                operation, 429, "rate_limited", f"rate limited for {seconds:.0f}s, more than max_wait_seconds"
            )
        self._sleep(seconds)
        self._not_before = 0.0


def read_scopes() -> list[str]:
    """The scopes a service app asks for: exactly those of the reads annexa makes."""
    return sorted(set(OPERATIONS.values()))


def _service_app_token(base_url: str, options: Mapping[str, Any]) -> str:
    """Client credentials with a private-key JWT (POST to the org's token endpoint: the one non-GET call)."""
    operation = f"POST {TOKEN_PATH}"
    if "private_key" not in options:
        raise OktaError("auth", 0, "bad_target", "an Okta service app needs client_id and private_key")
    token_url = f"{base_url}{TOKEN_PATH}"
    now = int(time.time())
    claims = {
        "iss": str(options["client_id"]),
        "sub": str(options["client_id"]),
        "aud": token_url,
        "iat": now,
        "exp": now + 300,
        "jti": uuid.uuid4().hex,
    }
    try:
        pem = read_input(Path(str(options["private_key"])), KEY_LIMIT, "okta option 'private_key'", "a PEM key")
        headers = {"kid": str(options["key_id"])} if options.get("key_id") else None
        assertion = rs256_jwt(claims, pem, headers)
    except ImportError:
        needs = "Okta service app auth needs `pip install 'annexa[okta-app]'`"
        raise OktaError("auth", 0, "no_credentials", needs) from None
    except (OSError, ValueError, InputFileError) as err:
        raise OktaError("auth", 0, "bad_private_key", f"cannot use the Okta service app private key: {err}") from None
    try:
        response = requests.post(
            token_url,
            data={
                "grant_type": "client_credentials",
                "scope": " ".join(read_scopes()),
                "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                "client_assertion": assertion,
            },
            headers={"Accept": "application/json"},
            timeout=_TIMEOUT,
            allow_redirects=False,  # the assertion goes to the configured host only
        )
    except requests.RequestException as err:
        raise OktaError(operation, 0, "unreachable", f"{type(err).__name__}: {err}") from None
    if response.status_code != 200:
        raise _error(operation, response)
    try:
        return str(response.json()["access_token"])
    except (ValueError, KeyError, TypeError):
        raise OktaError(operation, 200, "bad_response", "the token response has no access_token") from None
