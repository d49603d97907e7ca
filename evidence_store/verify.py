"""Offline integrity verification of a store or an audit pack.

Checks, naming the run, object or link at fault:
- every object's sha256 equals its name;
- every manifest is valid canonical JSON in the slot its `sequence` names, and the
  sequence has no gap (a deleted run);
- every manifest's `previous.sha256` equals the sha256 of the manifest before it;
- every object a run references exists (deltas; for runs in the checked period
  also the mappings, config and every fact live in that run), and replaying the
  deltas gives the fact and result counts the manifest records;
- every signature is valid for the manifest's signed bytes (signing.signed_bytes), and every
  shard manifest a sealed run names is signed the same way (under a signed run, or when required),
  by a pinned key (trust.py) or, with none pinned, by one key across the whole chain;
  once a chain is signed no later run is unsigned, and with signatures required the
  newest run is signed (runs before the first signed one are vouched for by it);
- the live state the last run commits to (state.py) is what its deltas give;
- with an expected head (`SEQ:SHA256`, from `annexa head`), that run is present with
  that hash: runs removed from the end of the chain are found.
Objects are hashed folder by folder with plain os calls (filehash.py), on a large store in child
processes while the chain is walked, on a small one after it;
the replay builds each state entry in place from the parsed delta, so the state is encoded once.
Without a pinned key, a clean result proves integrity, not origin: anyone can sign a
rewritten chain with a key of their own, and the result line says so.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import json
import os
from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from annexa.errors import StoreError
from annexa.evidence_store.canonical import canonical_with_and_without
from annexa.evidence_store.filehash import hash_folders, list_folder, read_file
from annexa.evidence_store.local import LocalBackend
from annexa.evidence_store.state import entries_digest
from annexa.evidence_store.trust import Trust, shard_signature_problem
from annexa.model import parse_timestamp
from annexa.words import plural

__all__ = ["EvidenceSource", "Head", "StoreSource", "VerifyReport", "parse_head", "verify_chain"]

Head = tuple[int, str]  # (sequence, sha256 of that run's manifest)


def parse_head(text: str) -> Head:
    """`SEQ:SHA256` as `annexa head` prints it; ValueError otherwise."""
    seq, sep, sha = text.strip().partition(":")
    if not sep or not seq.isdigit() or int(seq) < 1 or len(sha) != 64 or any(c not in "0123456789abcdef" for c in sha):
        raise ValueError(f"{text!r} is not a head such as 42:<64 hex digits> (as `annexa head` prints it)")
    return int(seq), sha


class EvidenceSource(Protocol):
    """What verification reads: manifests by sequence and objects by digest."""

    label: str

    def list_manifests(self) -> list[int]: ...

    def get_manifest(self, sequence: int) -> bytes: ...

    def has_object(self, digest: str) -> bool: ...

    def missing_objects(self, digests: Collection[str]) -> set[str]:
        """Those of `digests` that are not stored."""

    def get_object(self, digest: str) -> bytes: ...

    def object_hashes(self) -> Iterable[tuple[str, str, int]]:
        """(name, actual sha256 of its bytes, size) for every stored object; the hashing may start at
        once (before it is iterated): if it has `close`, verify_chain calls it when done."""

    def get_timestamp(self, sequence: int) -> bytes | None:
        """The RFC 3161 timestamp record beside manifest `sequence` (timestamps.py), or None."""


class StoreSource:
    """A store backend (local directory or S3) as an evidence source."""

    def __init__(self, backend: Any) -> None:
        self.backend = backend
        self.label = backend.url
        self._present: set[str] = set()
        # A local store is read with plain os calls: per-object pathlib overhead would
        # otherwise cost more than hashing the (small) objects themselves.
        root = str(backend.root) if isinstance(backend, LocalBackend) else None
        self._objects = os.path.join(root, "objects") if root else None
        self._manifests = os.path.join(root, "manifests") if root else None

    def list_manifests(self) -> list[int]:
        return list(self.backend.list_manifests())

    def get_manifest(self, sequence: int) -> bytes:
        if self._manifests is not None:
            with contextlib.suppress(FileNotFoundError):
                return read_file(os.path.join(self._manifests, f"{sequence:08d}.json"))
        return bytes(self.backend.get_manifest(sequence))  # or its error, naming what is missing

    def has_object(self, digest: str) -> bool:
        return digest in self._present

    def missing_objects(self, digests: Collection[str]) -> set[str]:
        return set() if self._present.issuperset(digests) else set(digests) - self._present

    def get_object(self, digest: str) -> bytes:
        # a listed name (no "/" in it) of a digest's length: its path cannot leave objects/
        if self._objects is not None and len(digest) == 64 and digest in self._present:
            with contextlib.suppress(FileNotFoundError):
                return read_file(os.path.join(self._objects, digest[:2], digest))
        return bytes(self.backend.get_object(digest))  # or its error, naming what is missing

    def get_timestamp(self, sequence: int) -> bytes | None:
        return self.backend.get_timestamp(sequence)

    def object_hashes(self) -> Iterable[tuple[str, str, int]]:
        if self._objects is None:
            return self._remote_hashes()
        folders = [list_folder(os.path.join(self._objects, shard))[0] for shard in _shards(self._objects)]
        self._present.update(name for folder in folders for name in folder.names)
        return hash_folders(folders)

    def _remote_hashes(self) -> Iterator[tuple[str, str, int]]:
        # Listed now, hashed lazily: the chain walk (which runs before the hashes are consumed)
        # must already know which objects exist.
        digests = self.backend.iter_objects()
        self._present.update(digests)
        return (
            (d, hashlib.sha256(data).hexdigest(), len(data)) for d in digests for data in (self.backend.get_object(d),)
        )


def _shards(objects: str) -> list[str]:
    """The objects/xx/ folders (their files whose names are not a digest are reported as mismatches)."""
    if not os.path.isdir(objects):
        return []
    return list_folder(objects)[1]


@dataclass
class VerifyReport:
    source: str
    runs: int = 0
    objects: int = 0
    bytes: int = 0
    signed: int = 0
    keys: dict[str, list[int]] = field(default_factory=dict)  # fingerprint -> [first, last] run signed
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # Not integrity problems, but what an auditor must be told (a run dated before the one chained
    # before it: a skewed clock, or a backdated statement).
    warnings: list[str] = field(default_factory=list)
    pinned: bool = False  # whether the signatures were checked against keys the verifier trusts
    head: Head | None = None  # the last run of the chain checked, and its manifest's sha256
    # A store with no manifest at all: no run has finished (the only one was interrupted, or none
    # ran). Not a problem by itself; without `--expect-head` it cannot be told from every run deleted.
    no_complete_run: bool = False

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def origin_proven(self) -> bool:
        """Signed by pinned keys throughout: the evidence comes from the holder of those keys."""
        return self.ok and self.pinned and self.signed > 0

    def summary(self) -> str:
        if not self.ok:
            verdict = f"FAILED ({plural(len(self.problems), 'problem')})"
        elif self.no_complete_run:
            leftovers = f" ({self.objects} objects of unfinished runs)" if self.objects else ""
            return (
                f"NO COMPLETE RUN YET: {self.source}: no run has finished{leftovers}; nothing to verify until "
                "`annexa collect` completes one (an interrupted run publishes nothing)"
            )
        elif self.origin_proven:
            verdict = "OK (integrity and origin: signed by the trusted " + ", ".join(self.keys) + ")"
        else:
            why = "no trusted key pinned, see --trusted-key" if self.signed else "not signed"
            verdict = f"OK (integrity only, origin not proven: {why})"
        head = f", head {self.head[0]}:{self.head[1]}" if self.head else ""
        return (
            f"{verdict}: {self.source}: {plural(self.runs, 'run')}, {plural(self.objects, 'object')} "
            f"({plural(self.bytes, 'byte')}), {plural(self.signed, 'signed manifest')}{head}"
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "no_complete_run": self.no_complete_run,
            "origin_proven": self.origin_proven,
            "head": f"{self.head[0]}:{self.head[1]}" if self.head else None,
            "source": self.source,
            "runs": self.runs,
            "objects": self.objects,
            "bytes": self.bytes,
            "signed": self.signed,
            "keys": [{"fingerprint": k, "first_run": v[0], "last_run": v[1]} for k, v in self.keys.items()],
            "problems": self.problems,
            "notes": self.notes,
            "warnings": self.warnings,
        }


def _ranges(numbers: Iterable[int]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for n in sorted(numbers):
        if out and out[-1][1] == n - 1:
            out[-1] = (out[-1][0], n)
        else:
            out.append((n, n))
    return out


@dataclass
class _Chain:
    """State carried from one manifest to the next while walking the chain."""

    prev_seq: int = 0
    prev_sha: str | None = None
    # the live state: (kind or rule, resource) -> its state entry (state.py), the delta entry as read,
    # padded to its full width and with the run that added it appended; None once a delta is unusable
    facts: dict[tuple[str, str], list[Any]] | None = field(default_factory=dict)
    results: dict[tuple[str, str], list[Any]] | None = field(default_factory=dict)
    last_key: str | None = None
    first_signed: int | None = None
    unsigned_before: int = 0  # runs unsigned before the first signed one
    checked_live_facts: bool = False
    shas: dict[int, str] = field(default_factory=dict)
    timestamped: int = 0  # runs whose manifest commits to an RFC 3161 token
    last_manifest: Mapping[str, Any] | None = None
    prev_started: tuple[int, str, datetime] | None = None  # the run before: its sequence, id, start


def verify_chain(
    source: EvidenceSource,
    period: tuple[int, int] | None = None,
    trust: Trust | None = None,
    report: VerifyReport | None = None,
    expect_head: Head | None = None,
) -> VerifyReport:
    """Verify everything in `source`. Runs outside `period` (first, last) are chain context:
    their links, signatures and deltas are checked, but not their other objects."""
    report = report or VerifyReport(source.label)
    trust = trust or Trust()
    report.pinned = trust.pinned
    # The replay keeps every live entry (lists) until the end: without this the cyclic collector
    # would rescan them again and again, adding half to the time. Nothing here makes cycles.
    collecting = gc.isenabled()
    gc.disable()
    hashes = None
    try:
        hashes = source.object_hashes()  # on a large store, hashing starts now in child processes
        _walk(source, period, trust, report, expect_head)
        for name, actual, size in hashes:
            report.objects += 1
            report.bytes += size
            if actual != name:
                report.problems.append(f"object {name}: content does not match its name (its sha256 is {actual})")
    finally:
        close = getattr(hashes, "close", None)
        if close is not None:
            close()  # an error mid-walk: end the hashing processes
        if collecting:
            gc.enable()
    return report


def _walk(
    source: EvidenceSource,
    period: tuple[int, int] | None,
    trust: Trust,
    report: VerifyReport,
    expect_head: Head | None,
) -> None:
    seqs = source.list_manifests()
    report.runs = len(seqs)
    if not seqs:
        if expect_head is not None:
            report.problems.append(
                f"{source.label}: no manifests, but the expected head is run {expect_head[0]}: runs were removed"
            )
        elif isinstance(source, StoreSource):
            report.no_complete_run = True
        else:
            report.problems.append(f"{source.label}: no manifests found")
        return
    for low, high in _ranges(set(range(1, seqs[-1] + 1)) - set(seqs)):
        gap = f"{low:08d}.json" if low == high else f"{low:08d}.json to {high:08d}.json"
        report.problems.append(
            f"manifest {gap} missing: the chain jumps from run {low - 1} to run {high + 1} (a run was deleted)"
        )
    chain = _Chain()
    for seq in seqs:
        full = period is None or period[0] <= seq <= period[1]
        try:
            _check_manifest(source, seq, full, chain, trust, report)
        except (KeyError, TypeError, ValueError, AttributeError, IndexError) as err:
            report.problems.append(f"run {seq}: manifest {seq:08d}.json is malformed ({type(err).__name__}: {err})")
            chain.facts = chain.results = None
        except StoreError as err:
            report.problems.append(f"run {seq}: {err}")
            chain.facts = chain.results = None
    report.head = (seqs[-1], chain.shas[seqs[-1]]) if seqs[-1] in chain.shas else None
    if chain.first_signed is None:
        if trust.require_signatures:
            report.problems.append(
                f"run {seqs[-1]}: not signed, and no run is; signatures are required ({trust.describe()})"
            )
        else:
            report.notes.append("no manifest is signed: configure `signing:` so edits to the latest run are detectable")
    elif chain.unsigned_before:
        report.notes.append(
            f"runs 1 to {chain.first_signed - 1} are not signed (they predate signing); run {chain.first_signed}, "
            "signed, commits to them through the hash chain"
        )
    if chain.timestamped and not trust.tsa_certificates:
        report.notes.append(
            f"{plural(chain.timestamped, 'timestamp token')} checked against the certificate each token carries: "
            "pin the TSA's certificate (`signing: {tsa_certificate: F}`, --tsa-certificate) to prove which TSA "
            "issued them"
        )
    if chain.last_manifest is not None:
        _check_state(chain.last_manifest, seqs[-1], chain, report)
    if expect_head is not None:
        _check_head(expect_head, seqs[-1], chain, report)


def _check_state(manifest: Mapping[str, Any], seq: int, chain: _Chain, report: VerifyReport) -> None:
    """The last run's commitment to its live state (state.py) must be what the deltas gave."""
    for part, live in (("facts", chain.facts), ("results", chain.results)):
        claimed = (manifest.get(part) or {}).get("state")
        if claimed is not None and live is not None and entries_digest([live[key] for key in sorted(live)]) != claimed:
            report.problems.append(
                f"run {seq} ({manifest.get('run_id', '?')}): its {part}.state does not match the state its deltas give"
            )


