"""The collector registry: every collector, built-in or plugin, comes from the
`annexa.collectors` entry-point group, so there is one source of truth.

A plugin that fails to import or does not satisfy the Collector contract is
reported by name and skipped; the run goes on. A plugin whose name clashes with a
built-in is ignored in favour of the built-in, and that is reported too.
Set ANNEXA_DISABLE_PLUGIN_AUTOLOAD=1 to load only annexa's own collectors.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from importlib import metadata
from pathlib import Path

from annexa.collectors.base import Collector
from annexa.model import EVIDENCE_CLASSES

__all__ = ["ENTRY_POINT_GROUP", "Registry", "load_registry"]

ENTRY_POINT_GROUP = "annexa.collectors"
_BUILTIN_DIST = "annexa"


@dataclass
class Registry:
    collectors: dict[str, type[Collector]] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    def providers(self) -> set[str]:
        return {c.provider for c in self.collectors.values()}

    def for_provider(self, provider: str) -> list[type[Collector]]:
        return [c for name, c in sorted(self.collectors.items()) if c.provider == provider]

    def kinds(self) -> set[str]:
        return {kind for c in self.collectors.values() for kind in c.kinds}

    def target_options(self, provider: str) -> dict[str, type | tuple[type, ...]]:
        options: dict[str, type | tuple[type, ...]] = {}
        for collector in self.for_provider(provider):
            options.update(collector.target_options)
        return options

    def max_age_by_kind(self) -> dict[str, timedelta]:
        """Each fact kind's freshness default, from the collector that produces it."""
        return {kind: c.max_age for c in self.collectors.values() if c.max_age is not None for kind in c.kinds}

    def evidence_class_by_kind(self) -> dict[str, str]:
        """Each fact kind's evidence class, from the collector that produces it."""
        return {kind: c.evidence_class for c in self.collectors.values() for kind in c.kinds}

    def rule_files(self) -> list[Path]:
        """Rule files that plugins ship beside their collector modules."""
        files = []
        for collector in self.collectors.values():
            if collector.rules:
                module = sys.modules[collector.__module__]
                files.append(Path(module.__file__ or ".").parent / collector.rules)
        return sorted(set(files))


def _dist_names(entry_points: Iterable[metadata.EntryPoint]) -> list[tuple[metadata.EntryPoint, str]]:
    """Each entry point with its distribution's name. A distribution's metadata is parsed once
    (an email-format file): 75 built-in collectors share one, and parsing it per entry point was
    a quarter of a second of every command's start-up."""
    names: dict[int, str] = {}
    pairs = []
    for entry_point in entry_points:
        dist = getattr(entry_point, "dist", None)
        if dist is None:
            pairs.append((entry_point, ""))
            continue
        if id(dist) not in names:
            names[id(dist)] = dist.metadata["Name"] or ""
        pairs.append((entry_point, names[id(dist)]))
    return pairs


def _contract_problem(name: str, obj: object) -> str | None:
    if not (isinstance(obj, type) and issubclass(obj, Collector)):
        return f"{obj!r} is not a subclass of annexa.collectors.base.Collector"
    if getattr(obj, "name", None) != name:
        return f"its class declares name {getattr(obj, 'name', None)!r}, but it is registered as {name!r}"
    provider = getattr(obj, "provider", None)
    if not isinstance(provider, str) or not provider:
        return "it declares no provider"
    kinds = getattr(obj, "kinds", None)
    if not isinstance(kinds, tuple) or not kinds:
        return "it declares no fact kinds (`kinds` must be a non-empty tuple)"
    bad = [k for k in kinds if not (isinstance(k, str) and k.startswith(provider + "."))]
    if bad:
        return f"fact kind {bad[0]!r} does not start with its provider {provider + '.'!r}"
    if getattr(obj, "evidence_class", None) not in EVIDENCE_CLASSES:
        return (
            f"its evidence_class {getattr(obj, 'evidence_class', None)!r} is not one of {', '.join(EVIDENCE_CLASSES)}"
        )
    return None


def load_registry(entry_points: Iterable[metadata.EntryPoint] | None = None) -> Registry:
    if entry_points is None:
        entry_points = metadata.entry_points(group=ENTRY_POINT_GROUP)
    autoload = os.environ.get("ANNEXA_DISABLE_PLUGIN_AUTOLOAD", "") in ("", "0")
    named = _dist_names(entry_points)
    builtin = [(ep, dist) for ep, dist in named if dist == _BUILTIN_DIST]
    plugins = [(ep, dist) for ep, dist in named if dist != _BUILTIN_DIST] if autoload else []

    registry = Registry()
    for entry_point, dist in [*builtin, *plugins]:
        origin = dist or "unknown distribution"
        if entry_point.name in registry.collectors:
            registry.problems.append(
                f"collector {entry_point.name!r} from {origin} ignored: the name is already taken by annexa's own"
            )
            continue
        try:
            obj = entry_point.load()
        except Exception as err:  # a broken plugin must not stop the run; it is reported by name
            registry.problems.append(
                f"collector {entry_point.name!r} from {origin} failed to load: {type(err).__name__}: {err}"
            )
            continue
        problem = _contract_problem(entry_point.name, obj)
        if problem:
            registry.problems.append(f"collector {entry_point.name!r} from {origin} ignored: {problem}")
            continue
        registry.collectors[entry_point.name] = obj  # type: ignore[assignment]
    return registry
