"""One small, read-only REST client for a Kubernetes API server, on plain `requests`.

Why not the official `kubernetes` package: annexa needs ten cluster-wide lists, each paged, and
the API server's `/version`; the
official client is large (every API group's models, a generated configuration layer), can write to
the cluster as easily as read, and turns bodies into model objects that would be turned back into
dicts. A `requests.Session` with the kubeconfig's CA, client certificate or bearer token, and a
table of the reads annexa makes (READS, and the non-resource URLs in PATHS), is read-only by
construction: the client has no method but GET, refuses any read not in the tables, and the
ClusterRole in policies/ is tested to cover exactly those tables. Secrets are not in them: annexa
never reads a Secret, not even its metadata.

Every list is paged (api-concepts, "Retrieving large results sets in chunks": `limit`, then
`continue` from `metadata.continue` until it is empty); a continue token that expired answers
410 Gone (reason Expired), read as an error for that list: a partial list is never evidence.
Failures keep the API's `Status` (reason Forbidden, Unauthorized, NotFound...) and its message.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import requests

from annexa.collectors.kubernetes.credentials import Cluster
from annexa.model import CollectionError, Source

__all__ = ["PATHS", "KubeApi", "KubeCallError", "READS", "Read", "ReadOnlyViolation", "Reply"]

PAGE_SIZE = 500
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
_MAX_PAGES = 10_000
_MAX_MESSAGE = 400


@dataclass(frozen=True)
class Read:
    """One cluster-wide list: `GET /api/v1/<resource>` (core group) or `/apis/<group>/<version>/<resource>`."""

    group: str
    version: str
    resource: str

    @property
    def path(self) -> str:
        return (
            f"/api/{self.version}/{self.resource}"
            if not self.group
            else f"/apis/{self.group}/{self.version}/{self.resource}"
        )


# Every read annexa makes (verb `list`), by resource; policies/kubernetes-readonly-clusterrole.yaml grants these.
READS: Mapping[str, Read] = {
    read.resource: read
    for read in (
        Read("", "v1", "namespaces"),
        Read("", "v1", "nodes"),
        Read("", "v1", "pods"),
        Read("", "v1", "serviceaccounts"),
        Read("networking.k8s.io", "v1", "ingresses"),
        Read("networking.k8s.io", "v1", "networkpolicies"),
        Read("rbac.authorization.k8s.io", "v1", "clusterroles"),
        Read("rbac.authorization.k8s.io", "v1", "clusterrolebindings"),
        Read("rbac.authorization.k8s.io", "v1", "roles"),
        Read("rbac.authorization.k8s.io", "v1", "rolebindings"),
    )
}
# Non-resource URLs annexa GETs (verb `get` on `nonResourceURLs` in the ClusterRole): the API
# server's build (version.Info: major, minor, gitVersion ...), served by `GET /version`.
PATHS: tuple[str, ...] = ("/version",)


class ReadOnlyViolation(RuntimeError):
    """A programming error: a read nobody declared."""


class KubeCallError(Exception):
    def __init__(self, operation: str, message: str, status: int | None = None, code: str | None = None) -> None:
        self.operation = operation
        self.status = status
        self.code = code or (f"HTTP{status}" if status else "RequestFailed")
        self.message = " ".join(message.split())[:_MAX_MESSAGE]
        super().__init__(f"{operation}: {self.code}: {self.message}")

    def explained(self) -> str:
        status = f"HTTP {self.status} " if self.status else ""
        hint = ""
        if self.code == "Forbidden":
            hint = " (grant annexa policies/kubernetes-readonly-clusterrole.yaml)"
        elif self.code == "Expired":
            hint = " (the list changed for longer than the continue token lives; the next run reads it again)"
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


@dataclass(frozen=True)
class Reply:
    items: list[dict[str, Any]]
    url: str  # "GET <first page's URL>"
    pages: int


def _status_of(response: requests.Response) -> tuple[str | None, str]:
    """(reason, message) of a metav1.Status body (kind Status: status Failure, message, reason, code)."""
    try:
        body = response.json()
    except ValueError:
        return None, response.text[:_MAX_MESSAGE] or response.reason or ""
    if isinstance(body, dict) and body.get("kind") == "Status":
        return body.get("reason") or None, str(body.get("message") or response.reason or "")
    return None, str(body)[:_MAX_MESSAGE]


class KubeApi:
    """The reads of one cluster."""

    def __init__(
        self,
        cluster: Cluster,
        *,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
        attempts: int = 4,
        timeout: tuple[float, float] = (10.0, 60.0),
        page_size: int = PAGE_SIZE,
    ) -> None:
        self.cluster = cluster
        self._session = session or requests.Session()
        self._headers = {"Accept": "application/json", "User-Agent": "annexa (read-only)"}
        if cluster.token:
            self._headers["Authorization"] = f"Bearer {cluster.token}"
        self._sleep = sleep
        self._attempts = attempts
        self._timeout = timeout
        self._page_size = page_size

    def source(self, replies: Iterable[Reply]) -> Source:
        replies = list(replies)
        return Source(
            operations=tuple(dict.fromkeys(reply.url for reply in replies)),
            principal=self.cluster.principal,
            pages=sum(reply.pages for reply in replies),
            endpoint=self.cluster.server,
        )

    def get(self, path: str) -> Reply:
        """A non-resource URL (PATHS): its body is the reply's one item."""
        if path not in PATHS:
            raise ReadOnlyViolation(f"annexa reads only {', '.join(PATHS)} outside lists; refusing {path!r}")
        url = f"{self.cluster.server}{path}"
        return Reply([self._get(f"get {path}", url)], f"GET {url}", 1)

    def list(self, resource: str) -> Reply:
        """Every item of a cluster-wide list, page after page."""
        read = READS.get(resource)
        if read is None:
            raise ReadOnlyViolation(f"annexa reads only {', '.join(READS)}; refusing {resource!r}")
        operation = f"list {resource}"
        first = f"{self.cluster.server}{read.path}?{urlencode({'limit': self._page_size})}"
        items: list[dict[str, Any]] = []
        seen: set[str] = set()
        url, pages = first, 0
        while True:
            body = self._get(operation, url)
            pages += 1
            found = body.get("items")
            if found is None:
                found = []  # `items` is required but may be null (an empty list, API reference)
            if not isinstance(found, list):
                raise KubeCallError(operation, "`items` is not a list", code="InvalidResponse")
            items.extend(found)
            token = (body.get("metadata") or {}).get("continue") or ""
            if not token:
                return Reply(items, f"GET {first}", pages)
            if token in seen or pages >= _MAX_PAGES:
                raise KubeCallError(operation, f"paging did not end after {pages} pages", code="PagingLoop")
            seen.add(token)
            url = f"{self.cluster.server}{read.path}?{urlencode({'limit': self._page_size, 'continue': token})}"

    def _get(self, operation: str, url: str) -> dict[str, Any]:
        for attempt in range(1, self._attempts + 1):
            try:
                # verify and cert per request: a session-level CA would lose to REQUESTS_CA_BUNDLE (requests#3829)
                response = self._session.get(
                    url,
                    headers=self._headers,
                    timeout=self._timeout,
                    allow_redirects=False,
                    verify=self.cluster.verify,
                    cert=self.cluster.cert,
                )
            except requests.RequestException as exc:
                if attempt == self._attempts:
                    raise KubeCallError(operation, str(exc) or type(exc).__name__, code=type(exc).__name__) from None
                self._sleep(2.0 ** (attempt - 1))
                continue
            if response.status_code == 200:
                try:
                    body = response.json()
                except ValueError:
                    raise KubeCallError(operation, "the response is not JSON", 200, "InvalidResponse") from None
                if not isinstance(body, dict):
                    raise KubeCallError(operation, "the response is not a JSON object", 200, "InvalidResponse")
                return body
            if 300 <= response.status_code < 400:
                raise KubeCallError(
                    operation,
                    "redirect not followed (the token goes to the API server only)",
                    response.status_code,
                    "Redirect",
                )
            if response.status_code not in RETRY_STATUSES or attempt == self._attempts:
                reason, message = _status_of(response)
                raise KubeCallError(operation, message, response.status_code, reason)
            retry_after = response.headers.get("Retry-After", "")
            self._sleep(min(60.0, float(retry_after)) if retry_after.isdigit() else 2.0 ** (attempt - 1))
        raise AssertionError("unreachable: the last attempt returns or raises")
