"""The built-in rules of one platform judged over facts, for focused collector tests."""

from __future__ import annotations

from datetime import datetime, timezone

from annexa.collectors.registry import load_registry
from annexa.mappings.catalog import load_catalog
from annexa.mappings.evaluate import evaluate
from annexa.mappings.rules import builtin_rule_files, load_rules
from annexa.model import Fact, Result

__all__ = ["results", "verdicts"]


def results(facts: list[Fact], platform: str) -> list[Result]:
    """Each rule of `mappings/rules/<platform>.yaml` evaluated over `facts`."""
    registry = load_registry()
    files = [path for path in builtin_rule_files() if path.name == f"{platform}.yaml"]
    rules = load_rules(files, registry.kinds(), set(load_catalog().ids()))
    return evaluate(facts, [], rules, datetime.now(timezone.utc), registry.kinds())


def verdicts(facts: list[Fact], platform: str) -> dict[tuple[str, str], str]:
    """Each rule's status per resource over `facts`."""
    return {(r.rule, r.resource): r.status for r in results(facts, platform)}
