"""Attestations: a named, allowed person's statement about one control, for controls no API can
show (physical and organisational ones), with an outcome and a bounded validity.

`annexa attest` checks everything before writing anything: the control exists; `--by` is one
of the `attesters:` in annexa.yaml; `--result` is `effective`, `not-effective` or `exception`
(an exception needs a note saying what is accepted); the validity is at most the configured
maximum (`attestations: {max_validity: 365d}` by default, never unbounded); physical controls
(A.7.x, `attestations: {require_file: [...]}`) carry a file; an attester with a `public_key`
signs the statement with their private key (`--sign-key`). It then stores the file's bytes as
a content-addressed object and the statement as one `attestation.control` fact, in a run of
its own (`type: attestation`) that is hash-chained like every run. The SoA of a collection run
counts the statements recorded before it (reports/attested.py).
"""

from __future__ import annotations

import base64
import hashlib
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from annexa.collectors.userfiles import reader
from annexa.errors import UsageError
from annexa.evidence_store.signing import fingerprint, load_public_key
from annexa.evidence_store.store import RunInfo
from annexa.inputfiles import read_input
from annexa.mappings.legacy_ids import unknown_control
from annexa.mappings.scope import ATTESTATION_RESULTS, Attester, requires_file, statement_bytes
from annexa.model import Fact, Source, parse_timestamp
from annexa.pipeline.runner import new_run_id
from annexa.pipeline.statements import record_statements
from annexa.pipeline.workspace import Workspace

__all__ = ["ATTESTATION_KIND", "MAX_FILE_BYTES", "find_attester", "record_attestation", "statement_expiry"]

ATTESTATION_KIND = "attestation.control"
MAX_FILE_BYTES = 256 * 1024 * 1024  # a report, a scan, a photo; refuse to slurp a disk image


def statement_expiry(text: str | None, now: datetime, ws: Workspace, option: str = "--expires") -> str:
    """A statement's end of validity: a future date within `attestations: max_validity` (the
    maximum when `text` is None), as an RFC 3339 instant; UsageError naming `option` otherwise."""
    limit = now + ws.config.attestation_policy.max_validity
    if text is None:
        return limit.strftime("%Y-%m-%dT%H:%M:%SZ")
    try:
        expires = parse_timestamp(text)
    except ValueError:
        raise UsageError(f"{option}: {text!r} is not a date such as 2027-05-01") from None
    if expires <= now:
        raise UsageError(f"{option}: {text} is not in the future")
    if expires > limit:
        days = ws.config.attestation_policy.max_validity.days
        raise UsageError(
            f"{option}: {text} is beyond the maximum validity of {days} days (until {limit:%Y-%m-%d}); "
            "record it again when it runs out"
        )
    return expires.strftime("%Y-%m-%dT%H:%M:%SZ")


def find_attester(ws: Workspace, by: str, option: str = "--by") -> Attester:
    """The `attesters:` entry named `by` (case and spacing aside); UsageError naming `option` otherwise."""
    wanted = " ".join(by.split()).casefold()
    if not ws.config.attesters:
        raise UsageError(
            f"{option}: {ws.config.path or 'annexa.yaml'} lists no `attesters:`; name who may attest or approve "
            "(name, role, optionally public_key) first"
        )
    for attester in ws.config.attesters.values():
        if attester.name.casefold() == wanted:
            return attester
    names = ", ".join(sorted(ws.config.attesters))
    raise UsageError(f"{option}: {by!r} is not one of the attesters in {ws.config.path or 'annexa.yaml'} ({names})")


def _read(file: Path) -> bytes:
    return read_input(file, MAX_FILE_BYTES, "--file", expected="an evidence file")


def _signing_key(path: Path, attester: Attester) -> Ed25519PrivateKey:
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except OSError as err:
        raise UsageError(f"--sign-key {path}: cannot read: {err.strerror or err}") from None
    except (ValueError, TypeError):
        raise UsageError(f"--sign-key {path}: not an unencrypted PEM private key") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise UsageError(f"--sign-key {path}: not an Ed25519 key (create one with `annexa keygen`)")
    assert attester.public_key is not None
    expected = fingerprint(load_public_key(attester.public_key.encode("ascii")))
    if fingerprint(key.public_key()) != expected:
        raise UsageError(f"--sign-key {path}: not {attester.name}'s key (their public key is {expected})")
    return key


def record_attestation(
    ws: Workspace,
    control: str,
    file: Path | None,
    note: str,
    by: str,
    result: str,
    expires: str | None = None,
    sign_key: Path | None = None,
    now: datetime | None = None,
) -> tuple[RunInfo, dict[str, Any]]:
    """Validate everything first, then write the file object and the attestation run. A given `now`
    dates the run as well as the statement (the demo's back-dated history)."""
    back_dated = now is not None
    now = (now or datetime.now(timezone.utc)).replace(microsecond=0)
    if control not in ws.catalog:
        raise UsageError(f"CONTROL: {unknown_control(control, ws.catalog.ids())} (see `annexa controls`)")
    if result not in ATTESTATION_RESULTS:
        raise UsageError(f"--result: {result!r} is not one of {', '.join(ATTESTATION_RESULTS)}")
    attester = find_attester(ws, by)
    if not note.strip() and file is None:
        raise UsageError("--note or --file: an attestation needs a statement or a file")
    if result == "exception" and not note.strip():
        raise UsageError("--note: an exception must say what is accepted and why")
    if file is None and requires_file(ws.config.attestation_policy, control):
        raise UsageError(
            f"--file: {control} needs an artefact (a report, a photo, a certificate): a statement alone is not "
            "evidence for it (`attestations: require_file` in annexa.yaml)"
        )
    if attester.public_key is not None and sign_key is None:
        raise UsageError(
            f"--sign-key: {attester.name} has a public key in annexa.yaml, so the statement must be signed"
        )
    if attester.public_key is None and sign_key is not None:
        raise UsageError(f"--sign-key: annexa.yaml has no public key for {attester.name} to check the signature with")
    key = _signing_key(sign_key, attester) if sign_key is not None else None
    expires_at = statement_expiry(expires, now, ws)
    content = _read(file) if file is not None else None

    attested_at = now.strftime("%Y-%m-%dT%H:%M:%SZ")
    data: dict[str, Any] = {
        "control": control,
        "result": result,
        "note": note.strip(),
        "attested_by": attester.name,
        "role": attester.role,
        "recorded_by": reader(),
        "attested_at": attested_at,
        "expires_at": expires_at,
        "file": None,
    }
    if content is not None and file is not None:
        digest = hashlib.sha256(content).hexdigest()
        data["file"] = {"name": file.name, "sha256": digest, "bytes": len(content)}
    if key is not None:
        data["proof"] = {
            "algorithm": "ed25519",
            "key_fingerprint": fingerprint(key.public_key()),
            "value": base64.b64encode(key.sign(statement_bytes(data))).decode("ascii"),
        }
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
        ws,
        "attestation",
        "attest",
        [fact],
        run_id,
        attested_at,
        [content] if content is not None else [],
        finished_at=attested_at if back_dated else None,
    )
    return run, data
