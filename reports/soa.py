"""Statement of Applicability: every Annex A control with its implementation status."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta, timezone
from typing import Any

from annexa.config import Config
from annexa.evidence_store.store import RunInfo, Store
from annexa.mappings.catalog import Catalog
from annexa.mappings.rollup import ControlStatus, ManualEvidence, ScopeDecision, rollup
from annexa.model import Result
from annexa.reports.html import render_page
from annexa.reports.xlsx import Column, Sheet, workbook_bytes

__all__ = ["SOA_COLUMNS", "evidence_source", "evidence_sources", "soa_html", "soa_rows", "soa_statuses", "soa_workbook"]

SOA_COLUMNS = (
    "control",
    "title",
    "theme",
    "applicable",
    "justification",
    "owner",
    "status",
    "last_evidence_at",
    "stale_since",
    "evidence",
    "evidence_sources",
    "evidence_reference",
    "reviewed",
)


def evidence_source(kind: str) -> str:
    """Where evidence of a fact kind came from: the collector's provider (`aws`, `host`)
    or, for results another tool produced, `import:<tool>` (`import:prowler`)."""
    parts = kind.split(".")
    return f"import:{parts[1]}" if parts[0] == "import" and len(parts) > 2 else parts[0]


def evidence_sources(results: Iterable[Result]) -> dict[str, list[str]]:
    """Control id -> the sources of its evidence (not_applicable results are not evidence)."""
    sources: dict[str, set[str]] = {}
    for result in results:
        if result.status != "not_applicable":
            for control in result.controls:
                sources.setdefault(control, set()).add(evidence_source(result.kind))
    return {control: sorted(found) for control, found in sources.items()}


def soa_statuses(
    store: Store,
    run: RunInfo,
    catalog: Catalog,
    config: Config,
    now: datetime | None = None,
    manual: list[ManualEvidence] | None = None,
    max_age_by_kind: Mapping[str, timedelta] | None = None,
    results: list[Result] | None = None,
) -> list[ControlStatus]:
    return rollup(
        catalog,
        store.results(run) if results is None else results,
        now or datetime.now(timezone.utc),
        decisions=config.scope,
        default_max_age=config.max_age,
        manual=manual or [],
        max_age_by_kind=max_age_by_kind,
    )


def _evidence(status: ControlStatus) -> str:
    parts = [f"{n} {s}" for s, n in sorted(status.counts.items())]
    if status.manual:
        parts.append(f"{len(status.manual)} attested")
    return ", ".join(parts)


def _reference(status: ControlStatus, run: RunInfo) -> str:
    """Where an auditor finds the evidence: the run (and its manifest hash), the rules, attestations."""
    if not status.rules and not status.manual:
        return ""
    parts = [f"run {run.run_id} (#{run.seq}, manifest sha256 {run.manifest_sha256[:16]}…)"]
    if status.rules:
        parts.append("rules: " + ", ".join(status.rules))
    parts += [f"attestation: {m.reference}" for m in status.manual]
    return "; ".join(parts)


def soa_rows(
    statuses: list[ControlStatus],
    run: RunInfo,
    decisions: Mapping[str, ScopeDecision] | None = None,
    sources: Mapping[str, list[str]] | None = None,
) -> list[dict[str, Any]]:
    """`sources` (from `evidence_sources`) fills `evidence_sources`, so imported evidence shows as such."""
    decisions = decisions or {}
    rows = []
    for status in statuses:
        row = status.to_dict()
        row["evidence"] = _evidence(status)
        row["evidence_sources"] = [
            *(sources or {}).get(status.control, []),
            *(["attestation"] if status.manual else []),
        ]
        row["evidence_reference"] = _reference(status, run)
        row["reviewed"] = decisions.get(status.control, ScopeDecision()).reviewed
        row["run_id"] = run.run_id
        rows.append(row)
    return rows


# The columns auditors expect in an SoA workbook (key, header, width, wrap).
_WORKBOOK = (
    Column("control", "Control", 9),
    Column("title", "Title", 42, wrap=True),
    Column("theme", "Theme", 15),
    Column("applicable", "Applicable", 11),
    Column("justification", "Justification for inclusion or exclusion", 40, wrap=True),
    Column("status", "Implementation status", 18),
    Column("owner", "Owner", 20),
    Column("evidence", "Evidence summary", 28, wrap=True),
    Column("evidence_reference", "Evidence reference", 50, wrap=True),
    Column("last_evidence_at", "Last evidence", 21),
    Column("reviewed", "Last reviewed", 13),
    Column("evidence_sources", "Evidence sources", 18, wrap=True),  # imported evidence says so
)


def soa_workbook(rows: list[dict[str, Any]]) -> bytes:
    return workbook_bytes([Sheet("Statement of Applicability", _WORKBOOK, rows)])


def soa_html(rows: list[dict[str, Any]], run: RunInfo) -> str:
    return render_page("soa.html", title="Statement of Applicability", rows=rows, run=run)
