"""The Jira REST client: auth, paging of issue searches, rate limits, status codes.

- Auth (Atlassian docs "Basic auth for REST APIs" and "Using Personal Access Tokens"):
  Jira Cloud takes HTTP basic auth with an Atlassian account's e-mail and an API token;
  Jira Data Center takes a personal access token as `Authorization: Bearer`. The token comes
  from the environment variable the target names (`token_env`), never from the config file.
- Search: Cloud's `GET /rest/api/3/search/jql` pages with `nextPageToken` until `isLast`
  (the older `/rest/api/3/search` is being removed from Cloud); Data Center's
  `GET /rest/api/2/search` pages with `startAt`/`maxResults`/`total`, and the server may
  return fewer than asked (`jira.search.views.default.max`), so the next page starts after
  what actually came back. Only GET requests.
- 429 (and 503) with `Retry-After` waits that many seconds, bounded by `max_wait`; 401 is
  rejected credentials, 403 a missing permission (or, on Data Center, a CAPTCHA after failed
  logins: `X-Seraph-LoginReason`), 400 a JQL the server refused (its `errorMessages` say why,
  including "does not exist or you do not have permission to view it").
- The token goes to the configured origin only (https; http on the loopback for fakes);
  a redirect is not followed, so another host's answer never becomes evidence.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import requests

from annexa.origins import check_transport

__all__ = ["DEPLOYMENTS", "JiraClient", "JiraError"]

DEPLOYMENTS = ("cloud", "data_center")
_TIMEOUT = 30
_MAX_ATTEMPTS = 4
_PAGE = 100  # Cloud and Data Center both cap a search page at 100 by default
_CODES = {400: "bad_query", 401: "unauthorized", 403: "forbidden", 404: "not_found"}


class JiraError(Exception):
    """One failed call: `status` (HTTP status or 0), `code` (short reason), the operation."""

    def __init__(self, operation: str, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.operation = operation
        self.status = status
        self.code = code


class JiraClient:
    def __init__(
        self,
        base_url: str,
        deployment: str,
        authorization: str,
        max_wait: float = 300.0,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.base_url = check_transport(base_url, "jira option 'base_url'").rstrip("/")
        self.deployment = deployment
        self.api = "/rest/api/3" if deployment == "cloud" else "/rest/api/2"
        self.max_wait = max_wait
        self._sleep = sleep
        self._session = session or requests.Session()
        self._session.headers.update(
            {
                "Accept": "application/json",
                "User-Agent": "annexa (read-only evidence collector)",
                "Authorization": authorization,
            }
        )

    @classmethod
    def for_target(cls, options: Mapping[str, Any], environ: Mapping[str, str]) -> JiraClient:
        """Build from target options; JiraError(code=`no_credentials`) when the token is not set."""
        deployment = str(options.get("deployment") or "cloud")
        env = str(options.get("token_env") or "JIRA_API_TOKEN")
        token = environ.get(env, "").strip()
        if not token:
            raise JiraError("auth", 0, "no_credentials", f"no Jira token: set {env}")
        if deployment == "cloud":
            pair = f"{options.get('email')}:{token}".encode()
            authorization = "Basic " + base64.b64encode(pair).decode()
        else:
            authorization = f"Bearer {token}"
        return cls(str(options["base_url"]), deployment, authorization, float(options.get("max_wait_seconds", 300)))

    def get(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        """GET one resource as JSON; JiraError on any failure after bounded waits."""
        operation = f"GET {path}"
        for _attempt in range(_MAX_ATTEMPTS):
            try:
                response = self._session.get(
                    f"{self.base_url}{path}", params=params, timeout=_TIMEOUT, allow_redirects=False
                )
            except requests.RequestException as err:
                raise JiraError(operation, 0, "unreachable", f"{type(err).__name__}: {err}") from None
            if response.status_code in (429, 503):
                retry_after = response.headers.get("Retry-After", "").strip()
                delay = float(retry_after) if retry_after.isdigit() else 60.0
                if delay > self.max_wait:
                    raise JiraError(
                        operation,
                        response.status_code,
                        "rate_limited",
                        f"rate limited for {delay:.0f}s, more than max_wait_seconds {self.max_wait:.0f}",
                    )
                self._sleep(delay)
                continue
            if response.is_redirect:
                raise JiraError(
                    operation,
                    response.status_code,
                    "redirected",
                    f"HTTP {response.status_code} to {response.headers.get('Location', '?')}: not followed "
                    "(the token is only sent to the configured base_url)",
                )
            if response.status_code >= 400:
                raise JiraError(operation, response.status_code, _code(response), _message(response))
            try:
                return response.json()
            except ValueError:
                raise JiraError(operation, response.status_code, "bad_response", "the response is not JSON") from None
        raise JiraError(operation, 0, "retries_exhausted", f"gave up after {_MAX_ATTEMPTS} attempts")

    def principal(self) -> str:
        """Who the token is (`GET /myself`): Cloud's accountId, Data Center's user name."""
        me = self.get(f"{self.api}/myself")
        return f"jira-user:{me.get('accountId') or me.get('name') or me.get('key')}"

    def search(self, jql: str, fields: list[str], expand: str | None) -> Iterator[list[dict[str, Any]]]:
        """Every page of issues the JQL matches (one list per page), paged as each deployment documents."""
        params: dict[str, Any] = {"jql": jql, "fields": ",".join(fields), "maxResults": _PAGE}
        if expand:
            params["expand"] = expand
        if self.deployment == "cloud":
            path, token = f"{self.api}/search/jql", None
            while True:
                body = self.get(path, {**params, **({"nextPageToken": token} if token else {})})
                yield _issues(body, path)
                token = body.get("nextPageToken")
                if body.get("isLast") is True or (token is None and "isLast" not in body):
                    return  # the documented end (or an answer that claims no next page at all)
                if not token:  # more pages, but no way to them: the listing would be cut short
                    raise JiraError(f"GET {path}", 200, "truncated", "isLast is false but no nextPageToken came")
        path, start = f"{self.api}/search", 0
        while True:
            body = self.get(path, {**params, "startAt": start})
            page = _issues(body, path)
            yield page
            start += len(page)
            total = int(body.get("total", 0))
            if start >= total:
                return
            if not page:  # the server counts more than it hands out: the listing would be cut short
                raise JiraError(f"GET {path}", 200, "truncated", f"an empty page at startAt={start} of total {total}")

    def changelog(self, key: str) -> list[dict[str, Any]]:
        """Every history of one issue (Cloud: `GET /issue/{key}/changelog`, paged by startAt/isLast)."""
        path, start, histories = f"{self.api}/issue/{key}/changelog", 0, []
        while True:
            body = self.get(path, {"startAt": start, "maxResults": _PAGE})
            values = body.get("values")
            if not isinstance(values, list):
                raise JiraError(f"GET {path}", 200, "bad_response", "expected `values`, a list")
            histories.extend(values)
            start += len(values)
            if body.get("isLast") is True or start >= int(body.get("total", 0)):
                return histories
            if not values:
                raise JiraError(f"GET {path}", 200, "truncated", f"an empty changelog page at startAt={start}")


def _issues(body: Any, path: str) -> list[dict[str, Any]]:
    issues = body.get("issues") if isinstance(body, dict) else None
    if not isinstance(issues, list):
        raise JiraError(f"GET {path}", 200, "bad_response", "expected `issues`, a list")
    return issues


def _message(response: requests.Response) -> str:
    """Jira's ErrorCollection (`errorMessages`, `errors`), or the status alone."""
    reason = response.headers.get("X-Seraph-LoginReason")
    try:
        body = response.json()
    except ValueError:
        body = None
    parts: list[str] = []
    if isinstance(body, dict):
        parts += [str(m) for m in body.get("errorMessages") or []]
        parts += [f"{k}: {v}" for k, v in (body.get("errors") or {}).items()]
    if reason and "AUTHENTICATION_DENIED" in reason:
        parts.append("login denied (CAPTCHA required after failed logins: sign in once in a browser)")
    meaning = {
        401: "the credentials were rejected",
        403: "the token's user lacks permission (Browse projects) for this request",
    }.get(response.status_code)
    return "; ".join(p for p in [meaning, *parts] if p) or f"HTTP {response.status_code}"


def _code(response: requests.Response) -> str:
    return _CODES.get(response.status_code, f"http_{response.status_code}")
