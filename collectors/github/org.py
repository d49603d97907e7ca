"""The GitHub organisation collector: org settings, members, repositories' protections."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import quote, urlparse

from annexa.collectors.base import Collector, Context, Target
from annexa.collectors.github.client import GitHubClient, GitHubError, check_base_url
from annexa.model import CollectionError, Fact, Source

__all__ = ["GitHubOrgCollector"]

_KINDS = ("github.org", "github.member", "github.repo")
# 403s that describe a setting (a feature turned off), not a missing permission.
_FEATURE_OFF = ("disabled", "must be enabled", "not enabled", "no default setup", "not available")
# The body of the 404 GitHub sends for an unprotected branch; any other 404 (a caller who is
# not a repository admin gets "Not Found") means the protection could not be read.
_NOT_PROTECTED = "Branch not protected"
# The body of the 404 for a repository whose code scanning has never produced an analysis.
_NO_ANALYSIS = "no analysis found"
# Which deployment environments are production, unless the target says otherwise
# (`production_environments:`): names matched case-insensitively against these patterns.
DEFAULT_PRODUCTION = ("production", "production-*", "production_*", "prod", "prod-*", "prod_*", "live")


def _host(base_url: str) -> str:
    host = urlparse(base_url).hostname or base_url
    return "github.com" if host == "api.github.com" else host


def _feature_off(err: GitHubError) -> bool:
    return err.status in (403, 404) and any(words in str(err).lower() for words in _FEATURE_OFF)


def is_production(name: str, patterns: Sequence[str]) -> bool:
    """Whether an environment name matches one of the production patterns (case-insensitive globs)."""
    return any(fnmatchcase(name.lower(), pattern.lower()) for pattern in patterns)


class GitHubOrgCollector(Collector):
    """One GitHub organisation (github.com or Enterprise Server):
    `github.org`: 2FA requirement, default repository permission, counts of members,
    owners, outside collaborators and members without 2FA;
    `github.member`: each member and outside collaborator with role and 2FA state;
    `github.repo`: each repository with its default branch's effective protection
    (branch protection and rulesets combined: required reviews, status checks, force
    push and deletion blocked, signed commits), secret scanning and push protection,
    code scanning (default setup, or the newest analysis of the default branch, which a
    workflow's advanced setup or a SARIF upload produces), open Dependabot alerts
    (severity, created_at) and deployment environments with their protection rules and
    whether each is production (`production_environments:` patterns, default
    production, production-*, production_*, prod, prod-*, prod_*, live). Every list is
    read to its last page. Status codes are read for what they mean: a 404 on branch
    protection is "not protected" only with GitHub's "Branch not protected" body, any
    other is an error for the repository; a 422 on `filter=2fa_disabled` (a token that
    is not an org owner) leaves the members' 2FA state out (and says why on the org fact)
    while every member is still read. Only GET requests."""

    name = "github.org"
    provider = "github"
    kinds = _KINDS
    permissions = (
        "classic token: read:org, repo (read), security_events (read)",
        "GitHub App: organization Members (read), Administration (read), Dependabot alerts (read), "
        "Code scanning alerts (read), Secret scanning alerts (read), Environments (read)",
    )
    target_options: ClassVar[Mapping[str, type]] = {
        "org": str,
        "base_url": str,
        "token_env": str,
        "app_id": int,
        "installation_id": int,
        "private_key": Path,
        "max_wait_seconds": int,
        "production_environments": list,
    }

    @classmethod
    def check_options(cls, options: Mapping[str, Any]) -> None:
        patterns = options.get("production_environments")
        if patterns is not None and (not patterns or not all(isinstance(p, str) and p.strip() for p in patterns)):
            raise ValueError("production_environments must be a non-empty list of environment name patterns")
        if "base_url" in options:  # the token goes there: https only (http on the loopback, for fakes)
            check_base_url(options["base_url"])

    def collect(self, target: Target, context: Context) -> Iterator[Fact | CollectionError]:
        org = target.options.get("org")
        scope = {"provider": "github", "org": str(org or "-")}
        if not org:
            yield CollectionError(
                kinds=_KINDS, scope=scope, message=f"{target.label}: `org` is required", code="bad_target"
            )
            return
        try:
            client = GitHubClient.for_target(target.options)
            client.principal = self._principal(client, target)
        except GitHubError as err:
            yield CollectionError(kinds=_KINDS, scope=scope, message=str(err), operation=err.operation, code=err.code)
            return
        host = _host(client.base_url)
        production = tuple(target.options.get("production_environments") or DEFAULT_PRODUCTION)
        yield from _OrgReader(client, org, host, scope, production).read()

    @staticmethod
    def _principal(client: GitHubClient, target: Target) -> str:
        if "app_id" in target.options:
            return f"github-app:{target.options['app_id']}/installation:{target.options.get('installation_id')}"
        user, _ = client.get("/user")
        return f"github-user:{user.get('login')}"


class _OrgReader:
    def __init__(
        self, client: GitHubClient, org: str, host: str, scope: Mapping[str, str], production: Sequence[str]
    ) -> None:
        self.client = client
        self.org = org
        self.host = host
        self.scope = scope
        self.production = production

    def _source(self, operations: list[str], pages: int | None = None) -> Source:
        """Where the fact came from, with every read of these operations that a redirect answered elsewhere."""
        reads = {op.removeprefix("GET ") for op in operations}
        base = self.client.base_url.rstrip("/")
        redirects = tuple(
            (requested, final)
            for requested, final in self.client.redirects
            if requested.removeprefix(base).split("?", 1)[0] in reads
        )
        return Source(
            tuple(operations), self.client.principal, pages=pages, endpoint=self.client.base_url, redirects=redirects
        )

    def _error(self, kinds: tuple[str, ...], err: GitHubError, resource: str | None = None) -> CollectionError:
        return CollectionError(
            kinds=kinds, scope=self.scope, message=str(err), operation=err.operation, code=err.code, resource=resource
        )

    def read(self) -> Iterator[Fact | CollectionError]:
        org = self.org
        try:
            settings, _ = self.client.get(f"/orgs/{org}")
        except GitHubError as err:  # nothing else can be read meaningfully
            yield self._error(_KINDS, err)
            return
        try:
            members, member_pages = self.client.paginate(f"/orgs/{org}/members")
            owners, _ = self.client.paginate(f"/orgs/{org}/members", {"role": "admin"})
            outside, _ = self.client.paginate(f"/orgs/{org}/outside_collaborators")
            no_2fa, two_factor_unknown = self._without_2fa()
        except GitHubError as err:
            yield self._error(("github.org", "github.member"), err)
        else:
            operations = [f"GET /orgs/{org}", f"GET /orgs/{org}/members", f"GET /orgs/{org}/outside_collaborators"]
            data: dict[str, Any] = {
                "login": settings.get("login"),
                # null when the caller is not an owner: GitHub hides it, and rules then fail, never pass
                "two_factor_requirement_enabled": settings.get("two_factor_requirement_enabled"),
                "default_repository_permission": settings.get("default_repository_permission"),
                "members_can_create_public_repositories": settings.get("members_can_create_public_repositories"),
                "members_count": len(members),
                "owners_count": len(owners),
                "owners": sorted(m["login"] for m in owners),
                "outside_collaborators_count": len(outside),
            }
            if no_2fa is not None:
                data["members_without_2fa_count"] = len(no_2fa)
            else:  # left out, so a rule reading it cannot pass: the evaluator reports it missing
                data["two_factor_unknown"] = two_factor_unknown
            yield Fact(
                kind="github.org",
                resource=f"{self.host}/{org}",
                scope=self.scope,
                data=data,
                source=self._source(operations),
            )
            owner_logins = {m["login"] for m in owners}
            people = [(m, "owner" if m["login"] in owner_logins else "member") for m in members]
            people += [(m, "outside_collaborator") for m in outside]
            for member, role in people:
                member_data: dict[str, Any] = {"login": member["login"], "role": role}
                if no_2fa is not None:
                    member_data["two_factor_disabled"] = member["login"] in no_2fa
                else:
                    member_data["two_factor_unknown"] = two_factor_unknown
                yield Fact(
                    kind="github.member",
                    resource=f"{self.host}/{org}/{role}s/{member['login']}",
                    scope=self.scope,
                    data=member_data,
                    source=self._source(operations, member_pages),
                )
        yield from self._repos()

    def _without_2fa(self) -> tuple[set[str] | None, str | None]:
        """Logins of members and outside collaborators without 2FA; (None, why) when GitHub
        answers 422 (the filter is for organisation owners only), so only that state is unknown."""
        found: set[str] = set()
        for path in (f"/orgs/{self.org}/members", f"/orgs/{self.org}/outside_collaborators"):
            try:
                found |= {m["login"] for m in self.client.paginate(path, {"filter": "2fa_disabled"})[0]}
            except GitHubError as err:
                if err.status != 422:
                    raise
                return (
                    None,
                    f"{err.operation}?filter=2fa_disabled answered 422 ({err}): only organisation owners may use it",
                )
        return found, None

    def _repos(self) -> Iterator[Fact | CollectionError]:
        try:
            repos, pages = self.client.paginate(f"/orgs/{self.org}/repos", {"type": "all"})
        except GitHubError as err:
            yield self._error(("github.repo",), err)
            return
        for repo in repos:
            resource = f"{self.host}/{repo['full_name']}"
            try:
                data, operations = self._repo(repo)
            except GitHubError as err:
                yield self._error(("github.repo",), err, resource)
                continue
            yield Fact(
                kind="github.repo",
                resource=resource,
                scope=self.scope,
                data=data,
                source=self._source([f"GET /orgs/{self.org}/repos", *operations], pages),
            )

    def _repo(self, repo: Mapping[str, Any]) -> tuple[dict[str, Any], list[str]]:
        security = repo.get("security_and_analysis") or {}
        data: dict[str, Any] = {
            "name": repo["name"],
            "full_name": repo["full_name"],
            "visibility": repo.get("visibility"),
            "archived": bool(repo.get("archived")),
            "fork": bool(repo.get("fork")),
            "default_branch": repo.get("default_branch"),
            "pushed_at": repo.get("pushed_at"),
            "secret_scanning": (security.get("secret_scanning") or {}).get("status"),
            "push_protection": (security.get("secret_scanning_push_protection") or {}).get("status"),
            "dependabot_security_updates": (security.get("dependabot_security_updates") or {}).get("status"),
        }
        if data["archived"]:  # read-only: nothing merges into it any more
            return data, []
        full, branch = repo["full_name"], repo.get("default_branch")
        ref = quote(str(branch), safe="")
        data["branch_protection"] = _protection(self._branch_protection(f"/repos/{full}/branches/{ref}/protection"))
        data["rulesets"] = _rulesets(self.client.paginate(f"/repos/{full}/rules/branches/{ref}")[0])
        data["default_branch_rules"] = _effective(data["branch_protection"], data["rulesets"])
        data["code_scanning"] = self._code_scanning(full, str(branch))
        try:
            alerts, _ = self.client.paginate(f"/repos/{full}/dependabot/alerts", {"state": "open"})
            data["dependabot_alerts"] = {"enabled": True, "open": [_alert(a) for a in alerts]}
        except GitHubError as err:
            if not _feature_off(err):
                raise
            data["dependabot_alerts"] = {"enabled": False, "open": []}
        environments, _ = self.client.paginate(f"/repos/{full}/environments", key="environments")
        data["environments"] = [
            {
                "name": e.get("name"),
                "production": is_production(str(e.get("name") or ""), self.production),
                "protection_rules": sorted(r.get("type", "") for r in e.get("protection_rules") or []),
            }
            for e in environments
        ]
        operations = [
            f"GET /repos/{full}/{part}"
            for part in (
                f"branches/{ref}/protection",
                f"rules/branches/{ref}",
                "code-scanning/default-setup",
                "code-scanning/analyses",
                "dependabot/alerts",
                "environments",
            )
        ]
        return data, operations

    def _branch_protection(self, path: str) -> Any:
        """The branch protection, None for GitHub's "Branch not protected" 404; any other 404
        (GitHub answers "Not Found" to a caller who is not a repository admin) is an error."""
        try:
            return self.client.get(path)[0]
        except GitHubError as err:
            if err.status == 404 and str(err) == _NOT_PROTECTED:
                return None
            raise

    def _code_scanning(self, full: str, branch: str) -> dict[str, Any]:
        """Default setup's state, and the newest analysis of the default branch (advanced setup:
        a workflow or a SARIF upload). The analyses are listed newest first, so one item answers
        "when was the default branch last analysed" without reading the whole history."""
        setup = self._optional(f"/repos/{full}/code-scanning/default-setup")
        default_state = (setup or {}).get("state", "unavailable")
        latest: dict[str, Any] | None = None
        try:
            analyses, _ = self.client.get(
                f"/repos/{full}/code-scanning/analyses",
                {"ref": f"refs/heads/{branch}", "per_page": 1, "sort": "created", "direction": "desc"},
            )
            latest = analyses[0] if isinstance(analyses, list) and analyses else None
        except GitHubError as err:
            if not (_feature_off(err) or (err.status == 404 and _NO_ANALYSIS in str(err).lower())):
                raise
        return {
            "default_setup": default_state,
            "latest_analysis_at": (latest or {}).get("created_at"),
            "latest_analysis_tool": ((latest or {}).get("tool") or {}).get("name"),
            "state": "configured" if default_state == "configured" else "advanced" if latest else "not-configured",
        }

    def _optional(self, path: str) -> Any:
        """A resource whose absence is a fact (the feature is off, as GitHub's body says): None then."""
        try:
            return self.client.get(path)[0]
        except GitHubError as err:
            if _feature_off(err):
                return None
            raise


def _protection(raw: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if raw is None:
        return None
    reviews = raw.get("required_pull_request_reviews")
    checks = raw.get("required_status_checks")
    return {
        "required_reviews": reviews.get("required_approving_review_count", 0) if reviews else 0,
        "dismiss_stale_reviews": bool(reviews and reviews.get("dismiss_stale_reviews")),
        "code_owner_reviews": bool(reviews and reviews.get("require_code_owner_reviews")),
        "status_checks": sorted(checks.get("contexts") or [c.get("context") for c in checks.get("checks", [])])
        if checks
        else [],
        "strict_status_checks": bool(checks and checks.get("strict")),
        "enforce_admins": bool((raw.get("enforce_admins") or {}).get("enabled")),
        "allow_force_pushes": bool((raw.get("allow_force_pushes") or {}).get("enabled")),
        "allow_deletions": bool((raw.get("allow_deletions") or {}).get("enabled")),
        "required_signatures": bool((raw.get("required_signatures") or {}).get("enabled")),
    }


def _rulesets(rules: list[Mapping[str, Any]]) -> dict[str, Any]:
    """The rules that apply to the branch (from every active ruleset), summarised."""
    by_type: dict[str, list[Mapping[str, Any]]] = {}
    for rule in rules:
        by_type.setdefault(str(rule.get("type")), []).append(rule.get("parameters") or {})
    return {
        "rule_types": sorted(by_type),
        "required_reviews": max(
            [p.get("required_approving_review_count", 0) for p in by_type.get("pull_request", [])], default=0
        ),
        "status_checks": sorted(
            {
                c.get("context")
                for p in by_type.get("required_status_checks", [])
                for c in p.get("required_status_checks", [])
            }
        ),
        "non_fast_forward": "non_fast_forward" in by_type,
        "deletion": "deletion" in by_type,
        "required_signatures": "required_signatures" in by_type,
        "ruleset_ids": sorted({r.get("ruleset_id") for r in rules if r.get("ruleset_id") is not None}),
    }


def _effective(protection: Mapping[str, Any] | None, rulesets: Mapping[str, Any]) -> dict[str, Any]:
    """What GitHub enforces on the default branch: branch protection and rulesets both apply."""
    p = protection or {}
    return {
        "required_reviews": max(p.get("required_reviews", 0), rulesets["required_reviews"]),
        "status_checks": sorted({*p.get("status_checks", []), *rulesets["status_checks"]}),
        "force_push_blocked": (protection is not None and not p["allow_force_pushes"]) or rulesets["non_fast_forward"],
        "deletion_blocked": (protection is not None and not p["allow_deletions"]) or rulesets["deletion"],
        "signatures_required": bool(p.get("required_signatures")) or rulesets["required_signatures"],
        "sources": [
            name
            for name, on in (("branch_protection", protection is not None), ("rulesets", bool(rulesets["rule_types"])))
            if on
        ],
    }


def _alert(alert: Mapping[str, Any]) -> dict[str, Any]:
    advisory = alert.get("security_advisory") or {}
    vulnerability = alert.get("security_vulnerability") or {}
    return {
        "number": alert.get("number"),
        "severity": vulnerability.get("severity") or advisory.get("severity"),
        "created_at": alert.get("created_at"),
        "package": ((vulnerability.get("package") or {}).get("name")),
        "ghsa_id": advisory.get("ghsa_id"),
    }
