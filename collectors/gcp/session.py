"""One gcp target: its credentials, the API client and the projects it covers.

Built once per target and shared by every GCP collector through `Context.cache`, so the project
walk and the ancestors' policies are read once per run, not per collector.

Scope: `projects:` reads each named project (Resource Manager `projects.get`); `organization:` and
`folder:` walk the hierarchy below the node with `projects.list` and `folders.list` (both list
direct children only, so folders are walked recursively; `showDeleted=true` so projects pending
deletion are listed and recorded as skipped rather than silently absent). A project that cannot
be read, or a folder whose children cannot be listed, is kept as a `ProjectError`: every
collector turns it into `error` evidence for its kinds there.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from annexa.collectors.base import Context, Target
from annexa.collectors.gcp.client import GcpCallError, GoogleApis, Reply
from annexa.collectors.gcp.credentials import CredentialError, build_credentials
from annexa.collectors.gcp.settings import GcpSettings, parse_settings

__all__ = ["GcpTarget", "Project", "ProjectError", "connect"]

CRM = "cloudresourcemanager"
_MAX_DEPTH = 12  # Resource Manager allows 10 levels of folders


@dataclass
class Project:
    """One project as Resource Manager describes it, and the nodes above it (nearest first)."""

    id: str
    number: str
    display_name: str
    state: str
    parent: str
    ancestors: tuple[str, ...] | None  # None: not known yet (a project named in `projects:`)
    reply: Reply

    @property
    def resource(self) -> str:
        return f"projects/{self.id}"

    def scope(self, region: str | None = None) -> dict[str, str]:
        return {"provider": "gcp", "project": self.id, "region": (region or "global").lower()}

    @classmethod
    def of(cls, raw: dict[str, Any], reply: Reply, ancestors: tuple[str, ...] | None) -> Project:
        return cls(
            id=str(raw.get("projectId", "")),
            number=str(raw.get("name", "")).removeprefix("projects/"),
            display_name=str(raw.get("displayName", "")),
            state=str(raw.get("state", "STATE_UNSPECIFIED")),
            parent=str(raw.get("parent", "")),
            ancestors=ancestors,
            reply=reply,
        )


@dataclass(frozen=True)
class ProjectError:
    """A configured project that could not be read, or a node whose children could not be listed."""

    id: str | None
    node: str | None
    error: GcpCallError

    def scope(self) -> dict[str, str]:
        return {"provider": "gcp", **({"project": self.id, "region": "global"} if self.id else {})}


@dataclass
class GcpTarget:
    settings: GcpSettings
    apis: GoogleApis
    _projects: list[Project | ProjectError] | None = field(default=None, repr=False)
    _policies: dict[str, Reply | GcpCallError] = field(default_factory=dict, repr=False)
    _sinks: dict[str, tuple[list[Any], Reply] | GcpCallError] = field(default_factory=dict, repr=False)
    _once: set[tuple[str, ...]] = field(default_factory=set, repr=False)

    def once(self, *key: str) -> bool:
        """True the first time `key` is asked for in this run (a folder shared by many projects is
        reported once)."""
        if key in self._once:
            return False
        self._once.add(key)
        return True

    def projects(self) -> list[Project | ProjectError]:
        if self._projects is None:
            if self.settings.projects is not None:
                self._projects = [self._named(project_id) for project_id in self.settings.projects]
            else:
                root = self.settings.root
                assert root is not None
                try:
                    above, known = self._upwards(root), True
                except GcpCallError:
                    above, known = (), False  # each project's ancestors are then read (or fail) on demand
                self._projects = list(self._walk(root, tuple(reversed((root, *above))), 0, known))
        return self._projects

    def _named(self, project_id: str) -> Project | ProjectError:
        try:
            reply = self.apis.get(CRM, "/v3/projects/{project}", project=project_id)
        except GcpCallError as exc:
            return ProjectError(project_id, f"projects/{project_id}", exc)
        return Project.of(reply.body, reply, None)

    def _walk(self, node: str, path: tuple[str, ...], depth: int, known: bool):
        """Projects and folders below `node`; `path` runs from the top (organisation) down to `node`."""
        try:
            found, reply = self.apis.items(CRM, "/v3/projects", "projects", {"parent": node, "showDeleted": "true"})
        except GcpCallError as exc:
            yield ProjectError(None, node, exc)
        else:
            for raw in found:
                yield Project.of(raw, reply, tuple(reversed(path)) if known else None)
        try:
            folders, _ = self.apis.items(CRM, "/v3/folders", "folders", {"parent": node})
        except GcpCallError as exc:
            yield ProjectError(None, node, exc)
            return
        for folder in folders:
            name = str(folder.get("name", ""))
            if folder.get("state", "ACTIVE") != "ACTIVE" or not name:
                continue  # a folder pending deletion is empty: Resource Manager deletes only empty folders
            if depth >= _MAX_DEPTH:
                message = f"folders nested deeper than {_MAX_DEPTH} levels: not read"
                yield ProjectError(None, name, GcpCallError("walk", message, code="TooDeep"))
                continue
            yield from self._walk(name, (*path, name), depth + 1, known)

    # --- ancestors: inherited audit configuration and aggregated sinks ------------------
    def ancestors(self, project: Project) -> tuple[str, ...]:
        """The folders and organisation above a project, nearest first (read upwards with
        folders.get when the project was named rather than found by the walk)."""
        if project.ancestors is None:
            parent = project.parent
            above = self._upwards(parent) if parent.startswith("folders/") else ()
            project.ancestors = (parent, *above) if parent.startswith(("folders/", "organizations/")) else ()
        return project.ancestors

    def _upwards(self, node: str) -> tuple[str, ...]:
        """The nodes above a folder, nearest first, up to its organisation (folders.get each)."""
        chain: list[str] = []
        while node.startswith("folders/") and len(chain) < _MAX_DEPTH:
            reply = self.apis.get(CRM, "/v3/folders/{folder}", folder=node.removeprefix("folders/"))
            node = str(reply.body.get("parent", ""))
            chain.append(node)
        return tuple(n for n in chain if n.startswith(("folders/", "organizations/")))

    def policy(self, node: str) -> Reply:
        """The IAM policy of a project, folder or organisation (read once per run)."""
        if node not in self._policies:
            kind, _, ident = node.partition("/")
            template = {"projects": "/v3/projects/{project}", "folders": "/v3/folders/{folder}"}.get(
                kind, "/v3/organizations/{organization}"
            )
            placeholder = template.rsplit("{", 1)[1].rstrip("}")
            try:
                self._policies[node] = self.apis.get_iam_policy(template + ":getIamPolicy", **{placeholder: ident})
            except GcpCallError as exc:
                self._policies[node] = exc
        cached = self._policies[node]
        if isinstance(cached, GcpCallError):
            raise cached
        return cached

    def sinks(self, node: str) -> tuple[list[Any], Reply]:
        """The log sinks of a project, folder or organisation (read once per run)."""
        if node not in self._sinks:
            kind, _, ident = node.partition("/")
            placeholder = kind[:-1]
            try:
                self._sinks[node] = self.apis.items(
                    "logging", f"/v2/{kind}/{{{placeholder}}}/sinks", "sinks", **{placeholder: ident}
                )
            except GcpCallError as exc:
                self._sinks[node] = exc
        cached = self._sinks[node]
        if isinstance(cached, GcpCallError):
            raise cached
        return cached


def connect(target: Target, context: Context) -> GcpTarget | GcpCallError:
    """The target's client, built once per run; a GcpCallError when no credential can be built."""
    key = ("gcp", target.index, repr(sorted(target.options.items())))
    if key not in context.cache:
        context.cache[key] = _build(target)
    return context.cache[key]


def _build(target: Target) -> GcpTarget | GcpCallError:
    settings = parse_settings(target.options)
    try:
        identity = build_credentials(settings)
    except CredentialError as exc:
        return GcpCallError("credentials", str(exc), code="NoCredentials")
    return GcpTarget(settings, GoogleApis(identity.credentials, identity.principal, settings.endpoint))
