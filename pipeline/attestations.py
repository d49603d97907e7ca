"""Attestations: evidence a person vouches for (a signed-off report, a photo of a badge
reader, a contract), for controls no API can show, physical and organisational ones.

`annexa attest` stores the file's bytes as a content-addressed object (its name is its
sha256) and records who, when and until when as one `attestation.control` fact, in a
run of its own (`type: attestation`) that goes through the normal run writer, so it is
hash-chained and immutable like every collection run. Reports gather the attestations
in effect from the index and hand them to the rollup as `ManualEvidence`: `manual` while
fresh, `stale` once expired.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from annexa.collectors.userfiles import reader
from annexa.errors import UsageError
from annexa.evidence_store.store import RunInfo, Store
from annexa.inputfiles import read_input
from annexa.mappings.rollup import ManualEvidence
from annexa.model import Fact, Source, parse_timestamp
from annexa.pipeline.runner import new_run_id
from annexa.pipeline.statements import record_statements
from annexa.pipeline.workspace import Workspace

__all__ = ["ATTESTATION_KIND", "MAX_FILE_BYTES", "manual_evidence", "record_attestation"]

ATTESTATION_KIND = "attestation.control"
MAX_FILE_BYTES = 256 * 1024 * 1024  # a report, a scan, a photo; refuse to slurp a disk image


def _expiry(text: str, now: datetime) -> str:
    try:
        expires = parse_timestamp(text)
    except ValueError:
        raise UsageError(f"--expires: {text!r} is not a date such as 2027-05-01") from None
    if expires <= now:
        raise UsageError(f"--expires: {text} is not in the future")
    return expires.strftime("%Y-%m-%dT%H:%M:%SZ")


def _read(file: Path) -> bytes:
    return read_input(file, MAX_FILE_BYTES, "--file", expected="an evidence file")


def record_attestation(
    ws: Workspace,
    control: str,
    file: Path | None,
    note: str,
    by: str,
    expires: str,
    now: datetime | None = None,
) -> tuple[RunInfo, dict[str, Any]]:
    """Validate everything first, then write the file object and the attestation run."""
    now = now or datetime.now(timezone.utc)
    if control not in ws.catalog:
        raise UsageError(f"CONTROL: unknown Annex A 2022 control id {control!r} (see `annexa controls`)")
    if not by.strip():
        raise UsageError("--by: name the person who attests")
    if not note.strip() and file is None:
        raise UsageError("--note or --file: an attestation needs a statement or a file")
    expires_at = _expiry(expires, now)
    content = _read(file) if file is not None else None

    attested_at = now.strftime("%Y-%m-%dT%H:%M:%SZ")
    data: dict[str, Any] = {
        "control": control,
        "note": note.strip(),
        "attested_by": by.strip(),
        "recorded_by": reader(),
        "attested_at": attested_at,
        "expires_at": expires_at,
        "file": None,
    }
    if content is not None and file is not None:
        digest = hashlib.sha256(content).hexdigest()
        data["file"] = {"name": file.name, "sha256": digest, "bytes": len(content)}
    run_id = new_run_id(now)
    fact = Fact(
        kind=ATTESTATION_KIND,
        resource=f"{control}@{run_id}",
        scope={"provider": "attestation"},
        data=data,
        source=Source(operations=("annexa attest",), principal=data["recorded_by"]),
        collected_at=attested_at,
    )
    # a signed run of its own, like every recorded statement
    run = record_statements(
        ws, "attestation", "attest", [fact], run_id, attested_at, [content] if content is not None else []
    )
    return run, data


def manual_evidence(store: Store, as_of: RunInfo | None = None) -> list[ManualEvidence]:
    """The newest attestation per control in effect for `as_of` (all controls attested so far)."""
    newest: dict[str, dict[str, Any]] = {}
    for record in store.attestations(as_of):
        current = newest.get(record["control"])
        if current is None or parse_timestamp(record["attested_at"]) >= parse_timestamp(current["attested_at"]):
            newest[record["control"]] = record
    out = []
    for control, record in sorted(newest.items()):
        file = record.get("file") or {}
        reference = f"attestation run #{record['sequence']} by {record['attested_by']} until {record['expires_at']}"
        if file:
            reference += f": {file['name']} sha256:{file['sha256']}"
        out.append(
            ManualEvidence(
                control=control,
                attested_at=record["attested_at"],
                expires_at=record["expires_at"],
                reference=reference,
                summary=record.get("note", ""),
            )
        )
    return out
