"""One small, read-only REST client for Azure Resource Manager and Microsoft Graph.

Why not the azure-mgmt SDKs: a dozen packages for a handful of GETs. This client
does what they would do for us and no more: a bearer token for the API's scope
from an azure-identity credential, `nextLink` / `@odata.nextLink` paging, bounded
retries on 429 and 5xx that honour `Retry-After`, timeouts, and a hard refusal
of every method but GET, so no code path can change a tenant. The token goes to the
endpoint's origin only (https; http on the loopback for fakes): a redirect within it is
followed and the reply records the final URL; a redirect or `nextLink` to any other
origin is refused (`CrossOriginRedirect`, `BadNextLink`), naming both hosts.

Every failure raises `AzureCallError` carrying the operation as a path template
(`GET /subscriptions/{subscription}/providers/Microsoft.Storage/storageAccounts`),
the HTTP status and Azure's error code and message. Tokens never appear in it.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlencode

import requests
from azure.core.credentials import AccessToken, TokenCredential
from azure.core.exceptions import ClientAuthenticationError

from annexa.collectors.replies import Reply
from annexa.model import CollectionError, Source
from annexa.origins import MAX_REDIRECTS, check_transport, origin, redirect_target

__all__ = ["AzureCallError", "ReadOnlyViolation", "Reply", "RestApi", "scope_for", "token_claims"]

READ_METHODS = frozenset({"GET"})
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
_TOKEN_REFRESH_MARGIN_S = 300
_MAX_PAGES = 10_000  # a nextLink loop must end somewhere
_MAX_MESSAGE = 400


class ReadOnlyViolation(RuntimeError):
    """A programming error: something asked the client for a method that could change state."""


class AzureCallError(Exception):
    """A failed call, carrying the operation until a collector knows the kinds and scope."""

    def __init__(self, operation: str, message: str, status: int | None = None, code: str | None = None) -> None:
        self.operation = operation
        self.status = status
        self.code = code or (f"HTTP{status}" if status else "RequestFailed")
        self.message = " ".join(message.split())[:_MAX_MESSAGE]
        super().__init__(f"{operation}: {self.code}: {self.message}")

    def to_collection_error(
        self, kinds: tuple[str, ...], scope: Mapping[str, str], resource: str | None = None
    ) -> CollectionError:
        status = f"HTTP {self.status} " if self.status else ""
        return CollectionError(
            kinds=kinds,
            scope=dict(scope),
            message=f"{self.operation} failed: {status}{self.code}: {self.message}",
            operation=self.operation,
            code=self.code,
            resource=resource,
        )


def token_claims(token: str) -> dict[str, Any]:
    """The claims of a JWT access token, read without verifying it: only to name the
    principal (`oid`, `tid`) in the evidence. Empty for an opaque token."""
    parts = token.split(".")
    if len(parts) != 3:
        return {}
    try:
        payload = base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4))
        claims = json.loads(payload)
    except (ValueError, UnicodeDecodeError):
        return {}
    return claims if isinstance(claims, dict) else {}


def scope_for(endpoint: str) -> str:
    """The token scope of an API endpoint: `https://graph.microsoft.us` -> `https://graph.microsoft.us/.default`."""
    return endpoint.rstrip("/") + "/.default"


def _retry_after(value: str | None) -> float | None:
    """`Retry-After` as seconds: a number, or an HTTP date."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - datetime.now(timezone.utc)).total_seconds())


def _error_of(response: requests.Response) -> tuple[str | None, str]:
    """Azure's error code and message: ARM and Graph both use {"error": {"code", "message"}}."""
    try:
        body = response.json()
    except ValueError:
        return None, response.text or response.reason or ""
    error = body.get("error", body) if isinstance(body, dict) else {}
    if isinstance(error, dict):
        return error.get("code"), str(error.get("message") or response.reason or "")
    return None, str(error)


