"""One small, read-only REST client for Google Cloud APIs, on google-auth's AuthorizedSession.

Why not google-api-python-client: its discovery client builds each API from a discovery document
(fetched or cached, several megabytes for Compute) to make a few dozen GETs; the Cloud Client
Libraries are one package per service. AuthorizedSession is a requests.Session that adds and
refreshes the OAuth token (ADC, impersonation): what annexa needs, and no more.

The client: refuses any operation not declared in operations.py (so the least-privilege role can
be proven to cover every call) and any method but GET, or POST for the documented read-only
`getIamPolicy`; pages every list through `nextPageToken`/`pageToken`; retries 429 (30 s apart,
Google's documented minimum, unless `Retry-After` says otherwise) and 5xx (1 s, 2 s, 4 s); never
follows a redirect (the token goes to the API's origin only); and turns every failure into
`GcpCallError` with Google's status and reason:

- 403 with reason `SERVICE_DISABLED` (google.rpc.ErrorInfo): the API is not enabled in the project.
  annexa then cannot tell what the service holds, so it is an error naming the API to enable,
  never "no resources": a disabled API does not prove that no resource exists (Cloud Storage
  buckets, for one, outlive a disabled JSON API; Service Usage docs, "Disabling services").
- 403 `PERMISSION_DENIED` / `forbidden`: the principal lacks the permission; the error names it.
- 404 `NOT_FOUND`: the resource is gone or never existed: an error for what was asked.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Mapping
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import quote, urlencode

import requests
from google.auth.credentials import Credentials
from google.auth.exceptions import GoogleAuthError
from google.auth.transport.requests import AuthorizedSession

from annexa.collectors.gcp.operations import Operation, operation
from annexa.collectors.replies import Reply
from annexa.model import CollectionError, Source

__all__ = ["GcpCallError", "GoogleApis", "ReadOnlyViolation", "Reply"]

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
# Google's minimum retry interval for 429 quota errors when no Retry-After says otherwise (Service
# Usage docs, "Troubleshoot issues": 30 seconds for 429, 1 second for 500 and 503).
_QUOTA_WAIT_S = 30.0
_MAX_PAGES = 10_000
_MAX_MESSAGE = 400


class ReadOnlyViolation(RuntimeError):
    """A programming error: a call that could change state, or one nobody declared."""


class GcpCallError(Exception):
    """A failed call, carrying the operation until a collector knows the kinds and scope."""

    def __init__(
        self, operation: str, message: str, status: int | None = None, code: str | None = None, api: str = ""
    ) -> None:
        self.operation = operation
        self.status = status
        self.code = code or (f"HTTP{status}" if status else "RequestFailed")
        self.message = " ".join(message.split())[:_MAX_MESSAGE]
        self.api = api
        super().__init__(f"{operation}: {self.code}: {self.message}")

    def explained(self) -> str:
        status = f"HTTP {self.status} " if self.status else ""
        hint = ""
        if self.code == "SERVICE_DISABLED":
            hint = f" (annexa cannot tell what this API holds until {self.api or 'the API'} is enabled in the project)"
        return f"{self.operation} failed: {status}{self.code}: {self.message}{hint}"

    def to_collection_error(
        self, kinds: Iterable[str], scope: Mapping[str, str], resource: str | None = None
    ) -> CollectionError:
        return CollectionError(
            kinds=tuple(kinds),
            scope=dict(scope),
            message=self.explained(),
            operation=self.operation,
            code=self.code,
            resource=resource,
        )


def _error_of(response: requests.Response) -> tuple[str | None, str, str]:
    """(reason, message, api) from Google's error body: the google.rpc.ErrorInfo `reason`
    (SERVICE_DISABLED, IAM_PERMISSION_DENIED...) when given, else `status` (PERMISSION_DENIED),
    else the JSON API's `errors[0].reason` (Cloud Storage, BigQuery: `forbidden`, `notFound`)."""
    try:
        body = response.json()
    except ValueError:
        return None, response.text or response.reason or "", ""
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return None, str(body)[:_MAX_MESSAGE], ""
    reason, api = None, ""
    for detail in error.get("details") or []:
        if isinstance(detail, dict) and str(detail.get("@type", "")).endswith("google.rpc.ErrorInfo"):
            reason = detail.get("reason")
            api = str((detail.get("metadata") or {}).get("service") or "")
            break
    errors = error.get("errors")
    legacy = errors[0].get("reason") if isinstance(errors, list) and errors and isinstance(errors[0], dict) else None
    return reason or error.get("status") or legacy, str(error.get("message") or response.reason or ""), api


def _retry_after(value: str | None) -> float | None:
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
    return max(0.0, when.timestamp() - time.time())