def _check_head(expect: Head, last: int, chain: _Chain, report: VerifyReport) -> None:
    seq, sha = expect
    if seq > last:
        report.problems.append(
            f"runs after {last} are missing: the expected head is run {seq} ({sha}), but the chain ends at run {last}"
        )
    elif chain.shas.get(seq) != sha:
        report.problems.append(
            f"run {seq} hashes to {chain.shas.get(seq)}, not the expected head {sha}: the chain was rewritten"
        )


def _check_manifest(
    source: EvidenceSource, seq: int, full: bool, chain: _Chain, trust: Trust, report: VerifyReport
) -> None:
    raw = source.get_manifest(seq)
    sha = hashlib.sha256(raw).hexdigest()
    previous_seq, previous_sha = chain.prev_seq, chain.prev_sha
    chain.prev_seq, chain.prev_sha = seq, sha
    chain.shas[seq] = sha
    chain.last_manifest = None
    try:
        manifest = json.loads(raw)
    except ValueError:
        chain.facts = chain.results = None
        report.problems.append(f"run {seq}: manifest {seq:08d}.json is not valid JSON")
        return
    where = f"run {seq} ({manifest.get('run_id', '?')})"
    canonical, signed = canonical_with_and_without(manifest, "signature")  # each member encoded once
    if canonical != raw:
        report.problems.append(f"{where}: manifest {seq:08d}.json is not in canonical form (edited after writing)")
    if manifest.get("sequence") != seq:
        report.problems.append(f"{where}: manifest {seq:08d}.json says it is run {manifest.get('sequence')!r}")

    link = manifest.get("previous")
    if seq == 1:
        if link is not None:
            report.problems.append(f"{where}: the first run names a previous manifest {link!r}")
    elif link is None:
        report.problems.append(f"{where}: no link to run {seq - 1} (previous is null)")
    elif previous_seq == seq - 1:
        if link.get("sequence") != seq - 1 or link.get("sha256") != previous_sha:
            report.problems.append(
                f"{where}: broken link to run {seq - 1}: previous.sha256 is {link.get('sha256')}, "
                f"but manifest {seq - 1:08d}.json hashes to {previous_sha}"
            )

    _check_signature(manifest, signed, seq, where, chain, trust, report)
    if "timestamp" in manifest:
        chain.timestamped += 1
        _check_timestamp(source, manifest, seq, sha, where, trust, report)
    chain.last_manifest = manifest
    _check_clock(manifest, seq, where, chain, report)

    for path in (
        ("facts", "delta"),
        ("results", "delta"),
        *((("mappings", "object"), ("config", "object")) if full else ()),
    ):
        digest = manifest.get(path[0], {}).get(path[1])
        if digest is None and path[0] == "config":
            continue  # runs written by library callers may carry no config
        if not isinstance(digest, str) or not source.has_object(digest):
            report.problems.append(f"{where}: {'.'.join(path)} object {digest} is missing")
            if path[1] == "delta":
                chain.facts = chain.results = None
    if chain.facts is not None and chain.results is not None:
        _replay(source, manifest, seq, where, full, chain, report)
    if full:
        _check_shards(source, manifest, where, trust, report)


