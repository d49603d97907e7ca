"""Statement of Applicability of one run: every Annex A control with its implementation status.

Bound to its run: scope decisions, justifications, inclusion reasons, owners, `max_age`,
attesters and the SoA approval come from the configuration the run stored (settings.py), the
attestations counted are those recorded before it (attested.py), and statuses are judged as of
the run's end. `annexa soa --run ID` therefore prints the same bytes from any folder on any day.

Each row says what evidenced the control (ISO/IEC 27001:2022 clause 6.1.3 d, f): the evidence
class that decided the status, how many resources on which targets, kinds checked and found
empty, the documents (title, version, approval, sha256), the attestations (outcome, who, until
when, file) and the flags an auditor must not miss.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from annexa.errors import StoreError
from annexa.evidence_store.store import RunInfo, Store
from annexa.mappings.catalog import Catalog
from annexa.mappings.rollup import Attestation, ControlStatus, rollup, rollup_by_resource
from annexa.model import Result, parse_timestamp
from annexa.reports import render
from annexa.reports.attested import attestations_for
from annexa.reports.html import render_page, status_words
from annexa.reports.settings import RunSettings, run_settings
from annexa.reports.xlsx import Column, Sheet, workbook_bytes

__all__ = [
    "SOA_COLUMNS",
    "TABLE_COLUMNS",
    "EvidenceSummary",
    "Soa",
    "SoaInputs",
    "build_soa",
    "describe_empty",
    "evidence_source",
    "evidence_sources",
    "render_soa",
    "soa_cells",
    "soa_html",
    "soa_rows",
    "soa_statuses",
    "soa_workbook",
]

# CSV and Markdown columns (text cells); `--format json` keeps the structured values.
SOA_COLUMNS = (
    "control",
    "title",
    "theme",
    "applicable",
    "justification",
    "reasons",
    "owner",
    "status",
    "evidence_class",
    "flags",
    "evidence",
    "population",
    "documents",
    "attestations",
    "exception",
    "last_evidence_at",
    "stale_since",
    "evidence_sources",
    "evidence_reference",
    "rationale",
    "reviewed",
    "soa_version",
    "soa_approved_by",
    "soa_approved_at",
    "run_id",
)
TABLE_COLUMNS = ("control", "status", "evidence_class", "applicable", "title", "evidence", "population", "flags")
_TARGET_LABEL = re.compile(r"^targets\[(\d+)\]")


def evidence_source(kind: str) -> str:
    """Where evidence of a fact kind came from: the collector's provider (`aws`, `host`)
    or, for results another tool produced, `import:<tool>` (`import:prowler`)."""
    parts = kind.split(".")
    return f"import:{parts[1]}" if parts[0] == "import" and len(parts) > 2 else parts[0]


def evidence_sources(results: Iterable[Result]) -> dict[str, list[str]]:
    """Control id -> the sources of its evidence (not_applicable results are not evidence)."""
    return EvidenceSummary.of(results).sources()


@dataclass
class EvidenceSummary:
    """What the rows need of a run's results, gathered one result at a time: per control, the
    sources of its evidence and the resources of its document-class results (both bounded by the
    run's kinds and documents, not by its resources)."""

    by_source: dict[str, set[str]] = field(default_factory=dict)
    documents: dict[str, set[str]] = field(default_factory=dict)

    @classmethod
    def of(cls, results: Iterable[Result]) -> EvidenceSummary:
        summary = cls()
        for result in results:
            summary.add(result)
        return summary

    def add(self, result: Result) -> None:
        if result.status != "not_applicable":
            for control in result.controls:
                self.by_source.setdefault(control, set()).add(evidence_source(result.kind))
        if result.evidence_class == "document":
            for control in result.controls:
                self.documents.setdefault(control, set()).add(result.resource)

    def sources(self) -> dict[str, list[str]]:
        return {control: sorted(found) for control, found in self.by_source.items()}


@dataclass(frozen=True)
class SoaInputs:
    """What the rows need besides the statuses, all read from the run (pure data): its results, or
    their `summary` (a report that streams the results gathers it on the way)."""

    run: RunInfo
    settings: RunSettings
    results: Iterable[Result]
    rules: Mapping[str, Mapping[str, Any]]  # the run's rules by id (rationale)
    documents: Mapping[str, Mapping[str, Any]]  # document resource -> its fact data
    collectors: Sequence[Mapping[str, Any]]  # the manifest's collector summaries (which ran on which target)
    summary: EvidenceSummary | None = None  # used instead of `results` when given


@dataclass(frozen=True)
class Soa:
    run: RunInfo
    settings: RunSettings
    statuses: list[ControlStatus]
    rows: list[dict[str, Any]]
    later_attestations: int  # recorded after the run: they count from the next run's SoA


def soa_statuses(
    store: Store,
    run: RunInfo,
    catalog: Catalog,
    now: datetime | None = None,
    fallback_max_age_by_kind: Mapping[str, timedelta] | None = None,
    results: list[Result] | None = None,
    settings: RunSettings | None = None,
    attestations: list[Attestation] | None = None,
    by_resource: Iterable[Result] | None = None,
) -> list[ControlStatus]:
    """The run's control statuses, judged with its own settings as of its end (or `now`): of
    `results`, of `by_resource` (the run's results in resource order, read once, from a caller
    that notes something on the way) or of the index's results by resource."""
    settings = settings or run_settings(store, run, fallback_max_age_by_kind)
    if results is not None:
        judge, given = rollup, results
    elif by_resource is not None:
        judge, given = rollup_by_resource, by_resource
    else:  # the index gives them by resource
        judge, given = rollup_by_resource, store.iter_results(run, by_resource=True)
    return judge(
        catalog,
        given,
        now or parse_timestamp(run.finished_at),
        decisions=settings.decisions,
        default_max_age=settings.default_max_age,
        attestations=attestations_for(store, run, settings) if attestations is None else attestations,
        max_age_by_kind=settings.max_age_by_kind,
    )


def build_soa(
    store: Store, run: RunInfo, catalog: Catalog, fallback_max_age_by_kind: Mapping[str, timedelta] | None = None
) -> Soa:
    """The SoA of a collection run (StoreError for an attestation run, which holds no results)."""
    if run.type != "collection":
        raise StoreError(f"{store.url}: run #{run.seq} is an {run.type} run; an SoA is of a collection run")
    settings = run_settings(store, run, fallback_max_age_by_kind)
    summary = EvidenceSummary()
    documents: dict[str, tuple[str, Mapping[str, Any]]] = {}  # resource -> (kind, fact data)

    def gather() -> Iterator[Result]:
        """The run's results by resource, one at a time, noting on the way what the rows need."""
        for result, fact in store.iter_results_with_facts(run, by_resource=True):
            summary.add(result)
            # The fact behind a document-class result (title, version, approval, sha256), by
            # resource; of two kinds on one resource, the later kind's, as a (kind, resource) walk has it.
            if result.evidence_class == "document" and fact is not None:
                known = documents.get(result.resource)
                if known is None or known[0] < result.kind:
                    documents[result.resource] = (result.kind, store.get_json(fact[0]).get("data") or {})
            yield result

    statuses = soa_statuses(store, run, catalog, settings=settings, by_resource=gather())
    inputs = SoaInputs(
        run=run,
        settings=settings,
        results=(),
        rules=store.rules(run),
        documents={resource: data for resource, (_kind, data) in documents.items()},
        collectors=store.manifest(run.seq).get("collectors", []),
        summary=summary,
    )
    later = len(store.attestations()) - len(store.attestations(before=run))
    return Soa(run, settings, statuses, soa_rows(statuses, inputs), later)


# -- rows (pure) ---------------------------------------------------------------------


def _document_entry(resource: str, data: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "resource": resource,
        "title": data.get("title"),
        "version": data.get("version"),
        "approved_by": data.get("approved_by"),
        "approved_at": data.get("approved_at"),
        "sha256": data.get("sha256"),
    }


def _document_text(doc: Mapping[str, Any]) -> str:
    version = f" v{doc['version']}" if doc.get("version") else ""
    if doc.get("approved_by") or doc.get("approved_at"):
        approval = (
            f"approved by {doc.get('approved_by') or '(nobody named)'} on {doc.get('approved_at') or '(no date)'}"
        )
    else:
        approval = "not approved"
    return f"{doc.get('title') or doc['resource']}{version}, {approval}, sha256 {doc.get('sha256') or '(unknown)'}"


def describe_empty(kind: str, settings: RunSettings, collectors: Sequence[Mapping[str, Any]]) -> str:
    """A verified empty population: `not_applicable: 0 aws.s3.bucket in 1 region (us-east-1), checked by aws.s3 on
    targets[0] (aws)`. Only kinds whose every result is `not_applicable` get here: a failed read is `error`."""
    collector = settings.collectors_by_kind.get(kind)
    labels = sorted({str(c.get("target")) for c in collectors if collector and c.get("collector") == collector})
    regions: list[str] = []
    every_region = False
    for label in labels:
        match = _TARGET_LABEL.match(label)
        index = int(match.group(1)) if match else -1
        if 0 <= index < len(settings.targets):
            for options in settings.targets[index].values():
                found = options.get("regions") if isinstance(options, Mapping) else None
                if found == "all":
                    every_region = True
                elif isinstance(found, list):
                    regions += [str(r) for r in found]
    where = ""
    if every_region:
        where = " in every enabled region"
    elif regions:
        unique = sorted(set(regions))
        where = f" in {len(unique)} region{'s' if len(unique) != 1 else ''} ({', '.join(unique)})"
    by = f" by {collector} on {', '.join(labels)}" if labels else ""
    return f"not_applicable: 0 {kind}{where}, checked{by}"


def _population(status: ControlStatus, settings: RunSettings, collectors: Sequence[Mapping[str, Any]]) -> list[str]:
    out = []
    if status.resources:
        plural = "s" if status.resources != 1 else ""
        out.append(f"{status.resources} resource{plural} on {', '.join(status.targets) or 'no recorded target'}")
    out += [describe_empty(kind, settings, collectors) for kind in status.empty_kinds]
    return out


def _summary(status: ControlStatus) -> str:
    """`automated: 12 pass, 1 fail; document: 3 pass; attestation: effective by Jo Park until ...`."""
    parts = [
        f"{cls}: " + ", ".join(f"{n} {s}" for s, n in sorted(counts.items())) for cls, counts in status.classes.items()
    ]
    if status.attestation is not None:
        att = status.attestation
        parts.append(f"attestation: {att.outcome} by {att.attested_by} until {att.expires_at}")
    return "; ".join(parts)


def _reference(status: ControlStatus, run: RunInfo) -> str:
    """Where an auditor finds the evidence: the run (and its manifest hash), the rules, attestations."""
    if not status.rules and not status.attestations:
        return ""
    parts = [f"run {run.run_id} (#{run.seq}, manifest sha256 {run.manifest_sha256})"]
    if status.rules:
        parts.append("rules: " + ", ".join(status.rules))
    parts += [a.reference() for a in status.attestations]
    return "; ".join(parts)


def _exception(att: Attestation | None) -> str:
    if att is None:
        return ""
    return f"documented exception until {att.expires_at} by {att.attested_by} ({att.role}): {att.note}"


def soa_rows(statuses: Sequence[ControlStatus], inputs: SoaInputs) -> list[dict[str, Any]]:
    """One row per control: the structured values (`--format json`) and, under `text`, the cells
    every other format shows."""
    settings = inputs.settings
    summary = inputs.summary or EvidenceSummary.of(inputs.results)
    sources = summary.sources()
    docs_by_control = summary.documents
    approval = settings.soa.to_dict() if settings.soa else None
    rows = []
    for status in statuses:
        row: dict[str, Any] = status.to_dict()
        reasons = status.reasons.to_dict()
        if status.reasons.risks:
            reasons["risk"] = [
                settings.risks[r].to_dict() if r in settings.risks else {"id": r} for r in status.reasons.risks
            ]
        documents = [
            _document_entry(r, inputs.documents[r])
            for r in sorted(docs_by_control.get(status.control, ()))
            if r in inputs.documents  # a document that could not be read has an `error` result, not a fact
        ]
        rationale = {
            rule: str(inputs.rules[rule]["rationale"])
            for rule in status.rules
            if rule in inputs.rules and inputs.rules[rule].get("rationale")
        }
        population = _population(status, settings, inputs.collectors)
        row.update(
            reasons=reasons,
            population=population,
            documents=documents,
            rationale=rationale,
            evidence=_summary(status),
            evidence_sources=[
                *sources.get(status.control, []),
                *(["attestation"] if any(a.counted for a in status.attestations) else []),
            ],
            evidence_reference=_reference(status, inputs.run),
            reviewed=status.reviewed,
            run_id=inputs.run.run_id,
            judged_at=inputs.run.finished_at,
            soa=approval,
        )
        row["text"] = {
            "reasons": status.reasons.text(settings.risks),
            "population": "; ".join(population),
            "documents": "; ".join(_document_text(d) for d in documents),
            "attestations": "; ".join(a.reference() for a in status.attestations),
            "exception": _exception(status.exception),
            "flags": "; ".join(status.flags),
            "rationale": "; ".join(f"{rule}: {text}" for rule, text in rationale.items()),
            "soa_version": approval["version"] if approval else "",
            "soa_approved_by": approval["approved_by"] if approval else "",
            "soa_approved_at": approval["approved_at"] if approval else "",
        }
        rows.append(row)
    return rows


def soa_cells(row: Mapping[str, Any]) -> dict[str, Any]:
    """A row as text cells: the structured values replaced by their `text` form."""
    cells = dict(row)
    cells.update(cells.pop("text"))
    return cells


# -- output --------------------------------------------------------------------------


def _headline(soa: Soa) -> list[str]:
    approval = soa.settings.soa
    approved = (
        f"SoA version {approval.version}, approved by {approval.approved_by} on {approval.approved_at}"
        if approval
        else "SoA approval: none recorded (add `soa: {version, approved_by, approved_at}` to annexa.yaml)"
    )
    run = soa.run
    counts: dict[str, int] = {}
    for status in soa.statuses:
        counts[status.status] = counts.get(status.status, 0) + 1
    return [
        "Statement of Applicability, ISO/IEC 27001:2022 Annex A",
        approved,
        f"run {run.run_id} (#{run.seq}), judged as of its end {run.finished_at}, manifest sha256 {run.manifest_sha256}",
        "controls: " + ", ".join(f"{n} {s}" for s, n in counts.items()),
    ]


def _risk_rows(settings: RunSettings) -> list[dict[str, str]]:
    return [risk.to_dict() for risk in settings.risks.values()]


def render_soa(soa: Soa, fmt: str, extra_columns: Sequence[str] = ()) -> str | bytes:
    """The SoA in `fmt` (json, csv, md, table, xlsx, html); `extra_columns` are added row keys (crosswalk)."""
    columns = (*SOA_COLUMNS, *extra_columns)
    if fmt == "json":
        return render.to_json([{k: v for k, v in row.items() if k != "text"} for row in soa.rows])
    if fmt == "xlsx":
        return soa_workbook(soa, extra_columns)
    if fmt == "html":
        return soa_html(soa)
    cells = [soa_cells(row) for row in soa.rows]
    if fmt == "csv":
        return render.to_csv(cells, columns)
    if fmt == "md":
        head = [f"# {_headline(soa)[0]}", "", *(f"- {render.md_escape(line)}" for line in _headline(soa)[1:]), ""]
        if soa.settings.risks:
            head += [
                "## Risks",
                "",
                render.to_markdown(_risk_rows(soa.settings), ("id", "title", "owner", "treatment")),
            ]
        return "\n".join(head) + "\n" + render.to_markdown(cells, columns)
    table = (*TABLE_COLUMNS[:2], *extra_columns, *TABLE_COLUMNS[2:])
    return "\n".join(_headline(soa)) + "\n\n" + render.to_table(cells, table)


# The columns auditors expect in an SoA workbook (key, header, width, wrap).
_WORKBOOK = (
    Column("control", "Control", 9),
    Column("title", "Title", 42, wrap=True),
    Column("theme", "Theme", 15),
    Column("applicable", "Applicable", 11),
    Column("justification", "Justification for exclusion", 36, wrap=True),
    Column("reasons", "Reasons for inclusion", 36, wrap=True),
    Column("status", "Implementation status", 18),
    Column("evidence_class", "Evidence class", 14),
    Column("flags", "Flags", 30, wrap=True),
    Column("owner", "Owner", 20),
    Column("evidence", "Evidence summary", 28, wrap=True),
    Column("population", "Resources and targets", 36, wrap=True),
    Column("documents", "Documents", 40, wrap=True),
    Column("attestations", "Attestations", 40, wrap=True),
    Column("exception", "Exception", 30, wrap=True),
    Column("evidence_reference", "Evidence reference", 50, wrap=True),
    Column("rationale", "Why the checks evidence the control", 40, wrap=True),
    Column("last_evidence_at", "Last evidence", 21),
    Column("reviewed", "Last reviewed", 13),
    Column("evidence_sources", "Evidence sources", 18, wrap=True),  # imported evidence says so
)
_ABOUT = (Column("item", "Item", 24), Column("value", "Value", 90, wrap=True))
_RISKS = (
    Column("id", "Risk", 12),
    Column("title", "Title", 50, wrap=True),
    Column("owner", "Owner", 24),
    Column("treatment", "Treatment", 14),
)


def _about_rows(soa: Soa) -> list[dict[str, str]]:
    approval = soa.settings.soa
    return [
        {"item": "Standard", "value": "ISO/IEC 27001:2022 Annex A"},
        {"item": "SoA version", "value": approval.version if approval else "(none recorded)"},
        {"item": "Approved by", "value": approval.approved_by if approval else "(none recorded)"},
        {"item": "Approved on", "value": approval.approved_at if approval else "(none recorded)"},
        {"item": "Run", "value": f"{soa.run.run_id} (#{soa.run.seq})"},
        {"item": "Judged as of", "value": soa.run.finished_at},
        {"item": "Manifest sha256", "value": soa.run.manifest_sha256},
        {"item": "Organisation policy", "value": _policy_text(soa.settings)},
    ]


def _cells(soa: Soa, wanted: set[str] | None) -> list[dict[str, Any]]:
    return [soa_cells(r) for r in soa.rows if wanted is None or r["control"] in wanted]


def _policy_text(settings: RunSettings) -> str:
    """The policy settings the run's rules judged against (mappings/policy.py), as recorded."""
    if settings.policy is None:
        return "(none recorded)"
    return "; ".join(f"{key}: {value}" for key, value in sorted(settings.policy.items()))


def soa_workbook(soa: Soa, extra_columns: Sequence[str] = (), controls: Iterable[str] | None = None) -> bytes:
    wanted = set(controls) if controls is not None else None
    rows = [{**cells, "status": status_words(cells["status"])} for cells in _cells(soa, wanted)]
    columns = (*_WORKBOOK, *(Column(c, c.replace("_", " ").capitalize(), 24, wrap=True) for c in extra_columns))
    sheets = [Sheet("Statement of Applicability", columns, rows), Sheet("About this SoA", _ABOUT, _about_rows(soa))]
    if soa.settings.risks:
        sheets.append(Sheet("Risks", _RISKS, _risk_rows(soa.settings)))
    return workbook_bytes(sheets)


def soa_html(soa: Soa, controls: Iterable[str] | None = None) -> str:
    """The SoA as HTML: the workbook's columns, in its order, with its cells (one source: _WORKBOOK)."""
    wanted = set(controls) if controls is not None else None
    return render_page(
        "soa.html",
        title="Statement of Applicability",
        columns=_WORKBOOK,
        rows=_cells(soa, wanted),
        about=_about_rows(soa),
        risks=_risk_rows(soa.settings),
    )
