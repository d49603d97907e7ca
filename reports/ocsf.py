"""OCSF Compliance Finding events (class 2003, OCSF 1.1.0) for a run's results, as JSON lines.

One event per rule x resource that was judged (`not_applicable` results observed
nothing and are left out). The Annex A ids go in `compliance.requirements`, the
annexa rule id in `compliance.control` (as a check id, like a Security Hub control),
and the standard in `compliance.standards`. Result -> `compliance.status_id`:
pass -> 1 Pass, fail -> 3 Fail, error -> 2 Warning ("did not yield a result due to
missing information"), so a failed read is never reported as a pass.
Event uids are uuid5 of the run id, rule and resource: the export is reproducible.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

from annexa import __version__
from annexa.evidence_store.store import RunInfo, Store
from annexa.model import Result, parse_timestamp
from annexa.reports.soa import evidence_source

__all__ = ["OCSF_VERSION", "compliance_findings", "json_lines"]

OCSF_VERSION = "1.1.0"
STANDARD = "ISO/IEC 27001:2022"
_CLASS_UID, _CATEGORY_UID, _ACTIVITY_CREATE = 2003, 2, 1
_SEVERITY = {"low": (2, "Low"), "medium": (3, "Medium"), "high": (4, "High"), "critical": (5, "Critical")}
_COMPLIANCE_STATUS = {"pass": (1, "Pass"), "fail": (3, "Fail"), "error": (2, "Warning")}
_UUID_ROOT = uuid.UUID("0b6f5e1c-3c1d-5d0e-8f3a-6f6373662d61")


def _millis(timestamp: str) -> int:
    return int(parse_timestamp(timestamp).timestamp() * 1000)


def _event(run: RunInfo, result: Result, rule: dict[str, Any]) -> dict[str, Any]:
    severity_id, severity = _SEVERITY.get(result.severity, (0, "Unknown"))
    status_id, status = _COMPLIANCE_STATUS[result.status]
    observed = _millis(result.collected_at or run.started_at)
    resource: dict[str, Any] = {"uid": result.resource, "type": result.kind}
    if result.scope.get("region"):
        resource["region"] = result.scope["region"]
    event: dict[str, Any] = {
        "activity_id": _ACTIVITY_CREATE,
        "activity_name": "Create",
        "category_uid": _CATEGORY_UID,
        "category_name": "Findings",
        "class_uid": _CLASS_UID,
        "class_name": "Compliance Finding",
        "type_uid": _CLASS_UID * 100 + _ACTIVITY_CREATE,
        "type_name": "Compliance Finding: Create",
        "severity_id": severity_id,
        "severity": severity,
        "time": observed,
        "message": result.message,
        "status_id": 1,
        "status": "New",
        "metadata": {
            "version": OCSF_VERSION,
            "product": {"name": "annexa", "vendor_name": "annexa", "version": __version__},
            "log_name": run.run_id,
        },
        "finding_info": {
            "uid": str(uuid.uuid5(_UUID_ROOT, "\x1f".join((run.run_id, result.rule, result.resource)))),
            "title": str(rule.get("title") or result.rule),
            "created_time": observed,
            "types": [evidence_source(result.kind)],
        },
        "compliance": {
            "standards": [STANDARD],
            "requirements": list(result.controls),
            "control": result.rule,
            "status_id": status_id,
            "status": status,
            "status_detail": result.message,
        },
        "resources": [resource],
        "unmapped": {"annexa": {"run_id": run.run_id, "scope": dict(result.scope), "kind": result.kind}},
    }
    if result.status in ("fail", "error") and rule.get("remediation"):
        event["remediation"] = {"desc": rule["remediation"]}
    return event


def compliance_findings(store: Store, run: RunInfo) -> Iterator[dict[str, Any]]:
    rules = store.rules(run)
    for result in store.iter_results(run, set(_COMPLIANCE_STATUS)):  # one at a time, checked first
        yield _event(run, result, rules.get(result.rule, {}))


def json_lines(events: Iterator[dict[str, Any]]) -> Iterator[str]:
    """One line of JSON per event, as they come."""
    for event in events:
        yield json.dumps(event, sort_keys=True, ensure_ascii=False) + "\n"
