"""Which recorded attestations a run's SoA counts, judged with the run's own settings.

A collection run's SoA takes the statements recorded before it (earlier in the hash chain):
one recorded after a run counts from the next run, exactly as a scope change does, so the
SoA of a run never changes. A statement counts when it has an outcome (`effective`,
`not-effective`, `exception`), its author is one of the run's `attesters:` (and, where the
run lists their public key, it is signed with that key), and it carries a file where the run's
`attestations: require_file` asks for one. It stops counting at its expiry, or at
`attested_at + max_validity` of the run if that comes first. Statements that do not count are
listed with the reason, never judged.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from cryptography.exceptions import InvalidSignature

from annexa.evidence_store.signing import load_public_key
from annexa.evidence_store.store import RunInfo, Store
from annexa.mappings.rollup import Attestation
from annexa.mappings.scope import ATTESTATION_RESULTS, requires_file, statement_bytes
from annexa.model import parse_timestamp
from annexa.reports.settings import RunSettings

__all__ = ["attestations_for", "judge_attestation"]


def _signed_by(record: Mapping[str, Any], public_key: str) -> bool:
    proof = record.get("proof")
    if not isinstance(proof, Mapping) or proof.get("algorithm") != "ed25519":
        return False
    try:
        value = base64.b64decode(str(proof.get("value", "")), validate=True)
        load_public_key(public_key.encode("ascii")).verify(value, statement_bytes(record))
    except (ValueError, InvalidSignature):
        return False
    return True


def _bounded(attested_at: str, expires_at: str, max_validity: timedelta) -> str:
    limit = parse_timestamp(attested_at) + max_validity
    if parse_timestamp(expires_at) <= limit:
        return expires_at
    return limit.strftime("%Y-%m-%dT%H:%M:%SZ")


def judge_attestation(record: Mapping[str, Any], settings: RunSettings) -> Attestation:
    """One stored attestation record as the rollup's `Attestation`, counted or not (with the reason)."""
    outcome = str(record.get("result") or "")
    by = str(record.get("attested_by", ""))
    attester = next((a for a in settings.attesters.values() if a.name.casefold() == by.casefold()), None)
    reason = ""
    if outcome not in ATTESTATION_RESULTS:
        reason = "it records no outcome (effective, not-effective or exception)"
    elif attester is None:
        reason = f"{by!r} is not an attester in this run's configuration"
    elif attester.public_key is not None and not _signed_by(record, attester.public_key):
        reason = f"it is not signed with {attester.name}'s key"
    elif not record.get("file") and requires_file(settings.attestation_policy, str(record["control"])):
        reason = "this control needs a file with its attestation (attestations: require_file)"
    attested_at = str(record["attested_at"])
    return Attestation(
        control=str(record["control"]),
        outcome=outcome,
        attested_by=attester.name if attester else by,
        attested_at=attested_at,
        expires_at=_bounded(attested_at, str(record["expires_at"]), settings.attestation_policy.max_validity),
        sequence=int(record.get("sequence", 0)),
        role=attester.role if attester else str(record.get("role", "")),
        note=str(record.get("note", "")),
        file=record.get("file") or None,
        counted=not reason,
        reason=reason,
    )


def attestations_for(store: Store, run: RunInfo, settings: RunSettings) -> list[Attestation]:
    """The attestations recorded before `run`, judged with its settings."""
    return [judge_attestation(record, settings) for record in store.attestations(before=run)]
