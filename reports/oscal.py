"""An OSCAL Assessment Results document (JSON, OSCAL 1.2.1) for one run.

One `result` per run: the reviewed controls (applicable ones included, scoped-out
ones excluded), one observation per rule x resource, subjects for the resources
(as inventory items), relevant-evidence links to the fact objects of the bundle by
path and sha256, and one finding per applicable control.

Control status -> finding target state: `implemented` and `attested` are `satisfied`;
every other status (`partial`, `not_implemented`, `error`, `documented`, `stale`,
`no_evidence`) is `not-satisfied`, because none of them lets an assessor rely on the control
operating (`documented` shows its design only). The exact annexa status and the evidence
class that decided it are kept in the finding's `annexa-status` and `evidence-class`
properties; each observation carries its result's `evidence-class`. Scope and freshness come
from the configuration the run stored (settings.py), as in `annexa soa`.

The document is reproducible: every UUID is a uuid5 of the run id and the item, and
statuses are judged as of the end of the run, not the time of export.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from annexa import __version__
from annexa.evidence_store.store import RunInfo, Store, StoredFact
from annexa.mappings.catalog import Catalog
from annexa.model import Result, parse_timestamp
from annexa.reports.settings import RunSettings, run_settings
from annexa.reports.soa import evidence_source, soa_statuses

__all__ = ["OSCAL_VERSION", "NAMESPACE", "assessment_results", "SATISFIED_STATUSES"]

OSCAL_VERSION = "1.2.1"
NAMESPACE = "urn:annexa:oscal"  # props annexa defines (OSCAL requires a namespace for non-OSCAL names)
SATISFIED_STATUSES = frozenset({"implemented", "attested"})
_UUID_ROOT = uuid.UUID("6f1c2a53-2f5e-5b8e-9a47-0a6e6e65786a")  # fixed: the namespace of every annexa OSCAL uuid


def _uuid(run_id: str, *parts: str) -> str:
    return str(uuid.uuid5(_UUID_ROOT, "\x1f".join((run_id, *parts))))


def _prop(name: str, value: str) -> dict[str, str]:
    return {"name": name, "ns": NAMESPACE, "value": " ".join(str(value).split()) or "-"}


def _stamp(moment: Any) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def assessment_results(
    store: Store,
    run: RunInfo,
    catalog: Catalog,
    fallback_max_age_by_kind: Mapping[str, timedelta] | None = None,
) -> dict[str, Any]:
    """The OSCAL document (a JSON-ready dict) for `run`, read through the store only."""
    settings = run_settings(store, run, fallback_max_age_by_kind)
    every_result = store.results(run)
    results = [r for r in every_result if r.status != "not_applicable"]  # nothing was observed for those
    rules = store.rules(run)
    facts = {(f.kind, f.resource): f for f in store.facts(run)}
    statuses = soa_statuses(store, run, catalog, results=every_result, settings=settings)

    observations, subjects, components = [], {}, {}
    by_control: dict[str, list[str]] = {}
    for result in results:
        fact = facts.get((result.kind, result.resource))
        max_age = _max_age(result, settings)
        observation = _observation(run, result, rules.get(result.rule, {}), fact, max_age, subjects, components)
        observations.append(observation)
        for control in result.controls:
            by_control.setdefault(control, []).append(observation["uuid"])

    findings = [_finding(run, status, by_control.get(status.control, [])) for status in statuses if status.applicable]
    included = [{"control-id": s.control} for s in statuses if s.applicable]
    excluded = [{"control-id": s.control} for s in statuses if not s.applicable]
    selection: dict[str, Any] = {
        "description": "The Annex A controls of ISO/IEC 27001:2022 in scope of the Statement of Applicability.",
        "include-controls": included,
    }
    if excluded:
        selection["exclude-controls"] = excluded

    result: dict[str, Any] = {
        "uuid": _uuid(run.run_id, "result"),
        "title": f"annexa run {run.run_id}",
        "description": (
            f"Automated evidence collection run {run.run_id} (#{run.seq}, {run.status}) against ISO/IEC 27001:2022 "
            "Annex A, judged by annexa's YAML rules."
        ),
        "start": run.started_at,
        "end": run.finished_at,
        "props": [
            _prop("run-id", run.run_id),
            _prop("manifest-sha256", run.manifest_sha256),
            _prop("run-status", run.status),
        ],
        "reviewed-controls": {"control-selections": [selection]},
    }
    local: dict[str, Any] = {}
    if components:
        local["components"] = [components[key] for key in sorted(components)]
    if subjects:
        local["inventory-items"] = [subjects[key] for key in sorted(subjects)]
    if local:
        result["local-definitions"] = local
    if observations:
        result["observations"] = observations
    if findings:
        result["findings"] = findings
    return {
        "assessment-results": {
            "uuid": _uuid(run.run_id, "assessment-results"),
            "metadata": {
                "title": f"ISO/IEC 27001:2022 Annex A assessment results, annexa run {run.run_id}",
                "last-modified": run.finished_at,
                "version": run.run_id,
                "oscal-version": OSCAL_VERSION,
                "props": [_prop("tool", f"annexa {__version__}")],
            },
            "import-ap": {
                "href": "#",
                "remarks": (
                    "annexa collects continuously from its configuration; no OSCAL assessment plan governs the run."
                ),
            },
            "results": [result],
        }
    }


def _observation(
    run: RunInfo,
    result: Result,
    rule: Mapping[str, Any],
    fact: StoredFact | None,
    max_age: timedelta,
    subjects: dict[str, dict[str, Any]],
    components: dict[str, dict[str, Any]],
) -> dict[str, Any]:
    collected = result.collected_at or run.started_at
    expires = parse_timestamp(collected) + max_age
    source = evidence_source(result.kind)
    observation: dict[str, Any] = {
        "uuid": _uuid(run.run_id, "observation", result.rule, result.resource),
        "title": str(rule.get("title") or result.rule),
        "description": result.message or result.status,
        "props": [
            _prop("rule", result.rule),
            _prop("result", result.status),
            _prop("severity", result.severity or "-"),
            _prop("fact-kind", result.kind),
            _prop("evidence-source", source),
            _prop("evidence-class", result.evidence_class),
        ],
        # A collector tests the system; records and documents are examined (OSCAL's method names).
        "methods": ["TEST" if result.evidence_class == "automated" else "EXAMINE"],
        "types": ["control-objective"],
        "collected": collected,
        "expires": _stamp(expires),
    }
    if rule.get("rationale"):  # why the rule evidences its controls (ISO/IEC 27002:2022 guidance)
        observation["remarks"] = str(rule["rationale"])
    if result.resource != "-":
        subject_uuid = _uuid(run.run_id, "subject", result.resource)
        subjects.setdefault(
            result.resource,
            {
                "uuid": subject_uuid,
                "description": result.resource,
                "props": [
                    _prop("resource-id", result.resource),
                    *(_prop(k, v) for k, v in sorted(result.scope.items())),
                ],
            },
        )
        observation["subjects"] = [{"subject-uuid": subject_uuid, "type": "inventory-item", "title": result.resource}]
    if fact is not None:
        observation["relevant-evidence"] = [
            {
                "href": f"objects/{fact.hash[:2]}/{fact.hash}",
                "description": f"The {fact.kind} fact as stored in the evidence store (sha256 {fact.hash}).",
                "props": [_prop("sha256", fact.hash)],
            }
        ]
        if fact.source.imported:
            tool = fact.source.imported
            label = f"{tool.get('tool')} {tool.get('version')}"
            component_uuid = _uuid(run.run_id, "component", label)
            components.setdefault(
                label,
                {
                    "uuid": component_uuid,
                    "type": "software",
                    "title": label,
                    "description": f"Imported from {tool.get('file')} (sha256 {tool.get('sha256')}).",
                    "status": {"state": "operational"},
                },
            )
            observation["origins"] = [{"actors": [{"type": "tool", "actor-uuid": component_uuid}]}]
    return observation


def _max_age(result: Result, settings: RunSettings) -> timedelta:
    """How long the evidence stays fresh: as in the rollup (control's max_age, else the kind's,
    else the default), taking the strictest of the result's controls."""
    kind_age = settings.max_age_by_kind.get(result.kind) or settings.default_max_age
    return min(
        ((getattr(settings.decisions.get(c), "max_age", None) or kind_age) for c in result.controls),
        default=kind_age,
    )


def _finding(run: RunInfo, status: Any, observation_uuids: list[str]) -> dict[str, Any]:
    state = "satisfied" if status.status in SATISFIED_STATUSES else "not-satisfied"
    finding: dict[str, Any] = {
        "uuid": _uuid(run.run_id, "finding", status.control),
        "title": f"{status.control} {status.title}",
        "description": f"annexa status: {status.status}; evidence: "
        + (", ".join(f"{n} {s}" for s, n in sorted(status.counts.items())) or "none"),
        "props": [
            _prop("annexa-status", status.status),
            *([_prop("evidence-class", status.evidence_class)] if status.evidence_class else []),
        ],
        "target": {
            "type": "objective-id",
            "target-id": status.control,
            "status": {"state": state},
        },
    }
    if observation_uuids:
        finding["related-observations"] = [{"observation-uuid": u} for u in observation_uuids]
    return finding