def _check_shards(
    source: EvidenceSource, manifest: Mapping[str, Any], where: str, trust: Trust, report: VerifyReport
) -> None:
    """A sealed run's shard manifests: each present, of this run, and signed as trust.py asks (under a
    signed run every shard must be signed too: a shard is written before the run that names it)."""
    for entry in manifest.get("shards") or ():
        label, digest = entry.get("shard"), entry.get("object")
        if not isinstance(digest, str) or not source.has_object(digest):
            report.problems.append(f"{where}: shard {label} object {digest} is missing")
            continue
        body = json.loads(source.get_object(digest))
        if not isinstance(body, dict) or body.get("run_id") != manifest.get("run_id"):
            report.problems.append(f"{where}: shard {label} object {digest} is not a shard of this run")
            continue
        problem = shard_signature_problem(trust, body, run_signed="signature" in manifest)
        if problem is not None:
            report.problems.append(f"{where}: shard {label} {problem}")


def _check_timestamp(
    source: EvidenceSource,
    manifest: Mapping[str, Any],
    seq: int,
    sha: str,
    where: str,
    trust: Trust,
    report: VerifyReport,
) -> None:
    """The RFC 3161 token the signed manifest commits to (timestamps.py), checked offline."""
    from annexa.evidence_store.timestamps import check_record, load_tsa_certificate  # asn1crypto only when stamped

    raw = source.get_timestamp(seq)
    try:
        record = None if raw is None else json.loads(raw)
        started = parse_timestamp(str(manifest.get("started_at")))
    except ValueError as err:
        report.problems.append(f"{where}: its timestamp record is unreadable ({err})")
        return
    if record is not None and not isinstance(record, dict):
        report.problems.append(f"{where}: its timestamp record is not an object")
        return
    certificates = [load_tsa_certificate(der) for der in trust.tsa_certificates]
    problem, warning = check_record(record, manifest, sha, started, certificates)
    if problem:
        report.problems.append(f"{where}: {problem}")
    if warning:
        report.warnings.append(f"{where}: {warning}")