class GoogleApis:
    """Every Google API, at `https://<service>.googleapis.com`, or at `<endpoint>/<service>` when an
    endpoint is configured (a local fake, or a proxy that forwards by path)."""

    def __init__(
        self,
        credentials: Credentials,
        principal: str,
        endpoint: str | None = None,
        *,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
        attempts: int = 4,
        timeout: tuple[float, float] = (10.0, 60.0),
        max_wait_s: float = 60.0,
        operations: Callable[[str, str, str], Operation] = operation,
    ) -> None:
        self.principal = principal
        # The declared operations (method, service, path template) -> Operation; another Google
        # API family (Workspace's Admin SDK) passes its own table.
        self._operation = operations
        self.endpoint = endpoint
        self._session = session or AuthorizedSession(credentials)
        self._sleep = sleep
        self._attempts = attempts
        self._timeout = timeout
        self._max_wait_s = max_wait_s

    def base(self, service: str) -> str:
        return f"{self.endpoint}/{service}" if self.endpoint else f"https://{service}.googleapis.com"

    def source(self, replies: Iterable[Reply]) -> Source:
        replies = list(replies)
        return Source(
            operations=tuple(dict.fromkeys(reply.url for reply in replies)),
            principal=self.principal,
            pages=sum(reply.pages for reply in replies),
            endpoint=self.endpoint,
        )

    # --- reads ------------------------------------------------------------------------
    def get(self, service: str, template: str, params: Mapping[str, str] | None = None, **path: str) -> Reply:
        op = self._declared("GET", service, template)
        url = self._url(op, params, path)
        return Reply(self._json(op, "GET", url), f"GET {url}")

    def get_iam_policy(self, template: str, **path: str) -> Reply:
        """Resource Manager's getIamPolicy: a POST that only reads (policy version 3, so
        conditional bindings are returned whole)."""
        op = self._declared("POST", "cloudresourcemanager", template)
        url = self._url(op, None, path)
        body = {"options": {"requestedPolicyVersion": 3}}
        return Reply(self._json(op, "POST", url, body), f"POST {url}")

    def pages(self, service: str, template: str, params: Mapping[str, str] | None = None, **path: str) -> Reply:
        """Every page of a list (`nextPageToken` -> `pageToken`): the body is the list of page bodies."""
        op = self._declared("GET", service, template)
        first = self._url(op, params, path)
        bodies: list[dict[str, Any]] = []
        tokens: set[str] = set()
        token: str | None = None
        while True:
            url = first if token is None else self._url(op, {**(params or {}), "pageToken": token}, path)
            body = self._json(op, "GET", url)
            if not isinstance(body, dict):
                raise GcpCallError(op.name, "the response is not a JSON object", code="InvalidResponse")
            bodies.append(body)
            token = body.get("nextPageToken") or None
            if token is None:
                return Reply(bodies, f"GET {first}", len(bodies))
            if not isinstance(token, str) or token in tokens or len(bodies) >= _MAX_PAGES:
                raise GcpCallError(op.name, f"paging did not end after {len(bodies)} pages", code="PagingLoop")
            tokens.add(token)

    def items(self, service: str, template: str, field: str, params: Mapping[str, str] | None = None, **path: str):
        """(every page's `field` items, the reply): a list whose field is absent on a page has none there
        (Google omits empty repeated fields in JSON)."""
        reply = self.pages(service, template, params, **path)
        found: list[Any] = []
        for body in reply.body:
            value = body.get(field, [])
            if not isinstance(value, list):
                raise GcpCallError(
                    self._operation("GET", service, template).name, f"`{field}` is not a list", code="InvalidResponse"
                )
            found.extend(value)
        return found, reply

    # --- plumbing ---------------------------------------------------------------------
    def _declared(self, method: str, service: str, template: str) -> Operation:
        try:
            op = self._operation(method, service, template)
        except LookupError as exc:
            raise ReadOnlyViolation(str(exc)) from None
        if op.method != "GET" and not op.path.endswith(":getIamPolicy"):
            raise ReadOnlyViolation(f"annexa is read-only: refusing {op.name}")
        return op

    def _url(self, op: Operation, params: Mapping[str, str] | None, path: Mapping[str, str]) -> str:
        url = self.base(op.service) + op.path.format(**{k: quote(v, safe="@") for k, v in path.items()})
        return f"{url}?{urlencode(params)}" if params else url

    def _json(self, op: Operation, method: str, url: str, body: Any = None) -> Any:
        response = self._send(op, method, url, body)
        try:
            return response.json()
        except ValueError:
            raise GcpCallError(op.name, "the response is not JSON", response.status_code, "InvalidResponse") from None

    def _send(self, op: Operation, method: str, url: str, body: Any) -> requests.Response:
        data = json.dumps(body) if body is not None else None
        headers = {"Accept": "application/json", **({"Content-Type": "application/json"} if data else {})}
        for attempt in range(1, self._attempts + 1):
            wait: float | None = None
            try:
                response = self._session.request(
                    method, url, data=data, headers=headers, timeout=self._timeout, allow_redirects=False
                )
            except GoogleAuthError as exc:
                raise GcpCallError(op.name, f"no token: {exc}", code=type(exc).__name__) from None
            except requests.RequestException as exc:
                if attempt == self._attempts:
                    raise GcpCallError(op.name, str(exc) or type(exc).__name__, code=type(exc).__name__) from None
            else:
                if 200 <= response.status_code < 300:
                    return response
                if 300 <= response.status_code < 400:
                    raise GcpCallError(
                        op.name,
                        "redirect not followed (the token goes to the API's own origin only)",
                        response.status_code,
                        "Redirect",
                    )
                if response.status_code not in RETRY_STATUSES or attempt == self._attempts:
                    reason, message, api = _error_of(response)
                    raise GcpCallError(
                        op.name, message, response.status_code, reason, api or f"{op.service}.googleapis.com"
                    )
                wait = _retry_after(response.headers.get("Retry-After"))
                if wait is None and response.status_code == 429:
                    wait = _QUOTA_WAIT_S
            self._sleep(min(self._max_wait_s, wait if wait is not None else 2.0 ** (attempt - 1)))
        raise AssertionError("unreachable: the last attempt returns or raises")