class RestApi:
    """One API (ARM or Graph) at one endpoint, authorised for the endpoint's `/.default` scope.

    The scope follows the endpoint, so a sovereign cloud works by configuring its
    endpoints (`https://management.chinacloudapi.cn` -> `https://management.chinacloudapi.cn/.default`).
    """

    def __init__(
        self,
        name: str,
        endpoint: str,
        credential: TokenCredential,
        *,
        tenant_id: str | None = None,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
        attempts: int = 4,
        timeout: tuple[float, float] = (10.0, 60.0),
        max_wait_s: float = 60.0,
    ) -> None:
        self.name = name
        self.endpoint = check_transport(endpoint, f"the {name} endpoint").rstrip("/")
        self.scope = scope_for(self.endpoint)
        self._credential = credential
        self._tenant_id = tenant_id
        self._session = session or requests.Session()
        self._sleep = sleep
        self._attempts = attempts
        self._timeout = timeout
        self._max_wait_s = max_wait_s
        self._token: AccessToken | None = None

    # --- identity ---------------------------------------------------------------------
    def token(self) -> str:
        """A bearer token for this API, refreshed shortly before it expires."""
        if self._token is None or self._token.expires_on - _TOKEN_REFRESH_MARGIN_S < time.time():
            kwargs: dict[str, Any] = {"tenant_id": self._tenant_id} if self._tenant_id else {}
            try:
                self._token = self._credential.get_token(self.scope, **kwargs)
            except ClientAuthenticationError as exc:
                raise AzureCallError(
                    f"token for {self.scope}", str(exc.message or exc), code=type(exc).__name__
                ) from exc
        return self._token.token

    def principal(self) -> tuple[str, str]:
        """(tenant id, object id) of the caller, from the token's `tid` and `oid` claims."""
        claims = token_claims(self.token())
        return str(claims.get("tid") or ""), str(claims.get("oid") or "")

    def source(self, replies: Iterable[Reply], principal: str) -> Source:
        replies = list(replies)
        return Source(
            operations=tuple(dict.fromkeys(f"GET {reply.url}" for reply in replies)),
            principal=principal,
            pages=sum(reply.pages for reply in replies),
            endpoint=self.endpoint,
        )

    # --- reads ------------------------------------------------------------------------
    def get(self, template: str, params: Mapping[str, str] | None = None, **path: str) -> Reply:
        """GET one document. `template` names the operation in errors; `path` fills it."""
        operation = f"GET {template}"
        body, url = self._json(operation, self._url(template, params, path))
        return Reply(body, url)

    def list(self, template: str, params: Mapping[str, str] | None = None, **path: str) -> Reply:
        """GET a collection: every page's `value` items, following `nextLink` / `@odata.nextLink`."""
        operation = f"GET {template}"
        first: str | None = None
        url: str | None = self._url(template, params, path)
        items: list[Any] = []
        seen: set[str] = set()
        pages = 0
        while url:
            if url in seen or pages >= _MAX_PAGES:
                raise AzureCallError(operation, f"paging did not end after {pages} pages", code="PagingLoop")
            seen.add(url)
            body, final = self._json(operation, url)
            first = first or final
            pages += 1
            if not isinstance(body, dict) or not isinstance(body.get("value", []), list):
                raise AzureCallError(operation, "the response has no `value` list", code="InvalidResponse")
            items.extend(body.get("value", []))
            url = body.get("nextLink") or body.get("@odata.nextLink")
            if url is not None and not isinstance(url, str):
                raise AzureCallError(operation, "the response's nextLink is not a URL", code="InvalidResponse")
            if url and origin(url) != origin(self.endpoint):
                # never send the token to a host the endpoint did not name
                raise AzureCallError(
                    operation,
                    f"nextLink leads from {origin(self.endpoint)} to another host, {origin(url)}: not followed",
                    code="BadNextLink",
                )
        return Reply(items, first or "", pages)

    def _url(self, template: str, params: Mapping[str, str] | None, path: Mapping[str, str]) -> str:
        url = self.endpoint + template.format(**path)
        return f"{url}?{urlencode(params, safe='$,')}" if params else url

    def _json(self, operation: str, url: str) -> tuple[Any, str]:
        """The JSON body and the URL that answered (the last one when redirected within the origin)."""
        response = self._send("GET", operation, url)
        try:
            return response.json(), response.url or url
        except ValueError:
            raise AzureCallError(
                operation, "the response is not JSON", response.status_code, "InvalidResponse"
            ) from None

    def _send(self, method: str, operation: str, url: str) -> requests.Response:
        """One call, following redirects only within the endpoint's origin."""
        requested = url
        for _hop in range(MAX_REDIRECTS + 1):
            response = self._attempt(method, operation, url)
            target = redirect_target(url, response.headers.get("Location"))
            if not response.is_redirect or target is None:
                return response
            if origin(target) != origin(self.endpoint):
                raise AzureCallError(
                    operation,
                    f"HTTP {response.status_code} redirects from {origin(self.endpoint)} to another host, "
                    f"{origin(target)}: not followed (the token goes to the configured endpoint only)",
                    response.status_code,
                    "CrossOriginRedirect",
                )
            url = target
        message = f"more than {MAX_REDIRECTS} redirects from {requested}"
        raise AzureCallError(operation, message, code="TooManyRedirects")

    def _attempt(self, method: str, operation: str, url: str) -> requests.Response:
        if method not in READ_METHODS:
            raise ReadOnlyViolation(f"annexa is read-only: refusing {method} {url}")
        for attempt in range(1, self._attempts + 1):
            headers = {"Authorization": f"Bearer {self.token()}", "Accept": "application/json"}
            wait: float | None
            try:
                response = self._session.request(
                    method, url, headers=headers, timeout=self._timeout, allow_redirects=False
                )
            except requests.RequestException as exc:
                if attempt == self._attempts:
                    raise AzureCallError(operation, str(exc) or type(exc).__name__, code=type(exc).__name__) from None
                wait = None
            else:
                if 200 <= response.status_code < 300 or response.is_redirect:
                    return response
                if response.status_code not in RETRY_STATUSES or attempt == self._attempts:
                    code, message = _error_of(response)
                    raise AzureCallError(operation, message, response.status_code, code)
                wait = _retry_after(response.headers.get("Retry-After"))
            self._sleep(min(self._max_wait_s, wait if wait is not None else 2.0 ** (attempt - 1)))
        raise AssertionError("unreachable: the last attempt returns or raises")
