"""Findings: one row per rule x resource of a run, read from the store."""

from __future__ import annotations

from typing import Any

from annexa.evidence_store.store import RunInfo, Store
from annexa.model import Result

__all__ = ["FINDING_COLUMNS", "TABLE_COLUMNS", "finding_rows", "SEVERITY_ORDER", "STATUS_ORDER"]

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
    "remediation",
    "run_id",
)
TABLE_COLUMNS = ("status", "evidence_class", "severity", "rule", "controls", "resource", "message")
SEVERITY_ORDER = {"critical": 0, "high": 1, "medium": 2, "low": 3}
STATUS_ORDER = {"error": 0, "fail": 1, "pass": 2, "not_applicable": 3}


def _row(result: Result, rule: dict[str, Any], run: RunInfo) -> dict[str, Any]:
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
        "remediation": rule.get("remediation", "") if result.status in ("fail", "error") else "",
        "run_id": run.run_id,
    }


def finding_rows(store: Store, run: RunInfo, statuses: set[str] | None = None) -> list[dict[str, Any]]:
    """Rows ordered worst first: errors and failures, then by severity, rule and resource."""
    rules = store.rules(run)
    results = [r for r in store.results(run) if statuses is None or r.status in statuses]
    results.sort(key=lambda r: (STATUS_ORDER.get(r.status, 9), SEVERITY_ORDER.get(r.severity, 9), r.rule, r.resource))
    return [_row(r, rules.get(r.rule, {}), run) for r in results]
