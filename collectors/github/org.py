"""The GitHub organisation collector: org settings, members, repositories' protections."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import urlparse

from annexa.collectors.base import Collector, Context, Target
from annexa.collectors.github.client import GitHubClient, GitHubError, check_base_url
from annexa.model import CollectionError, Fact, Source

__all__ = ["GitHubOrgCollector"]

_KINDS = ("github.org", "github.member", "github.repo")
# 403s that describe a setting (a feature turned off), not a missing permission.
_FEATURE_OFF = ("disabled", "must be enabled", "not enabled", "no default setup", "not available")


def _host(base_url: str) -> str:
    host = urlparse(base_url).hostname or base_url
    return "github.com" if host == "api.github.com" else host


def _feature_off(err: GitHubError) -> bool:
    return err.status in (403, 404) and any(words in str(err).lower() for words in _FEATURE_OFF)


class GitHubOrgCollector(Collector):
    """One GitHub organisation (github.com or Enterprise Server):
    `github.org`: 2FA requirement, default repository permission, counts of members,
    owners, outside collaborators and members without 2FA;
    `github.member`: each member and outside collaborator with role and 2FA state;
    `github.repo`: each repository with its default branch's effective protection
    (branch protection and rulesets combined: required reviews, status checks, force
    push and deletion blocked, signed commits), secret scanning and push protection,
    code scanning default setup, open Dependabot alerts (severity, created_at) and
    deployment environments with their protection rules. Only GET requests."""

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
    }

    @classmethod
    def check_options(cls, options: Mapping[str, Any]) -> None:
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
        yield from _OrgReader(client, org, host, scope).read()

    @staticmethod
    def _principal(client: GitHubClient, target: Target) -> str:
        if "app_id" in target.options:
            return f"github-app:{target.options['app_id']}/installation:{target.options.get('installation_id')}"
        user, _ = client.get("/user")
        return f"github-user:{user.get('login')}"


class _OrgReader:
    def __init__(self, client: GitHubClient, org: str, host: str, scope: Mapping[str, str]) -> None:
        self.client = client
        self.org = org
        self.host = host
        self.scope = scope

    def _source(self, operations: list[str], pages: int | None = None) -> Source:
        return Source(tuple(operations), self.client.principal, pages=pages, endpoint=self.client.base_url)

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
            no_2fa = {m["login"] for m in self.client.paginate(f"/orgs/{org}/members", {"filter": "2fa_disabled"})[0]}
            no_2fa |= {
                m["login"]
                for m in self.client.paginate(f"/orgs/{org}/outside_collaborators", {"filter": "2fa_disabled"})[0]
            }
        except GitHubError as err:
            yield self._error(("github.org", "github.member"), err)
        else:
            operations = [f"GET /orgs/{org}", f"GET /orgs/{org}/members", f"GET /orgs/{org}/outside_collaborators"]
            yield Fact(
                kind="github.org",
                resource=f"{self.host}/{org}",
                scope=self.scope,
                data={
                    "login": settings.get("login"),
                    # null when the caller is not an owner: GitHub hides it, and rules then fail, never pass
                    "two_factor_requirement_enabled": settings.get("two_factor_requirement_enabled"),
                    "default_repository_permission": settings.get("default_repository_permission"),
                    "members_can_create_public_repositories": settings.get("members_can_create_public_repositories"),
                    "members_count": len(members),
                    "owners_count": len(owners),
                    "owners": sorted(m["login"] for m in owners),
                    "outside_collaborators_count": len(outside),
                    "members_without_2fa_count": len(no_2fa),
                },
                source=self._source(operations),
            )
            owner_logins = {m["login"] for m in owners}
            people = [(m, "owner" if m["login"] in owner_logins else "member") for m in members]
            people += [(m, "outside_collaborator") for m in outside]
            for member, role in people:
                yield Fact(
                    kind="github.member",
                    resource=f"{self.host}/{org}/{role}s/{member['login']}",
                    scope=self.scope,
                    data={"login": member["login"], "role": role, "two_factor_disabled": member["login"] in no_2fa},
                    source=self._source(operations, member_pages),
                )
        yield from self._repos()

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
        protection = self._optional(f"/repos/{full}/branches/{branch}/protection")
        rules = self._optional(f"/repos/{full}/rules/branches/{branch}") or []
        data["branch_protection"] = _protection(protection)
        data["rulesets"] = _rulesets(rules)
        data["default_branch_rules"] = _effective(data["branch_protection"], data["rulesets"])
        setup = self._optional(f"/repos/{full}/code-scanning/default-setup")
        data["code_scanning"] = {"state": (setup or {}).get("state", "unavailable")}
        try:
            alerts, _ = self.client.paginate(f"/repos/{full}/dependabot/alerts", {"state": "open"})
            data["dependabot_alerts"] = {"enabled": True, "open": [_alert(a) for a in alerts]}
        except GitHubError as err:
            if not _feature_off(err):
                raise
            data["dependabot_alerts"] = {"enabled": False, "open": []}
        environments = self._optional(f"/repos/{full}/environments") or {}
        data["environments"] = [
            {
                "name": e.get("name"),
                "protection_rules": sorted(r.get("type", "") for r in e.get("protection_rules") or []),
            }
            for e in environments.get("environments", [])
        ]
        operations = [
            f"GET /repos/{full}/{part}"
            for part in (
                f"branches/{branch}/protection",
                f"rules/branches/{branch}",
                "code-scanning/default-setup",
                "dependabot/alerts",
                "environments",
            )
        ]
        return data, operations

    def _optional(self, path: str) -> Any:
        """A resource whose absence is a fact (branch not protected, feature off): None then."""
        try:
            return self.client.get(path)[0]
        except GitHubError as err:
            if err.status == 404 or _feature_off(err):
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
