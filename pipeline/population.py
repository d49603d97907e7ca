"""The population a collection run covered, recorded in its manifest: each HR export's headcount
(`people.headcount`), each endpoint source's device counts (`fleet.coverage`, `intune.coverage`)
and how many current staff the `endpoints.staff-have-managed-device` rule found a managed device
for. Recorded once when the run is committed (runner and seal alike), so the pack states these
numbers every night from the signed manifest alone, without reading any run's facts or results.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from annexa.evidence_store.store import RunWriter, Store
from annexa.model import Result

__all__ = ["POPULATION_KINDS", "STAFF_RULE", "population"]

POPULATION_KINDS = ("people.headcount", "fleet.coverage", "intune.coverage")
STAFF_RULE = "endpoints.staff-have-managed-device"
_JUDGED = ("pass", "fail", "error")


def population(store: Store, writer: RunWriter, results: Sequence[Result]) -> dict[str, Any]:
    """`{"population": {...}}` for the manifest, or `{}` when the run counted nobody (no HR or
    endpoint target), so other runs' manifests stay as they were."""
    counts = [
        {"kind": kind, "resource": resource, "data": store.get_json(digest).get("data") or {}}
        for kind, resource, digest in writer.fact_digests(POPULATION_KINDS)
    ]
    staff = [r.status for r in results if r.rule == STAFF_RULE and r.status in _JUDGED]
    if not counts and not staff:
        return {}
    body: dict[str, Any] = {"counts": counts}
    if staff:
        body["staff_with_device"] = {"covered": staff.count("pass"), "judged": len(staff)}
    return {"population": body}
