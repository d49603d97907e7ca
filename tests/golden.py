"""Golden evidence: what collectors yield on a seeded fake, compared with a file in tests/data/golden/.

The files were captured before the declarative spec layer replaced the AWS and Azure collectors'
hand-written loops (issue 19): they prove that the refactor changed nothing an auditor sees
(facts, collection errors, rule results). A deliberate change of behaviour regenerates them in
the same commit, so the review shows the evidence it changes:

    ANNEXA_UPDATE_GOLDEN=1 .venv/bin/pytest tests/collectors

Times (collection times, creation dates the fakes stamp with "now") and loopback ports are
replaced by placeholders; everything else is compared exactly.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from annexa.collectors.registry import load_registry
from annexa.mappings.catalog import load_catalog
from annexa.mappings.evaluate import evaluate
from annexa.mappings.rules import builtin_rule_files, load_rules
from annexa.model import CollectionError, Fact, Result

__all__ = ["assert_matches_golden", "evidence", "identities", "results_of"]

GOLDEN = Path(__file__).resolve().parent / "data" / "golden"
_TIME = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})?")
_PORT = re.compile(r"(127\.0\.0\.1|localhost):\d+")
# Names that carry their creation minute: RDS automated snapshots (`rds:orders-db-2026-12-02-14-06`).
_STAMPED_NAME = re.compile(r"(rds:[A-Za-z0-9-]+?)-\d{4}-\d{2}-\d{2}-\d{2}-\d{2}")


def _canonical(value: Any) -> str:
    text = json.dumps(value, sort_keys=True, default=str)
    return _STAMPED_NAME.sub(r"\1-<time>", _PORT.sub(r"\1:<port>", _TIME.sub("<time>", text)))


def _fact(fact: Fact) -> dict[str, Any]:
    return {
        "kind": fact.kind,
        "resource": fact.resource,
        "scope": dict(fact.scope),
        "data": fact.data,
        "source": fact.source.to_dict(),
    }


def _error(error: CollectionError) -> dict[str, Any]:
    return {k: v for k, v in error.to_dict().items() if k != "collected_at"}


def _result(result: Result) -> dict[str, Any]:
    return {
        "rule": result.rule,
        "resource": result.resource,
        "status": result.status,
        "message": result.message,
        "controls": list(result.controls),
        "kind": result.kind,
        "scope": dict(result.scope),
    }


def results_of(facts: list[Fact], errors: list[CollectionError], kinds: Iterable[str]) -> list[Result]:
    """The built-in rules' verdicts on what collectors of `kinds` yielded, as a run records them."""
    rules = load_rules(builtin_rule_files(), load_registry().kinds(), set(load_catalog().ids()))
    return evaluate(facts, errors, rules, datetime.now(timezone.utc), set(kinds))


def evidence(facts: list[Fact], errors: list[CollectionError], results: list[Result]) -> dict[str, list[str]]:
    """Everything an auditor sees, one canonical JSON line per fact, error and result, sorted."""
    return {
        "facts": sorted(_canonical(_fact(f)) for f in facts),
        "errors": sorted(_canonical(_error(e)) for e in errors),
        "results": sorted(_canonical(_result(r)) for r in results),
    }


def identities(facts: list[Fact], errors: list[CollectionError], results: list[Result]) -> dict[str, list[str]]:
    """A shorter record for fault scenarios: every error in full, which facts exist, each result's status."""
    return {
        "facts": sorted(_canonical([f.kind, f.resource]) for f in facts),
        "errors": sorted(_canonical(_error(e)) for e in errors),
        "results": sorted(_canonical([r.rule, r.resource, r.status]) for r in results),
    }


def assert_matches_golden(name: str, scenarios: dict[str, dict[str, list[str]]]) -> None:
    """Fail naming every fact, error and result that differs from tests/data/golden/<name>.json."""
    differences = _differences(name, scenarios)
    if differences:
        pytest.fail(f"evidence differs from tests/data/golden/{name}.json:\n{json.dumps(differences, indent=1)}")


def _differences(name: str, scenarios: dict[str, dict[str, list[str]]]) -> dict[str, Any]:
    """What differs from the golden file: {} when nothing does. With ANNEXA_UPDATE_GOLDEN=1 the
    file is rewritten instead (and {} returned)."""
    path = GOLDEN / f"{name}.json"
    if os.environ.get("ANNEXA_UPDATE_GOLDEN") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(scenarios, indent=1, sort_keys=True) + "\n")
        return {}
    golden: dict[str, dict[str, list[str]]] = json.loads(path.read_text())
    differences: dict[str, Any] = {}
    for scenario in sorted(set(golden) | set(scenarios)):
        before, after = golden.get(scenario), scenarios.get(scenario)
        if before is None or after is None:
            differences[scenario] = "only in the golden file" if after is None else "not in the golden file"
            continue
        for part in sorted(set(before) | set(after)):
            old, new = set(before.get(part, ())), set(after.get(part, ()))
            if old != new:
                differences[f"{scenario} {part}"] = {"lost": sorted(old - new), "new": sorted(new - old)}
    return differences
