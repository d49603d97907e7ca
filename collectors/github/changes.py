"""The GitHub records collector: merged pull requests as change records, labelled issues as
incident and vulnerability records (the ticket record model of collectors/tickets.py)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime, timedelta, timezone
from typing import Any, ClassVar

from annexa.collectors.base import Collector, Context, Target
from annexa.collectors.github.client import GitHubClient, GitHubError
from annexa.collectors.github.org import GitHubOrgCollector, _host
from annexa.collectors.tickets import check_sla, iso, set_resolution, sla_days
from annexa.model import CollectionError, Fact, Source

__all__ = ["GitHubRecordsCollector"]

_KINDS = ("github.change", "github.incident", "github.vulnerability")
_RECORD_KEYS = {"days": int, "repos": list, "incidents": dict, "vulnerabilities": dict, "severity_label_prefix": str}
# A reviewer's latest review of these states is their verdict (GitHub counts the latest
# approving or change-requesting review per reviewer; a comment changes nothing).
_VERDICTS = ("APPROVED", "CHANGES_REQUESTED", "DISMISSED")


class GitHubRecordsCollector(Collector):
    """With `records:` on a github target: each pull request merged into a repository's default
    branch in the last `days` (default 90) with its author and approving reviews (each
    reviewer's latest verdict submitted before the merge), so rules can require an approval by
    someone other than the author; issues carrying the configured labels as incident and
    vulnerability records (open ones whatever their age, closed ones within the window), with
    severity from a `severity:` label and the SLA the config sets per severity. `repos` limits
    it to named repositories (default: every repository that is not archived). Only GET
    requests, every list paged; a repository whose listing fails is an error for its records."""

    name = "github.records"
    provider = "github"
    kinds = _KINDS
    permissions = ("classic token: repo (read); GitHub App: Pull requests (read), Issues (read), Metadata (read)",)
    evidence_class = "record"  # operational records: merged changes and tickets
    target_options: ClassVar[Mapping[str, type]] = {"records": dict}

    @classmethod
    def check_options(cls, options: Mapping[str, Any]) -> None:
        records = options.get("records")
        if records is None:
            return
        for key in records:
            if key not in _RECORD_KEYS:
                raise ValueError(f"records: unknown key {key!r} (allowed: {', '.join(_RECORD_KEYS)})")
            if not isinstance(records[key], _RECORD_KEYS[key]):
                raise ValueError(f"records.{key} must be a {_RECORD_KEYS[key].__name__}")
        if "days" in records and not 0 < records["days"] <= 3660:
            raise ValueError("records.days must be between 1 and 3660")
        for kind in ("incidents", "vulnerabilities"):
            labels = (records.get(kind) or {}).get("labels")
            if kind in records and (not labels or not all(isinstance(x, str) and x for x in labels)):
                raise ValueError(f"records.{kind}.labels must be a non-empty list of label names")
        for kind in ("incidents", "vulnerabilities"):
            if kind in records:
                check_sla(f"records.{kind}", records[kind].get("sla_days"))

    def collect(self, target: Target, context: Context) -> Iterator[Fact | CollectionError]:
        config = target.options.get("records")
        if not config:
            return  # not asked for: the organisation collector reads the rest of the target
        org = str(target.options.get("org") or "-")
        scope = {"provider": "github", "org": org, "records": "repositories"}
        try:
            client = GitHubClient.for_target(target.options)
            client.principal = GitHubOrgCollector._principal(client, target)
            repos, _ = client.paginate(f"/orgs/{org}/repos", {"type": "all"})
        except GitHubError as err:
            yield CollectionError(kinds=_KINDS, scope=scope, message=str(err), operation=err.operation, code=err.code)
            return
        wanted = config.get("repos")
        by_name = {r["name"]: r for r in repos if not r.get("archived")}
        for missing in sorted(set(wanted or ()) - set(by_name)):
            yield CollectionError(
                kinds=_KINDS,
                scope={**scope, "repo": missing},
                message=f"records.repos names {missing!r}, which is not a live repository of {org} this token can read",
                code="not_found",
            )
        since = datetime.now(timezone.utc) - timedelta(days=int(config.get("days", 90)))
        reader = _Reader(client, _host(client.base_url), org, config, since)
        for name in sorted(n for n in by_name if wanted is None or n in wanted):
            yield from reader.repo(by_name[name])


class _Reader:
    def __init__(self, client: GitHubClient, host: str, org: str, config: Mapping[str, Any], since: datetime) -> None:
        self.client = client
        self.host = host
        self.org = org
        self.config = config
        self.since = since.strftime("%Y-%m-%dT%H:%M:%SZ")
        self.prefix = str(config.get("severity_label_prefix", "severity:"))

    def repo(self, repo: Mapping[str, Any]) -> Iterator[Fact | CollectionError]:
        full = repo["full_name"]
        scope = {"provider": "github", "org": self.org, "repo": repo["name"]}
        try:
            facts = list(self._pulls(repo, {**scope, "records": "pull_requests"}))
        except GitHubError as err:
            facts = [self._error({**scope, "records": "pull_requests"}, err, "github.change")]
        yield from facts
        for kind, label in (("incident", "incidents"), ("vulnerability", "vulnerabilities")):
            if label not in self.config:
                continue
            issue_scope = {**scope, "records": label}
            try:
                yield from list(self._issues(full, kind, self.config[label], issue_scope))
            except GitHubError as err:
                yield self._error(issue_scope, err, f"github.{kind}")

    def _error(self, scope: Mapping[str, str], err: GitHubError, kind: str) -> CollectionError:
        return CollectionError(kinds=(kind,), scope=scope, message=str(err), operation=err.operation, code=err.code)

    def _pulls(self, repo: Mapping[str, Any], scope: Mapping[str, str]) -> Iterator[Fact]:
        full, branch = repo["full_name"], str(repo.get("default_branch"))
        path = f"/repos/{full}/pulls"
        # newest updates first, so the listing ends once a page reaches before the window
        pulls, pages = self.client.paginate(
            path,
            {"state": "closed", "base": branch, "sort": "updated", "direction": "desc"},
            stop=lambda page: bool(page) and str(page[-1].get("updated_at") or "") < self.since,
        )
        for pull in pulls:
            merged_at = iso(pull.get("merged_at"))
            if merged_at is None or merged_at < self.since:
                continue  # closed without merging, or merged before the window
            number = pull["number"]
            reviews, _ = self.client.paginate(f"/repos/{full}/pulls/{number}/reviews")
            author = (pull.get("user") or {}).get("login")
            approvals = _approvals(reviews, merged_at)
            independent = sorted(a["at"] for a in approvals if a["by"] != author)
            data = {
                "key": f"{full}#{number}",
                "type": "change",
                "query": "pull_requests",
                "issue_type": "pull_request",
                "status": "merged",
                "base": branch,
                "created_at": iso(pull.get("created_at")),
                "resolved_at": merged_at,
                "author": author,
                "approvals": approvals,
                "independent_approved_at": independent[0] if independent else None,
                "deployed_at": merged_at,
            }
            operations = (f"GET {path}", f"GET {path}/{{number}}/reviews")
            resource = f"{self.host}/{full}/pull/{number}"
            yield Fact("github.change", resource, scope, set_resolution(data), self._source(operations, pages))

    def _issues(self, full: str, kind: str, config: Mapping[str, Any], scope: Mapping[str, str]) -> Iterator[Fact]:
        path = f"/repos/{full}/issues"
        found: dict[int, Mapping[str, Any]] = {}
        pages = 0
        for label in config["labels"]:  # GitHub's `labels` filter ANDs its names: one listing per label
            for state, extra in (("open", {}), ("closed", {"since": self.since})):
                items, read = self.client.paginate(path, {"state": state, "labels": label, **extra})
                pages += read
                found.update({i["number"]: i for i in items if "pull_request" not in i})
        for number, issue in sorted(found.items()):
            closed_at = iso(issue.get("closed_at"))
            if closed_at is not None and closed_at < self.since:
                continue  # updated in the window, closed before it
            labels = [str(x.get("name") if isinstance(x, Mapping) else x) for x in issue.get("labels") or []]
            severity = next((x[len(self.prefix) :].strip() for x in labels if x.startswith(self.prefix)), None)
            data: dict[str, Any] = {
                "key": f"{full}#{number}",
                "type": kind,
                "query": f"{kind}_issues",
                "issue_type": "issue",
                "status": issue.get("state"),
                "state_reason": issue.get("state_reason"),
                "created_at": iso(issue.get("created_at")),
                "resolved_at": closed_at,
                "severity": severity,
            }
            days = sla_days(config.get("sla_days"), severity)
            if days is not None:
                data["sla_days"] = days
            source = self._source((f"GET {path}",), pages)
            yield Fact(f"github.{kind}", f"{self.host}/{full}/issues/{number}", scope, set_resolution(data), source)

    def _source(self, operations: tuple[str, ...], pages: int) -> Source:
        return Source(operations, self.client.principal, pages=pages, endpoint=self.client.base_url)


def _approvals(reviews: list[Mapping[str, Any]], merged_at: str) -> list[dict[str, Any]]:
    """Each reviewer's latest verdict submitted by the merge, kept when it approves."""
    latest: dict[str, Mapping[str, Any]] = {}
    for review in sorted(reviews, key=lambda r: str(r.get("submitted_at") or "")):
        at = iso(review.get("submitted_at"))
        login = (review.get("user") or {}).get("login")
        if login and at and at <= merged_at and review.get("state") in _VERDICTS:
            latest[login] = review
    return [
        {"by": login, "at": iso(review["submitted_at"])}
        for login, review in sorted(latest.items())
        if review.get("state") == "APPROVED"
    ]
