"""Core collection types: what a collector produces and how it is called.

A collector only reads a remote system and yields `Fact`s (what it saw) and
`CollectionError`s (what it could not see). It never judges: rules do that.
"""

from __future__ import annotations

import abc
import hashlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, ClassVar

__all__ = [
    "CollectionError",
    "Collector",
    "Context",
    "Fact",
    "Shard",
    "Source",
    "Target",
    "scope_key",
    "utc_now",
]


def utc_now() -> str:
    """The current time as RFC 3339 UTC with second precision (`2026-11-22T19:40:58Z`)."""
    return datetime.now(timezone.utc).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def scope_key(scope: Mapping[str, Any]) -> str:
    """A stable, readable label for a scope, e.g. `aws/123456789012/eu-west-1`."""
    parts = [
        str(scope[k])
        for k in ("provider", "account", "subscription", "org", "tenant", "host", "region")
        if scope.get(k)
    ]
    return "/".join(parts) or "-"


@dataclass(frozen=True)
class Source:
    """How a fact was obtained, so an auditor can judge completeness and accuracy.

    `operations` are the API calls made (`s3:GetBucketEncryption`, `GET /orgs/{org}`,
    `read /etc/ssh/sshd_config`); `principal` is who made them (an ARN, an object id,
    a user on a host); `pages` counts list pages read where paging applies.
    `imported` is set only for evidence read from another tool's output file
    (`tool`, `version`, `file`, `sha256`), so it is never mistaken for collected evidence.
    """

    operations: tuple[str, ...]
    principal: str
    pages: int | None = None
    endpoint: str | None = None
    imported: Mapping[str, str] | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"operations": list(self.operations), "principal": self.principal}
        if self.pages is not None:
            out["pages"] = self.pages
        if self.endpoint is not None:
            out["endpoint"] = self.endpoint
        if self.imported is not None:
            out["imported"] = dict(self.imported)
        return out

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> Source:
        return cls(
            operations=tuple(raw.get("operations", ())),
            principal=str(raw.get("principal", "")),
            pages=raw.get("pages"),
            endpoint=raw.get("endpoint"),
            imported=raw.get("imported"),
        )


@dataclass(frozen=True)
class Fact:
    """One configuration fact about one resource, as the system reported it.

    `kind` names the shape of `data` (`aws.s3.bucket`); `resource` is a stable id
    (an ARN, a resource id, or `account:region` for account-level settings);
    `scope` says where it lives (provider, account/subscription/org/host, region).
    """

    kind: str
    resource: str
    scope: Mapping[str, str]
    data: Any
    source: Source
    collected_at: str = field(default_factory=utc_now)


@dataclass(frozen=True)
class CollectionError:
    """Evidence that something could not be read.

    Every rule over one of `kinds` evaluates to `error` for `resource` (or, when
    `resource` is None, for the whole `scope`), never to `pass`.
    """

    kinds: tuple[str, ...]
    scope: Mapping[str, str]
    message: str
    operation: str | None = None
    code: str | None = None
    resource: str | None = None
    collected_at: str = field(default_factory=utc_now)

    def to_dict(self) -> dict[str, Any]:
        return {
            "kinds": list(self.kinds),
            "scope": dict(self.scope),
            "message": self.message,
            "operation": self.operation,
            "code": self.code,
            "resource": self.resource,
            "collected_at": self.collected_at,
        }

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> CollectionError:
        return cls(
            kinds=tuple(raw["kinds"]),
            scope=dict(raw.get("scope") or {}),
            message=str(raw.get("message", "")),
            operation=raw.get("operation"),
            code=raw.get("code"),
            resource=raw.get("resource"),
            collected_at=str(raw.get("collected_at", "")),
        )


@dataclass(frozen=True)
class Target:
    """One entry of `targets:` in annexa.yaml: a provider and its options."""

    provider: str
    options: Mapping[str, Any]
    index: int = 0

    @property
    def label(self) -> str:
        return f"targets[{self.index}] ({self.provider})"


def _no_progress(collector: str, scope: str, facts: int) -> None:
    return None


@dataclass(frozen=True)
class Shard:
    """Shard `index` of `count` (0-based): owns a deterministic 1/count of the work units.

    A work unit is named by its parts, e.g. (collector, account, region); every
    machine of a sharded run computes the same owner for the same unit.
    """

    index: int
    count: int

    def owns(self, *parts: str) -> bool:
        digest = hashlib.sha256("\x1f".join(parts).encode()).digest()
        return int.from_bytes(digest[:8], "big") % self.count == self.index


@dataclass
class Context:
    """What the runner hands every collector for one run.

    `cache` is shared by the collectors of one run so provider plumbing (an AWS
    session, an HTTP client, a token) is built once per target, not per collector.
    `progress` is called with running counts; the CLI shows it on a terminal only.
    """

    run_id: str
    log: Any
    cache: dict[Any, Any] = field(default_factory=dict)
    progress: Callable[[str, str, int], None] = _no_progress
    shard: Shard | None = None

    def owns(self, *parts: str) -> bool:
        """Whether this run collects the work unit named by `parts` (always, when not sharded)."""
        return self.shard is None or self.shard.owns(*parts)


class Collector(abc.ABC):
    """Base class of every collector, built-in or plugin.

    A subclass sets `name` (its entry-point name, e.g. `aws.s3`), `provider` (the
    target type it serves, e.g. `aws`), `kinds` (every fact kind it yields) and
    `permissions` (the read permissions it needs). Its docstring describes the
    evidence. `max_age` is how long its evidence stays fresh by default. `target_options`
    declares the target options it reads. `rules`
    optionally names a YAML rule file shipped beside a plugin, relative to the
    collector's module file.
    """

    name: ClassVar[str]
    provider: ClassVar[str]
    kinds: ClassVar[tuple[str, ...]]
    permissions: ClassVar[tuple[str, ...]] = ()
    rules: ClassVar[str | None] = None
    # False: the runner shards this collector per (collector, target) unit. True: the
    # collector fans out itself (accounts x regions) and asks `context.owns(...)` per unit.
    shards_itself: ClassVar[bool] = False
    # Target options this collector reads, with their expected type; config loading
    # rejects any option no collector of the provider declares.
    target_options: ClassVar[Mapping[str, type | tuple[type, ...]]] = {}
    # How long this collector's evidence stays fresh: a control whose result from it is
    # older becomes `stale`. None: the configuration's `max_age` (7 days by default).
    max_age: ClassVar[timedelta | None] = None

    @classmethod
    def check_options(cls, options: Mapping[str, Any]) -> None:
        """Validate option values beyond their type when the config is loaded; raise
        ValueError naming the option. The default accepts whatever `target_options` allows."""
        return None

    @classmethod
    def preflight(cls, target: Target) -> None:
        """Check user-supplied input (files the target points at) before anything is written.

        Raise `annexa.errors.UsageError` naming file and line: bad input files are a
        configuration error (exit 2, no bundle), not a failed collection.
        """
        return None

    @abc.abstractmethod
    def collect(self, target: Target, context: Context) -> Iterator[Fact | CollectionError]:
        """Read the target and yield facts and errors. Never raise for one failed call."""
