"""Recorded statements: evidence a person or another tool states, written as a run of its own.

Attestations (`annexa attest`) are the first kind; corrective actions (`annexa nc update`)
and other recorded statements use the same writer. A statement run goes through the
normal run writer, so it is hash-chained like every collection run, and it is signed with
the configured key: once a store is signed, a writer that did not sign would make the
whole store fail verification (and the store refuses an unsigned write when signatures
are required).
"""

from __future__ import annotations

from collections.abc import Sequence

from annexa.evidence_store.canonical import sha256_hex
from annexa.evidence_store.store import RunInfo
from annexa.model import Fact, utc_now
from annexa.pipeline.runner import run_meta
from annexa.pipeline.workspace import Workspace

__all__ = ["record_statements"]


def record_statements(
    ws: Workspace,
    run_type: str,
    writer_name: str,
    facts: Sequence[Fact],
    run_id: str,
    recorded_at: str,
    files: Sequence[bytes] = (),
    finished_at: str | None = None,
) -> RunInfo:
    """Write `facts` (already validated) as one signed run `run_id` of type `run_type`; `files` are
    stored first as content-addressed objects (a fact names each by its sha256). `finished_at` defaults to now
    (the demo back-dates its history)."""
    store = ws.open_store(signed=True)
    for content in files:
        store.backend.put_object(sha256_hex(content), content)  # its name is its sha256, like every object
    writer = store.begin_run(
        run_id, recorded_at, {**run_meta(ws.config, ws.rules, ws.catalog, store, ws.registry), "type": run_type}
    )
    for fact in facts:
        writer.add_fact(fact, writer_name)
    return writer.commit([], finished_at or utc_now(), {"callers": [], "collectors": [], "problems": []})
