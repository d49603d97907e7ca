"""Statement of Applicability: every Annex A control with its implementation status."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta, timezone
from typing import Any

from annexa.config import Config
from annexa.evidence_store.store import RunInfo, Store
from annexa.mappings.catalog import Catalog
from annexa.mappings.rollup import ControlStatus, ManualEvidence, rollup

__all__ = ["SOA_COLUMNS", "soa_rows", "soa_statuses"]

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
)


def soa_statuses(
    store: Store,
    run: RunInfo,
    catalog: Catalog,
    config: Config,
    now: datetime | None = None,
    manual: list[ManualEvidence] | None = None,
    max_age_by_kind: Mapping[str, timedelta] | None = None,
) -> list[ControlStatus]:
    return rollup(
        catalog,
        store.results(run),
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


def soa_rows(statuses: list[ControlStatus], run: RunInfo) -> list[dict[str, Any]]:
    rows = []
    for status in statuses:
        row = status.to_dict()
        row["evidence"] = _evidence(status)
        row["run_id"] = run.run_id
        rows.append(row)
    return rows
