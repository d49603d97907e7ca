"""Run one provider's collectors over targets and evaluate the built-in rules, the way the Azure,
Google Cloud and Kubernetes collector tests judge their fakes' worlds."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any, Protocol, TypeVar

import structlog

from annexa.collectors.base import Context, Target
from annexa.collectors.registry import load_registry
from annexa.mappings.catalog import load_catalog
from annexa.mappings.evaluate import evaluate
from annexa.mappings.rules import builtin_rule_files, load_rules
from annexa.model import CollectionError, Fact, Result


class _Collected(Protocol):
    facts: list[Fact]
    errors: list[CollectionError]
    results: list[Result]


C = TypeVar("C", bound=_Collected)


def provider_runner(provider: str, collected: Callable[[], C]) -> Callable[..., C]:
    """`run(*targets, names=())`: the provider's collectors (all, or those named) over each target's
    options, what they yielded split into facts and errors, and the built-in rules' results."""
    registry = load_registry()
    rules = load_rules(builtin_rule_files(), registry.kinds(), set(load_catalog().ids()))

    def run(*targets: dict[str, Any], names: tuple[str, ...] = ()) -> C:
        context = Context(run_id="test", log=structlog.get_logger())
        out = collected()
        kinds: set[str] = set()
        for index, options in enumerate(targets):
            for collector in registry.for_provider(provider):
                if names and collector.name not in names:
                    continue
                kinds.update(collector.kinds)
                for item in collector().collect(Target(provider, options, index), context):
                    (out.facts if isinstance(item, Fact) else out.errors).append(item)
        out.results = evaluate(out.facts, out.errors, rules, datetime.now(timezone.utc), kinds)
        return out

    return run