def _check_clock(manifest: Mapping[str, Any], seq: int, where: str, chain: _Chain, report: VerifyReport) -> None:
    """Time going backwards between chained runs is reported, never silently accepted: reports
    order runs by the chain, so a backdated run is where its sequence puts it, not where its date says."""
    try:
        started = parse_timestamp(str(manifest.get("started_at")))
    except ValueError:
        report.warnings.append(f"{where}: started_at {manifest.get('started_at')!r} is not a timestamp")
        chain.prev_started = None
        return
    before = chain.prev_started
    if before is not None and before[0] == seq - 1 and started < before[2]:
        report.warnings.append(
            f"{where}: started {manifest.get('started_at')}, {before[2] - started} before run {before[0]} "
            f"({before[1]}) chained before it: time goes backwards (a skewed clock or a backdated run); "
            "reports order runs by the chain"
        )
    chain.prev_started = (seq, str(manifest.get("run_id", "?")), started)


def _check_signature(
    manifest: Mapping[str, Any],
    signed_bytes: bytes,
    seq: int,
    where: str,
    chain: _Chain,
    trust: Trust,
    report: VerifyReport,
) -> None:
    signed = trust.check(manifest, signed_bytes)
    if signed.unsigned:
        if chain.first_signed is not None:
            report.problems.append(f"{where}: not signed, though the chain is signed from run {chain.first_signed}")
        else:
            chain.unsigned_before += 1
        return
    if signed.problem:
        report.problems.append(f"{where}: {signed.problem}")
        return
    key = signed.key
    assert key is not None
    report.signed += 1
    span = report.keys.setdefault(key, [seq, seq])
    span[1] = seq
    if chain.first_signed is None:
        chain.first_signed = seq
    if signed.untrusted:
        report.problems.append(f"{where}: {signed.refusal()} (--trusted-key, trusted_keys)")
    elif not trust.pinned and chain.last_key is not None and key != chain.last_key:
        report.problems.append(
            f"{where}: signed by {key}, but the run before by {chain.last_key} "
            "(a key change: pin the trusted keys with --trusted-key)"
        )
    chain.last_key = key


