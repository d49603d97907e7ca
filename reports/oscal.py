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

import json
import tempfile
import uuid
from collections.abc import Iterator, Mapping
from datetime import timedelta
from pathlib import Path
from typing import IO, Any

from annexa import __version__
from annexa.evidence_store.store import RunInfo, Store
from annexa.mappings.catalog import Catalog
from annexa.mappings.rollup import ControlStatus
from annexa.model import Result, Source, parse_timestamp
from annexa.reports.render import Streamed, iter_json_document
from annexa.reports.settings import RunSettings, run_settings
from annexa.reports.soa import evidence_source, soa_statuses

__all__ = ["OSCAL_VERSION", "NAMESPACE", "assessment_results", "assessment_results_chunks", "SATISFIED_STATUSES"]

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
    """The OSCAL document (a JSON-ready dict) for `run`, read through the store only: the text of
    `assessment_results_chunks`, parsed (whole in memory: for tests and small runs)."""
    return json.loads("".join(assessment_results_chunks(store, run, catalog, fallback_max_age_by_kind)))


def assessment_results_chunks(
    store: Store,
    run: RunInfo,
    catalog: Catalog,
    fallback_max_age_by_kind: Mapping[str, timedelta] | None = None,
) -> Iterator[str]:
    """The OSCAL document of `run` as JSON text (indented by 2, then a newline), a piece at a time.

    Memory stays flat in the number of results: two passes over the index (by resource: the
    control statuses, the inventory items and which facts were imported; by rule and resource:
    the observations) write the long arrays to spill files in a temporary folder, which the
    document then streams in its order."""
    settings = run_settings(store, run, fallback_max_age_by_kind)
    rules = store.rules(run)
    with tempfile.TemporaryDirectory(prefix="annexa-oscal-") as folder:
        spill = _Spill(Path(folder))
        components: dict[str, dict[str, Any]] = {}
        imported: dict[str, str] = {}  # object hash -> its component's label, for imported facts only

        def by_resource() -> Iterator[Result]:
            """The results by resource, noting the subjects (the first observed result of each
            resource, as in rule order) and the imported facts (each fact read once)."""
            subject_of, last_fact = None, None
            for result, fact in store.iter_results_with_facts(run, by_resource=True):
                if result.status != "not_applicable":
                    if result.resource != "-" and result.resource != subject_of:
                        spill.write("inventory-items", _subject(run, result))
                        subject_of = result.resource
                    if fact is not None and fact[0] != last_fact:
                        last_fact = fact[0]
                        label = _component(run, store.get_json(fact[0]), components)
                        if label is not None:
                            imported[fact[0]] = label
                yield result

        statuses = soa_statuses(store, run, catalog, settings=settings, by_resource=by_resource())
        for result, fact in store.iter_results_with_facts(run):
            if result.status == "not_applicable":
                continue  # nothing was observed
            observation = _observation(
                run, result, rules.get(result.rule, {}), fact, imported, components, _max_age(result, settings)
            )
            spill.write("observations", observation)
            for control in result.controls:
                spill.write_line(f"control {control}", observation["uuid"])
        yield from iter_json_document(_document(run, statuses, components, spill))


def _document(
    run: RunInfo, statuses: list[ControlStatus], components: Mapping[str, dict[str, Any]], spill: _Spill
) -> dict[str, Any]:
    """The document, its long arrays read back from `spill` as it is written."""
    findings = [status for status in statuses if status.applicable]
    included = [{"control-id": s.control} for s in findings]
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
    if spill.count("inventory-items"):  # written in resource order: sorted by resource
        local["inventory-items"] = Streamed(spill.items("inventory-items"), rendered=True)
    if local:
        result["local-definitions"] = local
    if spill.count("observations"):
        result["observations"] = Streamed(spill.items("observations"), rendered=True)
    if findings:
        result["findings"] = Streamed(_finding(run, status, spill) for status in findings)
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


class _Spill:
    """Named lists written to files in `folder` and read back in order: each item as its JSON text
    (indented, NUL-separated: JSON text holds no raw NUL), or a line of text."""

    def __init__(self, folder: Path) -> None:
        self._folder = folder
        self._files: dict[str, tuple[Path, IO[str]]] = {}
        self._counts: dict[str, int] = {}

    def _file(self, name: str) -> IO[str]:
        if name not in self._files:
            path = self._folder / f"{len(self._files)}.spill"
            self._files[name] = (path, path.open("w", encoding="utf-8"))
        self._counts[name] = self._counts.get(name, 0) + 1
        return self._files[name][1]

    def write(self, name: str, item: Any) -> None:
        self._file(name).write(json.dumps(item, indent=2, ensure_ascii=False) + "\0")

    def write_line(self, name: str, line: str) -> None:
        self._file(name).write(line + "\n")

    def count(self, name: str) -> int:
        return self._counts.get(name, 0)

    def items(self, name: str) -> Iterator[str]:
        yield from self._read(name, "\0")

    def lines(self, name: str) -> Iterator[str]:
        yield from self._read(name, "\n")

    def _read(self, name: str, separator: str) -> Iterator[str]:
        if name not in self._files:
            return
        path, handle = self._files[name]
        handle.close()
        with path.open(encoding="utf-8") as reading:
            rest = ""
            while block := reading.read(1 << 16):
                *items, rest = (rest + block).split(separator)
                yield from items


def _subject(run: RunInfo, result: Result) -> dict[str, Any]:
    """The inventory item of a resource, with the scope of its first observed result."""
    return {
        "uuid": _uuid(run.run_id, "subject", result.resource),
        "description": result.resource,
        "props": [
            _prop("resource-id", result.resource),
            *(_prop(k, v) for k, v in sorted(result.scope.items())),
        ],
    }


def _component(run: RunInfo, body: Mapping[str, Any], components: dict[str, dict[str, Any]]) -> str | None:
    """The label of the tool an imported fact came from (its component added to `components`); None
    for a fact annexa collected."""
    tool = Source.from_dict(body["source"]).imported
    if not tool:
        return None
    label = f"{tool.get('tool')} {tool.get('version')}"
    components.setdefault(
        label,
        {
            "uuid": _uuid(run.run_id, "component", label),
            "type": "software",
            "title": label,
            "description": f"Imported from {tool.get('file')} (sha256 {tool.get('sha256')}).",
            "status": {"state": "operational"},
        },
    )
    return label


def _observation(
    run: RunInfo,
    result: Result,
    rule: Mapping[str, Any],
    fact: tuple[str, str] | None,
    imported: Mapping[str, str],
    components: Mapping[str, Mapping[str, Any]],
    max_age: timedelta,
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
        observation["subjects"] = [{"subject-uuid": subject_uuid, "type": "inventory-item", "title": result.resource}]
    if fact is not None:
        digest = fact[0]
        observation["relevant-evidence"] = [
            {
                "href": f"objects/{digest[:2]}/{digest}",
                "description": f"The {result.kind} fact as stored in the evidence store (sha256 {digest}).",
                "props": [_prop("sha256", digest)],
            }
        ]
        if digest in imported:
            component_uuid = components[imported[digest]]["uuid"]
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


def _finding(run: RunInfo, status: ControlStatus, spill: _Spill) -> dict[str, Any]:
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
    name = f"control {status.control}"
    if spill.count(name):  # the observations of the control, in their order
        finding["related-observations"] = Streamed({"observation-uuid": u} for u in spill.lines(name))
    return finding
