"""Core collection types: what a collector produces and how it is called.

A collector only reads a remote system and yields `Fact`s (what it saw) and
`CollectionError`s (what it could not see). It never judges: rules do that.
"""

from __future__ import annotations

import abc
import hashlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, ClassVar

from annexa.model import CollectionError, Fact, Source, scope_key, utc_now

__all__ = [
    "CollectionError",
    "Collector",
    "Context",
    "Fact",
    "Finished",
    "Pool",
    "Progress",
    "Shard",
    "Stored",
    "Source",
    "Target",
    "scope_key",
    "utc_now",
]


@dataclass(frozen=True)
class Target:
    """One entry of `targets:` in annexa.yaml: a provider and its options."""

    provider: str
    options: Mapping[str, Any]
    index: int = 0

    @property
    def label(self) -> str:
        return f"targets[{self.index}] ({self.provider})"


class Progress:
    """What the runner tells a progress display; these no-op methods are what cron and tests get.

    `target` is a target's label (`targets[0] (aws)`); `facts` and `errors` are running totals;
    `phase` names what a command is doing between collectors (loading, building the demo's fakes)."""

    def phase(self, text: str) -> None:
        return None

    def started(self, collector: str, target: str) -> None:
        return None

    def counted(self, collector: str, target: str, facts: int) -> None:
        return None

    def finished(self, collector: str, target: str, facts: int, errors: int) -> None:
        return None

    def skipped(self, collector: str, target: str, reason: str) -> None:
        return None


@dataclass(frozen=True)
class Finished:
    """Yielded by a `Pool` once the collector at `index` of its list has yielded its last item."""

    index: int


# Runs several collectors, each with its target, on one shared pool of workers: yields (index of
# the (collector, target) member in the list, its next item), and (index, Finished) when that
# member is done.
Pool = Callable[
    [Sequence[tuple["Collector", "Target"]], "Context"],
    Iterator[tuple[int, "Fact | Stored | CollectionError | Finished"]],
]


@dataclass(frozen=True)
class Stored:
    """Yielded by a `Pool` in place of a fact its worker already handed to `Context.store`:
    the fact as collected and as stored (redacted)."""

    fact: Fact
    stored: Fact


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
    `progress` hears each collector start, count and finish; the CLI shows it on a terminal only.
    `store(fact, collector)`, when the runner sets it, writes a fact and returns it as stored; a
    pool's workers call it themselves (redaction, encoding, hashing and the object write then run
    on their threads, not on the one that judges every fact) and yield `Stored`.
    """

    run_id: str
    log: Any
    cache: dict[Any, Any] = field(default_factory=dict)
    progress: Progress = field(default_factory=Progress)
    shard: Shard | None = None
    store: Callable[[Fact, str], Fact] | None = None

    def owns(self, *parts: str) -> bool:
        """Whether this run collects the work unit named by `parts` (always, when not sharded)."""
        return self.shard is None or self.shard.owns(*parts)


class Collector(abc.ABC):
    """Base class of every collector, built-in or plugin.

    A subclass sets `name` (its entry-point name, e.g. `aws.s3`), `provider` (the
    target type it serves, e.g. `aws`), `kinds` (every fact kind it yields) and
    `permissions` (the read permissions it needs). Its docstring describes the
    evidence. A collector written as `specs` (declarative reads such as
    collectors/aws/spec.py's Listing) gets its `kinds` and `permissions` from them; its
    own `permissions` then name only what its code reads beyond the specs. `max_age` is
    how long its evidence stays fresh by default; `evidence_class` says what its facts
    evidence (operation read from a system, records, documents). `target_options` declares
    the target options it reads. `rules` optionally names a YAML rule file shipped beside a
    plugin, relative to the collector's module file.
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
    # What its facts evidence (model.EVIDENCE_CLASSES): `automated` (it reads a system's
    # configuration or state), `record` (operational records: HR/LMS exports, tickets, other
    # scanners' findings), `document` (policies, procedures) or `attestation`.
    evidence_class: ClassVar[str] = "automated"

    # Declarative reads; each spec knows the `kinds` it yields and the `permissions()` it needs.
    specs: ClassVar[tuple[Any, ...]] = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        specs = cls.__dict__.get("specs", ())
        if specs:
            if "kinds" not in cls.__dict__:
                cls.kinds = tuple(dict.fromkeys(kind for spec in specs for kind in spec.kinds))
            derived = [permission for spec in specs for permission in spec.permissions()]
            cls.permissions = tuple(dict.fromkeys([*derived, *cls.__dict__.get("permissions", ())]))

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

    @classmethod
    def pool(cls) -> Pool | None:
        """How this collector runs on one pool with the other collectors of its target that name
        the same pool (AWS: every collector x account x region is one unit); None: on its own."""
        return None

    @abc.abstractmethod
    def collect(self, target: Target, context: Context) -> Iterator[Fact | CollectionError]:
        """Read the target and yield facts and errors. Never raise for one failed call."""