def _replay(
    source: EvidenceSource,
    manifest: Mapping[str, Any],
    seq: int,
    where: str,
    full: bool,
    chain: _Chain,
    report: VerifyReport,
) -> None:
    """Apply the run's deltas to the live sets; the counts must match what the manifest says."""
    assert chain.facts is not None and chain.results is not None
    fact_delta = json.loads(source.get_object(manifest["facts"]["delta"]))
    result_delta = json.loads(source.get_object(manifest["results"]["delta"]))
    base = fact_delta.get("base")
    if (base or 0) != seq - 1 or (result_delta.get("base") or 0) != seq - 1:
        report.problems.append(f"{where}: its deltas are against run {base}, not run {seq - 1}")
    for live, delta, name in ((chain.facts, fact_delta, "facts"), (chain.results, result_delta, "results")):
        for key in delta.get("remove", []):
            if live.pop((key[0], key[1]), None) is None:
                report.problems.append(f"{where}: {name} delta removes {key[0]} {key[1]}, which was not present")
        width = 4 if name == "facts" else 6  # a result entry's 6th member (its own controls) is optional
        adds = delta.get("add", [])
        for entry in adds:  # each becomes its state entry (state.py), in place: the parsed delta is ours alone
            if len(entry) < width:
                entry.extend([None] * (width - len(entry)))
            entry.append(seq)  # an entry that is not an array fails here (AttributeError: malformed)
        live.update({(entry[0], entry[1]): entry for entry in adds})
        count = manifest[name]["count"]
        if len(live) != count:
            report.problems.append(
                f"{where}: replaying the {name} deltas gives {len(live)} {name}, the manifest says {count}"
            )
    if not full:
        return
    # the facts this run added (the delta's entries, now state entries), or on the first full run all live ones
    check = fact_delta.get("add", []) if chain.checked_live_facts else chain.facts.values()
    chain.checked_live_facts = True
    missing = source.missing_objects([entry[2] for entry in check])
    for entry in check if missing else ():
        if entry[2] in missing:
            report.problems.append(f"{where}: fact object {entry[2]} ({entry[0]} {entry[1]}) is missing")
