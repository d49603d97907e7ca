"""The pure evaluator: facts + collection errors + rules -> results. No I/O.

Statuses: `pass`, `fail`, `error` (the evidence could not be read or the rule could
not be evaluated on it) and `not_applicable` (the kind was collected but no
resource of it matched the rule). A collection error always wins over what a fact
says, so a partly failed read can never look compliant.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from jmespath import exceptions as jmes_errors

from annexa.collectors.base import CollectionError, Fact, scope_key
from annexa.mappings.jmes import truthy
from annexa.mappings.rules import Rule

__all__ = ["Result", "STATUSES", "Evaluator", "evaluate"]

STATUSES = ("pass", "fail", "error", "not_applicable")
_MAX_OBSERVED = 200


@dataclass(frozen=True)
class Result:
    rule: str
    controls: tuple[str, ...]
    kind: str
    resource: str
    scope: Mapping[str, str]
    status: str
    severity: str
    message: str
    collected_at: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "controls": list(self.controls),
            "kind": self.kind,
            "resource": self.resource,
            "scope": dict(self.scope),
            "status": self.status,
            "severity": self.severity,
            "message": self.message,
            "collected_at": self.collected_at,
        }

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> Result:
        return cls(
            rule=raw["rule"],
            controls=tuple(raw["controls"]),
            kind=raw["kind"],
            resource=raw["resource"],
            scope=dict(raw.get("scope") or {}),
            status=raw["status"],
            severity=raw["severity"],
            message=raw.get("message", ""),
            collected_at=raw.get("collected_at", ""),
        )


def _show(value: Any) -> str:
    text = json.dumps(value, sort_keys=True, default=str)
    return text if len(text) <= _MAX_OBSERVED else text[: _MAX_OBSERVED - 1] + "…"


class Evaluator:
    """Streaming evaluation: `add(fact)` as facts arrive, then `finish(errors, kinds)`.

    Only results are kept, never facts, so a large estate evaluates in bounded memory.
    """

    def __init__(self, rules: Sequence[Rule], now: datetime) -> None:
        self._now = now
        self._rules_by_kind: dict[str, list[Rule]] = {}
        for rule in rules:
            self._rules_by_kind.setdefault(rule.fact, []).append(rule)
        self._rules = list(rules)
        self._results: dict[tuple[str, str], Result] = {}

    def add(self, fact: Fact) -> None:
        for rule in self._rules_by_kind.get(fact.kind, ()):
            result = self._judge(rule, fact)
            if result is not None:
                self._results[(rule.id, fact.resource)] = result

    def _judge(self, rule: Rule, fact: Fact) -> Result | None:
        def result(status: str, message: str) -> Result:
            return Result(
                rule=rule.id,
                controls=rule.controls,
                kind=fact.kind,
                resource=fact.resource,
                scope=fact.scope,
                status=status,
                severity=rule.severity,
                message=message,
                collected_at=fact.collected_at,
            )

        try:
            if rule.where is not None and not truthy(rule.where.search(fact.data, self._now)):
                return None
            passed = truthy(rule.expect.search(fact.data, self._now))
            observed = (
                f"; observed {_show(rule.observe.search(fact.data, self._now))}" if rule.observe is not None else ""
            )
        except jmes_errors.JMESPathError as err:
            return result("error", f"rule could not be evaluated on this resource: {' '.join(str(err).split())}")
        if passed:
            return result("pass", f"satisfied: {rule.expect.text}{observed}")
        return result("fail", f"not satisfied: {rule.expect.text}{observed}")

    def finish(self, errors: Iterable[CollectionError], collected_kinds: Iterable[str]) -> list[Result]:
        """Apply collection errors, add `not_applicable` for empty kinds, return sorted results."""
        for error in errors:
            for kind in error.kinds:
                for rule in self._rules_by_kind.get(kind, ()):
                    self._record_error(rule, kind, error)
        judged_rules = {rule_id for rule_id, _ in self._results}
        collected = set(collected_kinds)
        for rule in self._rules:
            if rule.id not in judged_rules and rule.fact in collected:
                self._results[(rule.id, "-")] = Result(
                    rule=rule.id,
                    controls=rule.controls,
                    kind=rule.fact,
                    resource="-",
                    scope={},
                    status="not_applicable",
                    severity=rule.severity,
                    message=f"no {rule.fact} resource matched this rule",
                    collected_at="",
                )
        return [self._results[key] for key in sorted(self._results)]

    def _record_error(self, rule: Rule, kind: str, error: CollectionError) -> None:
        resource = error.resource or scope_key(error.scope)
        cause = f"{error.code}: " if error.code else ""
        operation = f" ({error.operation})" if error.operation else ""
        message = f"collection failed{operation}: {cause}{error.message}"
        existing = self._results.get((rule.id, resource))
        if existing is not None and existing.status == "error":
            if message in existing.message:
                return
            message = f"{existing.message}; {message}"
        base = existing or Result(
            rule=rule.id,
            controls=rule.controls,
            kind=kind,
            resource=resource,
            scope=error.scope,
            status="error",
            severity=rule.severity,
            message="",
            collected_at=error.collected_at,
        )
        self._results[(rule.id, resource)] = replace(base, status="error", message=message)


def evaluate(
    facts: Iterable[Fact],
    errors: Iterable[CollectionError],
    rules: Sequence[Rule],
    now: datetime,
    collected_kinds: Iterable[str] = (),
) -> list[Result]:
    """Judge every fact against every rule over its kind; see the module docstring."""
    evaluator = Evaluator(rules, now)
    for fact in facts:
        evaluator.add(fact)
    return evaluator.finish(errors, collected_kinds)
