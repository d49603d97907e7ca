"""Findings: one row per rule x resource of a run, read from the store.

Besides the raw result, each row says in words what the rule expected and what was observed,
and `error_groups` turns the `error` results of one cause (a target without credentials makes
every rule over it `error`) into one line with what to do, so real failures are not buried.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from annexa.causes import cause_of
from annexa.evidence_store.store import RunInfo, Store
from annexa.model import Result, scope_key
from annexa.words import plural

__all__ = [
    "FINDING_COLUMNS",
    "ErrorGroup",
    "Findings",
    "error_groups",
    "finding_rows",
    "iter_finding_rows",
    "load_findings",
    "SEVERITY_ORDER",
    "STATUS_ORDER",
]

FINDING_COLUMNS = (
    "rule",
    "title",
    "controls",
    "status",
    "evidence_class",
    "severity",
    "kind",
    "resource",
    "scope",
    "collected_at",
    "message",
    "expected",
    "observed",
    "remediation",
    "run_id",
)
SEVERITY_ORDER = {"critical": 0, "high": 1, "medium": 2, "low": 3}
# Worst first: a real failure before a result that could not be evaluated.
STATUS_ORDER = {"fail": 0, "error": 1, "pass": 2, "not_applicable": 3}

# evaluate.Evaluator._record_error: "collection failed (OPERATION): CODE: MESSAGE"
_COLLECTION_FAILED = re.compile(r"^collection failed(?: \((?P<operation>[^)]*)\))?: (?:(?P<code>[A-Za-z0-9_.]+): )?")
_DEFAULT_APPLIED = "; default applied (absent from the API response): "


def _expectation(result: Result, rule: Mapping[str, Any]) -> tuple[str, str]:
    """(expected, observed) in words, for a pass or a fail (evaluate.Evaluator._judge writes
    "not satisfied: EXPECT; observed VALUE; default applied ...")."""
    expect = str(rule.get("expect", ""))
    if result.status not in ("pass", "fail") or not expect:
        return "", ""
    rest = result.message.split(f": {expect}", 1)[1] if f": {expect}" in result.message else ""
    rest, _, defaults = rest.partition(_DEFAULT_APPLIED)
    observe = rule.get("observe")
    if rest.startswith("; observed ") and observe:
        observed = _observed(str(observe), rest.removeprefix("; observed "))
    else:
        observed = "not recorded (the rule has no `observe:`)"
    if defaults:
        observed += f" (absent from the API response, so its documented default applied: {defaults})"
    return expect, observed


def _observed(observe: str, shown: str) -> str:
    """`observe = value`; an object (a multi-select such as `{a: a, b: b}`) as `a = 1, b = 2`."""
    try:
        value = json.loads(shown)
    except ValueError:  # cut at evaluate._MAX_OBSERVED characters: shown as it is
        return f"{observe} = {shown}"
    if isinstance(value, dict) and value:
        return ", ".join(f"{key} = {json.dumps(item)}" for key, item in value.items())
    return f"{observe} = {shown}"


def _row(result: Result, rule: Mapping[str, Any], run: RunInfo) -> dict[str, Any]:
    expected, observed = _expectation(result, rule)
    return {
        "rule": result.rule,
        "title": rule.get("title", ""),
        "controls": list(result.controls),
        "status": result.status,
        "evidence_class": result.evidence_class,
        "severity": result.severity,
        "kind": result.kind,
        "resource": result.resource,
        "scope": dict(result.scope),
        "collected_at": result.collected_at,
        "message": result.message,
        "expected": expected,
        "observed": observed,
        "remediation": rule.get("remediation", "") if result.status in ("fail", "error") else "",
        "run_id": run.run_id,
    }


def finding_rows(store: Store, run: RunInfo, statuses: set[str] | None = None) -> list[dict[str, Any]]:
    """Rows ordered worst first: failures, then errors, each by severity, rule and resource."""
    return list(iter_finding_rows(store, run, statuses))


def iter_finding_rows(store: Store, run: RunInfo, statuses: set[str] | None = None) -> Iterator[dict[str, Any]]:
    """`finding_rows` one at a time, sorted by the index rather than in memory."""
    rules = store.rules(run)

    def rank(rule: str, status: str) -> int:  # (status, severity) as one number; rule, resource follow
        severity = (rules.get(rule) or {}).get("severity", "")
        return STATUS_ORDER.get(status, 9) * 10 + SEVERITY_ORDER.get(severity, 9)

    for result in store.iter_results(run, statuses, rank):
        yield _row(result, rules.get(result.rule, {}), run)


@dataclass
class ErrorGroup:
    """The `error` results of one cause."""

    cause: str  # what went wrong, in words
    hint: str  # what to do, or ""
    where: str  # the targets or scopes it hit
    rows: list[dict[str, Any]] = field(default_factory=list)

    def line(self) -> str:
        hint = f"; {self.hint}" if self.hint else ""
        return f"{plural(len(self.rows), 'result')} could not be evaluated: {self.cause} {self.where}{hint}"


def _targets(manifest: Mapping[str, Any], provider: str, code: str) -> list[str]:
    """The targets (`targets[0] (aws)`) whose collectors recorded failures with `code`."""
    return sorted(
        {
            str(c.get("target"))
            for c in manifest.get("collectors") or []
            if str(c.get("target", "")).endswith(f"({provider})") and code in (c.get("error_causes") or {})
        }
    )


def _where(rows: Sequence[Mapping[str, Any]], targets: list[str]) -> str:
    if targets:
        return ("for target " if len(targets) == 1 else "for targets ") + ", ".join(targets)
    scopes = sorted({scope_key(row["scope"]) for row in rows})
    return f"on {scopes[0]}" if len(scopes) == 1 else f"on {len(scopes)} scopes ({', '.join(scopes[:3])}, ...)"


def error_groups(rows: Sequence[dict[str, Any]], manifest: Mapping[str, Any]) -> list[ErrorGroup]:
    """The `error` rows grouped by cause (the same message from the same provider), largest first."""
    by_message: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for row in rows:
        if row["status"] == "error":
            by_message.setdefault((str(row["scope"].get("provider", "")), row["message"]), []).append(row)
    groups = []
    for (provider, message), members in by_message.items():
        failed = _COLLECTION_FAILED.match(message)
        code = (failed.group("code") or "") if failed else ""
        cause = cause_of(provider, code) if failed else None
        if cause is not None:
            where = _where(members, _targets(manifest, provider, code))
            groups.append(ErrorGroup(cause.summary, cause.hint, where, members))
        else:
            what = message[failed.end() :] + (f" ({code})" if code else "") if failed else message
            groups.append(ErrorGroup(what, "", _where(members, []), members))
    groups.sort(key=lambda g: (-len(g.rows), g.cause))
    return groups


@dataclass(frozen=True)
class Findings:
    """What the readable reports (terminal, HTML) show of a run."""

    run: RunInfo
    rows: Iterable[dict[str, Any]]  # every row, worst first: a list, or rows read again from the store each time
    groups: list[ErrorGroup]
    totals: Mapping[str, int] | None = None  # rows per status, when `rows` is not a list

    def counts(self) -> dict[str, int]:
        out = {status: 0 for status in STATUS_ORDER}
        if self.totals is not None:
            out.update(self.totals)
            return out
        for row in self.rows:
            out[row["status"]] = out.get(row["status"], 0) + 1
        return out


class _Rows:
    """A run's finding rows, read from the store (one at a time) each time they are iterated, each
    passed through `extend` (a crosswalk column)."""

    def __init__(
        self,
        store: Store,
        run: RunInfo,
        statuses: set[str] | None,
        extend: Callable[[dict[str, Any]], dict[str, Any]] | None,
    ) -> None:
        self._args = (store, run, statuses)
        self._extend = extend

    def __iter__(self) -> Iterator[dict[str, Any]]:
        rows = iter_finding_rows(*self._args)
        return rows if self._extend is None else map(self._extend, rows)


def load_findings(
    store: Store,
    run: RunInfo,
    statuses: set[str] | None = None,
    extend: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
) -> Findings:
    """The run's findings, without holding its rows: one pass counts them and keeps the `error`
    rows (grouped by cause), the reports read the rows again as they write them."""
    rows = _Rows(store, run, statuses, extend)
    totals: dict[str, int] = {}
    errors = []
    for row in rows:
        totals[row["status"]] = totals.get(row["status"], 0) + 1
        if row["status"] == "error":
            errors.append(row)
    return Findings(run, rows, error_groups(errors, store.manifest(run.seq)), totals)
