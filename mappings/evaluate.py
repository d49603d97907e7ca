"""The pure evaluator: facts + collection errors + rules -> results. No I/O.

Statuses: `pass`, `fail`, `error` (the evidence could not be read or the rule could
not be evaluated on it) and `not_applicable` (the kind was collected but no
resource of it matched the rule). A collection error always wins over what a fact
says, so a partly failed read can never look compliant.

Two rule features reach beyond one fact's `expect`, and both stay pure:
- `controls_from`: the fact names more controls (a policy's `controls:`); an id the
  catalog does not know makes the result `error`, never evidence for a made-up control.
- `join`: facts of another kind matched by key are handed to `expect` as `joined`
  (judged once all facts are in); if that kind failed to collect, the result is `error`.

Rules never guess: a property that `where` or `expect` reads on the fact (properties.py says
exactly which) and that the source left out makes the result `error` ("property X missing
from the API response"), unless the rule declares its documented default in `defaults:`; the
result's message then says which default was applied. Each result carries the evidence class
of the collector that produced its fact kind (`evidence_classes`, from the registry).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from jmespath import exceptions as jmes_errors

from annexa.mappings.catalog import control_sort_key
from annexa.mappings.jmes import node_holds, truthy
from annexa.mappings.policy import POLICY_DEFAULTS
from annexa.mappings.properties import Path, Requirement, apply_defaults, path_text
from annexa.mappings.rules import Join, Rule
from annexa.model import RESULT_STATUSES, CollectionError, Fact, Result, evidence_class_for_kind, scope_key

__all__ = ["Result", "STATUSES", "Evaluator", "evaluate"]

STATUSES = RESULT_STATUSES
_MAX_OBSERVED = 200
_NOT_JOINABLE: Any = object()  # a join rule's fact whose data is not an object


def _show(value: Any) -> str:
    text = json.dumps(value, sort_keys=True)  # judged data is stored JSON: nothing needs a fallback
    return text if len(text) <= _MAX_OBSERVED else text[: _MAX_OBSERVED - 1] + "…"


def _missing_message(unmet: list[list[Path]]) -> str:
    """`property a.b missing from the API response` (alternatives: `property a (or b) missing ...`)."""
    return "; ".join(
        f"property {path_text(paths[0])}"
        + (f" (or {', '.join(path_text(p) for p in paths[1:])})" if len(paths) > 1 else "")
        + " missing from the API response"
        for paths in unmet
    )


def _prepared(
    rule: Rule, data: Any, reads: tuple[Requirement, ...], now: datetime, policy: Mapping[str, Any]
) -> tuple[Any, list[Path], str | None]:
    """(data with the rule's declared defaults applied, the defaults applied, the problem when a read
    property is still absent)."""
    if not reads:
        return data, [], None
    ready, applied, unmet = apply_defaults(
        data, list(reads), rule.defaults, lambda node, value: node_holds(node, value, now, policy)
    )
    return ready, applied, _missing_message(unmet) if unmet else None


class Evaluator:
    """Streaming evaluation: `add(fact)` as facts arrive, then `finish(errors, kinds)`.

    Only results are kept, never facts, so a large estate evaluates in bounded memory.
    """

    def __init__(
        self,
        rules: Sequence[Rule],
        now: datetime,
        evidence_classes: Mapping[str, str] | None = None,
        policy: Mapping[str, Any] | None = None,
    ) -> None:
        self._now = now
        # The organisation's policy settings rules read with `policy(name)` (policy.py; None: defaults).
        self._policy = dict(POLICY_DEFAULTS if policy is None else policy)
        self._classes = dict(evidence_classes or {})
        self._rules_by_kind: dict[str, list[Rule]] = {}
        for rule in rules:
            self._rules_by_kind.setdefault(rule.fact, []).append(rule)
        self._rules = list(rules)
        self._results: dict[tuple[str, str], Result] = {}
        self._shared: dict[Any, Any] = {}  # see _result
        # Join rules wait for all facts: their facts are kept (after `where`, e.g. leavers
        # only) and the other kind is indexed by key (resource and data of each match).
        self._lookups_by_kind: dict[str, list[Rule]] = {}
        for rule in rules:
            for kind in rule.join.kinds if rule.join is not None else ():
                self._lookups_by_kind.setdefault(kind, []).append(rule)
        self._pending: dict[str, list[Fact]] = {}
        self._lookup: dict[str, dict[str, list[dict[str, Any]]]] = {}

    def add(self, fact: Fact) -> None:
        for rule in self._lookups_by_kind.get(fact.kind, ()):
            assert rule.join is not None
            index = self._lookup.setdefault(rule.id, {})
            for key in self._keys(rule.join.key, fact.data):
                index.setdefault(key, []).append({"kind": fact.kind, "resource": fact.resource, "data": fact.data})
        for rule in self._rules_by_kind.get(fact.kind, ()):
            if rule.join is not None:
                self._pending.setdefault(rule.id, []).append(fact)
                continue
            result = self._judge(rule, fact)
            if result is not None:
                self._results[(rule.id, fact.resource)] = result

    def _keys(self, expression: Any, data: Any) -> list[str]:
        """Join keys: strings compared trimmed and case-insensitively (logins, e-mail addresses)."""
        try:
            value = expression.search(data, self._now, self._policy)
        except jmes_errors.JMESPathError:
            return []
        values = value if isinstance(value, list) else [value]
        return [str(v).strip().lower() for v in values if isinstance(v, (str, int)) and str(v).strip()]

    def _joined(self, rule: Rule, fact: Fact) -> Any:
        assert rule.join is not None
        if not isinstance(fact.data, dict):
            return None
        index = self._lookup.get(rule.id, {})
        matches = [m for key in dict.fromkeys(self._keys(rule.join.match, fact.data)) for m in index.get(key, [])]
        return {**fact.data, "joined": matches}

    def _controls(self, rule: Rule, data: Any) -> tuple[tuple[str, ...], str | None]:
        """The rule's controls plus those the fact names; a problem message when they are not valid ids."""
        if rule.controls_from is None:
            return rule.controls, None
        try:
            named = rule.controls_from.search(data, self._now, self._policy)
        except jmes_errors.JMESPathError as err:
            return rule.controls, f"controls_from could not be evaluated: {' '.join(str(err).split())}"
        if named is None:
            named = []
        if not isinstance(named, list) or not all(isinstance(c, str) for c in named):
            return rule.controls, f"controls_from must give a list of control ids; observed {_show(named)}"
        unknown = [c for c in named if c not in rule.known_controls]
        if unknown:
            return rule.controls, f"names unknown Annex A 2022 control ids: {', '.join(unknown)}"
        return tuple(dict.fromkeys([*rule.controls, *named])), None

    def evidence_class(self, kind: str) -> str:
        return self._classes.get(kind) or evidence_class_for_kind(kind)

    def _result(self, rule: Rule, fact: Fact, controls: tuple[str, ...], status: str, message: str) -> Result:
        # Results live until the run is committed, one per rule and resource: the values they
        # repeat (the scope of an account and region, a message, a batch's time) are held once.
        try:  # keyed with each value's type: 1 and True are equal keys, but not the same scope
            scope = self._shared.setdefault(tuple((k, type(v), v) for k, v in fact.scope.items()), fact.scope)
        except TypeError:  # a value that cannot be a key (a list): this result keeps its own
            scope = fact.scope
        return Result(
            rule=rule.id,
            controls=controls,
            kind=fact.kind,
            resource=fact.resource,
            scope=scope,
            status=status,
            severity=rule.severity,
            message=self._shared.setdefault(message, message),
            collected_at=self._shared.setdefault(fact.collected_at, fact.collected_at),
            evidence_class=self.evidence_class(fact.kind),
        )

    def _selects(self, rule: Rule, fact: Fact) -> tuple[bool, list[Path], str | None]:
        """(whether `where` selects the fact, the defaults it applied, why it cannot tell: then it selects,
        so the result is an error, never a silent skip)."""
        if rule.where is None:
            return True, [], None
        selecting, applied, absent = _prepared(rule, fact.data, rule.where_reads, self._now, self._policy)
        if absent is not None:
            return True, applied, absent
        try:
            return truthy(rule.where.search(selecting, self._now, self._policy)), applied, None
        except jmes_errors.JMESPathError as err:
            return True, applied, f"rule could not be evaluated on this resource: {' '.join(str(err).split())}"

    def _judge(self, rule: Rule, fact: Fact, data: Any = None) -> Result | None:
        data = fact.data if data is None else data
        controls, problem = self._controls(rule, fact.data)
        selected, selected_by, unselectable = self._selects(rule, fact)
        if not selected:
            return None
        if unselectable is not None:
            return self._result(rule, fact, controls, "error", unselectable)
        if problem is not None:
            return self._result(
                rule, fact, controls, "error", f"rule could not be evaluated on this resource: {problem}"
            )
        if data is _NOT_JOINABLE:
            message = "rule could not be evaluated on this resource: its data is not an object"
            return self._result(rule, fact, controls, "error", message)
        data, applied, absent = _prepared(rule, data, rule.expect_reads, self._now, self._policy)
        if absent is not None:
            return self._result(rule, fact, controls, "error", absent)
        try:
            passed = truthy(rule.expect.search(data, self._now, self._policy))
            observed = (
                f"; observed {_show(rule.observe.search(data, self._now, self._policy))}"
                if rule.observe is not None
                else ""
            )
        except jmes_errors.JMESPathError as err:
            message = f"rule could not be evaluated on this resource: {' '.join(str(err).split())}"
            return self._result(rule, fact, controls, "error", message)
        applied = list(dict.fromkeys([*selected_by, *applied]))
        if applied:
            observed += "; default applied (absent from the API response): " + ", ".join(
                f"{path_text(p)} = {_show(rule.defaults[p])}" for p in applied
            )
        if passed:
            return self._result(rule, fact, controls, "pass", f"satisfied: {rule.expect.text}{observed}")
        return self._result(rule, fact, controls, "fail", f"not satisfied: {rule.expect.text}{observed}")

    def finish(self, errors: Iterable[CollectionError], collected_kinds: Iterable[str]) -> list[Result]:
        """Judge join rules, apply collection errors, add `not_applicable` for empty kinds; sorted results.
        It ends the evaluation: the results are handed over, not kept."""
        errors = list(errors)
        collected = set(collected_kinds)
        failed_kinds = {kind for error in errors for kind in error.kinds}
        # Matches in an order of their own, not of arrival (collectors' units run in parallel).
        for index in self._lookup.values():
            for matches in index.values():
                matches.sort(key=lambda match: (match["kind"], match["resource"]))
        for rule in self._rules:
            if rule.join is not None:
                self._finish_join(rule, rule.join, collected, failed_kinds)
        # In a fixed order, so a result's combined message does not depend on collection order
        # (a sealed sharded run must equal an unsharded one).
        for error in sorted(errors, key=lambda e: json.dumps(e.to_dict(), sort_keys=True)):
            for kind in error.kinds:
                for rule in self._rules_by_kind.get(kind, ()):
                    self._record_error(rule, kind, error)
        judged_rules = {rule_id for rule_id, _ in self._results}
        for rule in self._rules:
            if rule.id not in judged_rules and rule.fact in collected:
                joined = (
                    f", or no {' or '.join(rule.join.kinds)} was collected to check it against" if rule.join else ""
                )
                empty = Result(
                    rule=rule.id,
                    controls=rule.controls,
                    kind=rule.fact,
                    resource="-",
                    scope={},
                    status="not_applicable",
                    severity=rule.severity,
                    message=f"no {rule.fact} resource matched this rule{joined}",
                    collected_at="",
                    evidence_class=self.evidence_class(rule.fact),
                )
                self._results[(rule.id, empty.resource)] = empty
        results = [self._results[key] for key in sorted(self._results)]
        self._results = {}  # the list holds them now: the commit that follows is the run's peak of memory
        return results

    def _finish_join(self, rule: Rule, join: Join, collected: set[str], failed_kinds: set[str]) -> None:
        for fact in self._pending.pop(rule.id, []):
            failed = [kind for kind in join.kinds if kind in failed_kinds]
            if failed:
                if self._selects(rule, fact)[0]:  # it cannot be checked against what was not read: an error
                    message = f"{' and '.join(failed)} could not be collected, so this cannot be checked against it"
                    controls = self._controls(rule, fact.data)[0]
                    self._results[(rule.id, fact.resource)] = self._result(rule, fact, controls, "error", message)
            elif any(kind in collected for kind in join.kinds):
                joined = self._joined(rule, fact)
                result = self._judge(rule, fact, _NOT_JOINABLE if joined is None else joined)
                if result is not None:
                    self._results[(rule.id, fact.resource)] = result

    def _record_error(self, rule: Rule, kind: str, error: CollectionError) -> None:
        resource = error.resource or scope_key(error.scope)
        cause = f"{error.code}: " if error.code else ""
        operation = f" ({error.operation})" if error.operation else ""
        message = f"collection failed{operation}: {cause}{error.message}"
        existing = self._results.get((rule.id, resource))
        if existing is not None:  # a fact was read, but the collection failed for it: the error wins
            if existing.status == "error":
                if message in existing.message:
                    return
                message = f"{existing.message}; {message}"
            self._results[(rule.id, resource)] = replace(existing, status="error", message=message)
            return
        self._results[(rule.id, resource)] = Result(
            rule=rule.id,
            # A rule whose controls all come from the facts (`controls: []`) could have evidenced
            # any control: unread evidence is an error for each of them, never a silent gap.
            controls=rule.controls or tuple(sorted(rule.known_controls, key=control_sort_key)),
            kind=kind,
            resource=resource,
            scope=error.scope,
            status="error",
            severity=rule.severity,
            message=message,
            collected_at=error.collected_at,
            evidence_class=self.evidence_class(kind),
        )


def evaluate(
    facts: Iterable[Fact],
    errors: Iterable[CollectionError],
    rules: Sequence[Rule],
    now: datetime,
    collected_kinds: Iterable[str] = (),
    evidence_classes: Mapping[str, str] | None = None,
    policy: Mapping[str, Any] | None = None,
) -> list[Result]:
    """Judge every fact against every rule over its kind; see the module docstring."""
    evaluator = Evaluator(rules, now, evidence_classes, policy)
    for fact in facts:
        evaluator.add(fact)
    return evaluator.finish(errors, collected_kinds)
