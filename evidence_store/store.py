"""The evidence store: runs written as immutable, hash-chained bundles.

A run's bundle is its manifest plus the objects it references:
- one object per fact (`kind`, `resource`, `scope`, `data`, `source`; redacted,
  content-addressed, so a fact unchanged since last night is stored once);
- a fact delta and a result delta against the previous run (what was added or
  removed), so storage grows with change rather than with time;
- the rules and the (redacted) configuration the run used.
Collection times are kept per batch (one collector over one scope, e.g. `aws.s3`
in one account) in the manifest; a fact's `collected_at` is its batch's start.
The manifest records the sha256 of the previous manifest (a hash chain).
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import threading
from collections import OrderedDict
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from itertools import pairwise
from pathlib import Path
from typing import TYPE_CHECKING, Any

from annexa.errors import ConcurrentRunError, StoreError, UsageError, VerifyError
from annexa.evidence_store.backend import Backend, Retention, SlotTaken, open_backend, require_existing_store
from annexa.evidence_store.batches import batch_collector, batch_key
from annexa.evidence_store.canonical import canonical_bytes, sha256_hex
from annexa.evidence_store.carry import CarryPolicy, carry_forward
from annexa.evidence_store.index import Index
from annexa.evidence_store.object_writer import ObjectWriter
from annexa.evidence_store.redact import redact
from annexa.evidence_store.settle import Part, merged
from annexa.evidence_store.spans import LiveSpans, ResultSpans, Span
from annexa.evidence_store.state import FactState, ResultState, StateHasher, state_digest, streamed_digest
from annexa.evidence_store.trust import Trust
from annexa.model import CollectionError, Fact, Result, Source, evidence_class_for_kind, scope_key

if TYPE_CHECKING:
    from annexa.evidence_store.timestamps import Timestamper  # asn1crypto is loaded only by stores that stamp

__all__ = [
    "MANIFEST_FORMAT",
    "DELTA_FORMAT",
    "SHARD_FORMAT",
    "RunInfo",
    "RunWriter",
    "Store",
    "StoredFact",
    "open_store",
    "require_existing_store",
]

MANIFEST_FORMAT = "annexa.run/2"  # 2: facts.state and results.state commit to the run's live state
DELTA_FORMAT = "annexa.delta/1"
SHARD_FORMAT = "annexa.shard/1"
_PUBLISH_ATTEMPTS = 5

Signer = Callable[[bytes], dict[str, Any]]


@dataclass(frozen=True)
class RunInfo:
    seq: int
    run_id: str
    status: str
    started_at: str
    finished_at: str
    manifest_sha256: str
    facts: int
    results: int
    errors: int
    # or a recorded statement's run: `attestation` (`annexa attest`), `corrective_action` (`annexa nc`)
    type: str = "collection"

    def to_dict(self) -> dict[str, Any]:
        return {
            "sequence": self.seq,
            "type": self.type,
            "run_id": self.run_id,
            "status": self.status,
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "manifest_sha256": self.manifest_sha256,
            "facts": self.facts,
            "results": self.results,
            "errors": self.errors,
        }


@dataclass(frozen=True)
class StoredFact:
    kind: str
    resource: str
    scope: Mapping[str, str]
    data: Any
    source: Source
    collected_at: str
    hash: str


def open_store(
    url: str,
    signer: Signer | None = None,
    retention: Retention | None = None,
    trust: Trust | None = None,
    timestamper: Timestamper | None = None,
) -> Store:
    """Open the store at a path, `file://` URL or (with the S3 backend) `s3://` URL.

    `retention` (S3 Object Lock) applies to every object written; only S3 has it. `trust`
    says which signatures the store's readers and writers accept (trust.py); `timestamper`
    (a writer's) gets an RFC 3161 token for every manifest it publishes (timestamps.py).
    """
    return Store(open_backend(url, retention), signer, trust, timestamper)


_CACHED_MANIFESTS = 64
_CACHED_STATES = 4


class Store:
    """Reads only what the signed manifests vouch for.

    Every manifest read is checked (canonical form, its sequence, its signature against
    `trust`, the sha256 the index recorded for it); every object read is hash-checked; every
    run's facts and results read from the index are checked against the state its manifest
    commits to (state.py). Anything that does not match raises VerifyError (exit 4), naming it.
    """

    def __init__(
        self,
        backend: Backend,
        signer: Signer | None = None,
        trust: Trust | None = None,
        timestamper: Timestamper | None = None,
    ) -> None:
        self.backend = backend
        self.signer = signer
        self.trust = trust or Trust()
        self.timestamper = timestamper
        # sequence -> why its manifest has no timestamp token (the TSA failed): the writer's command
        # reports it and exits non-zero; the record beside the manifest keeps it for verify.
        self.timestamp_errors: dict[int, str] = {}
        self._index: Index | None = None
        self._synced = False
        self._manifests: OrderedDict[int, dict[str, Any]] = OrderedDict()
        self._shas: dict[int, str] = {}  # sequence -> sha256 of the manifest bytes, for every manifest checked
        self._authentic: set[int] = set()  # runs whose manifest passed the trust policy
        self._mappings: dict[str, dict[str, Any]] = {}
        self._states: OrderedDict[tuple[str, int], dict[tuple[str, str], tuple[Any, ...]]] = OrderedDict()
        self._runs: tuple[int, tuple[RunInfo, ...]] | None = None  # (head, every run), as `runs()` checked them

    @property
    def url(self) -> str:
        return self.backend.url

    def _tampered(self, message: str) -> VerifyError:
        return VerifyError(f"{self.url}: {message}")

    # -- index -------------------------------------------------------------------

    def index(self, refresh: bool = False) -> Index:
        """The index, brought up to date with the store's manifests on first use (or when `refresh`).

        One sync per Store: a command sees one consistent set of runs, and on S3 pays one
        listing rather than one per lookup. A writer refreshes before choosing its chain slot.
        """
        if self._index is None:
            self._index = self._open_index(self.backend.index_path())
        if refresh or not self._synced:
            self._sync(self._index)
            self._synced = True
        return self._index

    def close(self) -> None:
        """Close the index (a store over a temporary index folder closes it before removing it)."""
        if self._index is not None:
            self._index.close()
            self._index, self._synced = None, False

    def _open_index(self, path: Path) -> Index:
        try:
            return Index(path)
        except sqlite3.DatabaseError as err:
            raise self._tampered(
                f"the index {path} is not a readable SQLite database ({err}): it was changed or damaged; "
                "run `annexa reindex`"
            ) from None

    def reindex(self) -> int:
        """Rebuild the index from the bundles, through verification; returns the number of runs indexed.

        The new index is built beside the old one and replaces it only once every run checked out,
        so a refused rebuild leaves the old index (which readers check anyway) in place.
        """
        path = self.backend.index_path()
        if self._index is not None:
            self._index.close()
        self._index, self._synced = None, False
        self._manifests.clear()
        self._shas.clear()
        self._authentic.clear()
        self._states.clear()
        self._runs = None
        rebuilt = path.with_name(path.name + ".rebuild")
        _remove_sqlite(rebuilt)
        index = Index(rebuilt)
        if index.in_memory:  # a read-only store: the rebuilt index lives in memory for this command
            index.clear()
        try:
            self._sync(index)
        except BaseException:
            index.close()
            _remove_sqlite(rebuilt)
            raise
        count = index.latest_seq()
        if index.in_memory:
            self._index, self._synced = index, True
            return count
        index.close()
        _remove_sqlite(path)  # a stale -wal of the old index must not be replayed into the new one
        os.replace(rebuilt, path)
        self._index, self._synced = self._open_index(path), True
        return count

    def _sync(self, index: Index) -> None:
        """Index the runs the index does not have yet, each one verified before it is indexed."""
        have = index.latest_seq()
        # List only from the newest indexed run on, so the cost of a sync grows with new runs, not history.
        seqs = self.backend.list_manifests(after=have - 1 if have else 0)
        if have:
            row = index.run(have)
            if have not in seqs:
                raise self._tampered(
                    f"the index holds run {have} (manifest sha256 {row['manifest_sha256']}), which is no longer in "
                    "the store: runs were removed (run `annexa verify`; if the store was replaced on purpose, "
                    "`annexa reindex`)"
                )
            actual = sha256_hex(self.backend.get_manifest(have))
            if actual != row["manifest_sha256"]:
                raise self._tampered(
                    f"manifest {have:08d}.json hashes to {actual}, but the index recorded {row['manifest_sha256']}: "
                    "the manifest or the index was changed (run `annexa verify`, then `annexa reindex`)"
                )
            self._shas[have] = actual
        for seq in seqs:
            if seq <= have:
                continue
            if seq != have + 1:
                raise StoreError(
                    f"{self.url}: manifest {have + 1:08d}.json is missing before {seq:08d}.json "
                    "(the hash chain is broken; run `annexa verify`)"
                )
            self._index_run(index, seq)
            have = seq

    def _index_run(self, index: Index, seq: int) -> None:
        manifest = self.manifest(seq)
        if seq > 1:
            link = manifest.get("previous") or {}
            if link.get("sequence") != seq - 1 or link.get("sha256") != self._manifest_sha(seq - 1):
                raise self._tampered(
                    f"run {seq}: its link to run {seq - 1} is broken (previous.sha256 is {link.get('sha256')}, "
                    f"manifest {seq - 1:08d}.json hashes to {self._manifest_sha(seq - 1)}); run `annexa verify`"
                )
        deltas = []
        for part in ("facts", "results"):
            delta = self.get_json(manifest[part]["delta"])
            if (delta.get("base") or 0) != seq - 1:
                raise self._tampered(f"run {seq}: its {part} delta is against run {delta.get('base')}, not {seq - 1}")
            deltas.append(delta)
        index.apply(manifest, self._shas[seq], deltas[0], deltas[1])

    def _manifest_sha(self, seq: int) -> str:
        if seq not in self._shas:
            self._shas[seq] = sha256_hex(self.backend.get_manifest(seq))
        return self._shas[seq]

    # -- verified reading ------------------------------------------------------------

    def _json(self, raw: bytes, what: str) -> Any:
        try:
            return json.loads(raw)
        except ValueError:
            raise StoreError(f"{self.url}: {what} is not valid JSON (run `annexa verify`)") from None

    def get_object(self, digest: str) -> bytes:
        """An object's bytes, checked against its name."""
        data = self.backend.get_object(digest)
        if sha256_hex(data) != digest:
            raise self._tampered(f"object {digest} does not match its sha256: it was changed (run `annexa verify`)")
        return data

    def get_json(self, digest: str) -> Any:
        return self._json(self.get_object(digest), f"object {digest}")

    def _read_manifest(self, seq: int) -> tuple[bytes, dict[str, Any]]:
        raw = self.backend.get_manifest(seq)
        manifest = self._json(raw, f"manifest {seq:08d}.json")
        if not isinstance(manifest, dict) or manifest.get("sequence") != seq:
            raise self._tampered(f"manifest {seq:08d}.json does not say it is run {seq} (run `annexa verify`)")
        if canonical_bytes(manifest) != raw:
            raise self._tampered(
                f"manifest {seq:08d}.json is not in canonical form: it was edited (run `annexa verify`)"
            )
        return raw, manifest

    def manifest_bytes(self, seq: int) -> bytes:
        """A run's manifest exactly as stored, once `manifest(seq)` vouches for it."""
        self.manifest(seq)
        raw = self.backend.get_manifest(seq)
        if sha256_hex(raw) != self._shas[seq]:
            raise self._tampered(f"manifest {seq:08d}.json changed while it was being read")
        return raw

    def manifest(self, seq: int) -> dict[str, Any]:
        """Run `seq`'s manifest, checked: canonical, its own sequence, the sha256 the index recorded,
        and its signature against the trust policy."""
        cached = self._manifests.get(seq)
        if cached is not None:
            self._manifests.move_to_end(seq)
            return cached
        raw, manifest = self._read_manifest(seq)
        sha = sha256_hex(raw)
        row = self._index.run(seq) if self._index is not None else None
        if row is not None and row["manifest_sha256"] != sha:
            raise self._tampered(
                f"manifest {seq:08d}.json hashes to {sha}, but the index recorded {row['manifest_sha256']}: "
                "the manifest or the index was changed (run `annexa verify`, then `annexa reindex`)"
            )
        if self._shas.get(seq, sha) != sha:
            raise self._tampered(f"manifest {seq:08d}.json changed while it was being read")
        self._shas[seq] = sha
        self._authenticate(seq, manifest)
        self._manifests[seq] = manifest
        if len(self._manifests) > _CACHED_MANIFESTS:
            self._manifests.popitem(last=False)
        return manifest

    def _authenticate(self, seq: int, manifest: Mapping[str, Any]) -> None:
        if seq in self._authentic:
            return
        signed = self.trust.check(manifest)
        if signed.refusal():
            raise self._tampered(f"run {seq}: {signed.refusal()} (run `annexa verify`)")
        if signed.unsigned and self.trust.require_signatures:
            self._vouch(seq)
        self._authentic.add(seq)

    def _vouch(self, seq: int) -> None:
        """An unsigned run is accepted only under a later signed run, through the hash chain (trust.py)."""
        sha = self._shas[seq]
        for later in self.backend.list_manifests(after=seq):
            raw, manifest = self._read_manifest(later)
            if (manifest.get("previous") or {}).get("sha256") != sha:
                raise self._tampered(f"run {later}: its link to run {later - 1} is broken (run `annexa verify`)")
            signed = self.trust.check(manifest)
            if signed.refusal():
                raise self._tampered(f"run {later}: {signed.refusal()} (run `annexa verify`)")
            if not signed.unsigned:
                self._authentic.update(range(seq, later))
                return
            sha = sha256_hex(raw)
        raise self._tampered(
            f"run {seq} is not signed, and no signed run after it vouches for it "
            f"(signatures are required: {self.trust.describe()}; run `annexa verify`)"
        )

    def _mappings_of(self, manifest: Mapping[str, Any]) -> dict[str, Any]:
        digest = manifest["mappings"]["object"]
        if digest not in self._mappings:
            self._mappings[digest] = self.get_json(digest)
        return self._mappings[digest]

    def _rules_of(self, manifest: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
        return {rule["id"]: rule for rule in self._mappings_of(manifest).get("rules", [])}

    # -- verified run state ----------------------------------------------------------

    def fact_state(self, seq: int) -> FactState:
        """Run `seq`'s facts as the index has them, once they match its manifest's commitment."""
        return self._state("facts", seq)

    def result_state(self, seq: int) -> ResultState:
        return self._state("results", seq)

    def _state(self, part: str, seq: int) -> dict[tuple[str, str], tuple[Any, ...]]:
        cached = self._states.get((part, seq))
        if cached is not None:
            self._states.move_to_end((part, seq))
            return cached
        manifest = self.manifest(seq)
        index = self.index()
        try:
            state = index.fact_state(seq) if part == "facts" else index.result_state(seq)
        except (sqlite3.DatabaseError, ValueError, TypeError) as err:
            raise self._tampered(f"the index cannot be read ({err}): run `annexa reindex`") from None
        claimed = manifest[part].get("state")
        if claimed is None or state_digest(state) != claimed:
            # Legacy runs (no commitment) are compared with a replay of their deltas; a mismatch is named.
            truth = self._replay(seq)[0 if part == "facts" else 1]
            if claimed is not None and state_digest(truth) != claimed:
                raise self._tampered(
                    f"run {seq}: its deltas do not give the {part} state its manifest commits to (run `annexa verify`)"
                )
            if state != truth:
                raise self._tampered(
                    f"index.sqlite: {part} of run {seq} differ from its manifest: {_first_difference(state, truth)}; "
                    "the index was edited (run `annexa verify`, then `annexa reindex`)"
                )
        self._states[(part, seq)] = state
        if len(self._states) > _CACHED_STATES:
            self._states.popitem(last=False)
        return state

    def _replay(self, seq: int) -> tuple[FactState, ResultState]:
        """The state of run `seq` from its verified deltas, 1 to seq (legacy runs and naming differences)."""
        facts: FactState = {}
        results: ResultState = {}
        for n in range(1, seq + 1):
            manifest = self.manifest(n)
            for part, live in (("facts", facts), ("results", results)):
                delta = self.get_json(manifest[part]["delta"])
                for key in delta.get("remove", []):
                    live.pop((key[0], key[1]), None)
                for entry in delta.get("add", []):
                    live[(entry[0], entry[1])] = _state_value(part, entry, n)
        return facts, results

    # -- reading -----------------------------------------------------------------

    def _run_info(self, seq: int) -> RunInfo:
        manifest = self.manifest(seq)
        return RunInfo(
            seq=seq,
            run_id=manifest["run_id"],
            status=manifest["status"],
            started_at=manifest["started_at"],
            finished_at=manifest["finished_at"],
            manifest_sha256=self._shas[seq],
            facts=manifest["facts"]["count"],
            results=manifest["results"]["count"],
            errors=len(manifest.get("errors", [])),
            type=manifest.get("type", "collection"),
        )

    def runs(self) -> list[RunInfo]:
        """Every run, each manifest checked and linked to the one before; checked once per Store and
        head (a report that asks per day, such as the timeline, must not re-read the whole chain each time)."""
        index = self.index()
        latest = index.latest_seq()
        if self._runs is not None and self._runs[0] == latest:
            return list(self._runs[1])
        rows = index.runs()
        if [row["seq"] for row in rows] != list(range(1, len(rows) + 1)):
            raise self._tampered("index.sqlite: runs are missing from the index (run `annexa reindex`)")
        out = []
        for row in rows:
            info = self._run_info(row["seq"])
            if info.run_id != row["run_id"] or info.type != row["type"]:
                raise self._tampered(
                    f"index.sqlite: run {info.seq} is recorded as {row['run_id']} ({row['type']}), "
                    f"its manifest says {info.run_id} ({info.type}); run `annexa reindex`"
                )
            link = (self.manifest(info.seq).get("previous") or {}).get("sha256")
            if info.seq > 1 and link != out[-1].manifest_sha256:
                raise self._tampered(f"run {info.seq}: its link to run {info.seq - 1} is broken (run `annexa verify`)")
            out.append(info)
        self._runs = (latest, tuple(out))
        return out

    def head(self) -> RunInfo | None:
        """The newest run of the chain (any type), checked; None for an empty store."""
        latest = self.index().latest_seq()
        return self._run_info(latest) if latest else None

    def resolve(self, ref: str | None = "latest") -> RunInfo:
        """A run by `latest`, `previous`, run id or sequence number; StoreError if absent.

        `latest` and `previous` name collection runs: attestation runs hold no results.
        """
        index = self.index()
        ref = ref or "latest"
        latest = index.latest_seq()
        if ref in ("latest", "previous"):
            collections = index.collection_seqs()
            if not collections:
                what = "collection runs" if latest else "runs"
                # The index could be hiding them: every run's type comes from its manifest.
                self._check_types(1, latest, ())
                raise StoreError(f"{self.url}: the store has no {what} yet (run `annexa collect` first)")
            if ref == "previous" and len(collections) < 2:
                self._check_types(1, latest, collections)
                raise StoreError(f"{self.url}: no run {ref!r} (see `annexa runs`)")
            self._check_types(collections[-1], latest, collections)
            return self._run_info(collections[0] if ref == "latest" else collections[1])
        if ref.isdigit():
            seq = int(ref)
            if not 1 <= seq <= latest:
                raise StoreError(f"{self.url}: no run {ref!r} (see `annexa runs`)")
            return self._run_info(seq)
        row = index.run_by_id(ref)
        if row is None:
            raise StoreError(f"{self.url}: no run {ref!r} (see `annexa runs`)")
        info = self._run_info(row["seq"])
        if info.run_id != ref:
            raise self._tampered(
                f"index.sqlite: run {ref!r} is recorded as run {row['seq']}, whose manifest names "
                f"{info.run_id}; run `annexa reindex`"
            )
        return info

    def previous_collection(self, run: RunInfo) -> RunInfo | None:
        """The collection run chained before `run` (attestation runs in between hold no results),
        found from the manifests, so an edited index cannot skip one."""
        for seq in range(run.seq - 1, 0, -1):
            if self.manifest(seq).get("type", "collection") == "collection":
                return self._run_info(seq)
        return None

    def _check_types(self, first: int, last: int, collections: Sequence[int]) -> None:
        """The index's types of runs first..last agree with their manifests (`latest` relies on them)."""
        for seq in range(first, last + 1):
            kind = self.manifest(seq).get("type", "collection")
            if (kind == "collection") != (seq in collections):
                recorded = "a collection" if seq in collections else "an attestation"
                raise self._tampered(
                    f"index.sqlite: run {seq} is recorded as {recorded} run, its manifest says {kind}; "
                    "run `annexa reindex`"
                )

    def results(self, run: RunInfo) -> list[Result]:
        """The run's results, joined with its rules (controls, severity), batches (scope, time)
        and the evidence class the run recorded for each fact kind."""
        manifest = self.manifest(run.seq)
        rules, batches = self._rules_of(manifest), manifest.get("batches", {})
        classes = self.evidence_classes(run)
        state = self.result_state(run.seq)
        join = _ResultJoin(rules, batches, classes)
        return [join(key, state[key]) for key in sorted(state)]

    def iter_results(
        self,
        run: RunInfo,
        statuses: Collection[str] | None = None,
        rank: Callable[[str, str], int] | None = None,
        by_resource: bool = False,
    ) -> Iterator[Result]:
        """The run's results as `results` gives them, one at a time, so a report over a million
        results holds one: by (rule, resource), by (resource, rule) with `by_resource`, or by
        `rank(rule, status)` first; only `statuses` when given. The index's rows are checked
        against the run's commitment in a first pass and read in a second, both in one read
        transaction (the same snapshot), so nothing is yielded from an index that does not match
        the signed manifest."""
        manifest = self.manifest(run.seq)
        join = _ResultJoin(self._rules_of(manifest), manifest.get("batches", {}), self.evidence_classes(run))
        index = self.index()
        with index.reading():
            claimed = manifest["results"].get("state")
            try:
                matches = claimed is not None and streamed_digest(index.result_rows(run.seq)) == claimed
            except (sqlite3.DatabaseError, ValueError, TypeError) as err:
                raise self._tampered(f"the index cannot be read ({err}): run `annexa reindex`") from None
            if not matches:  # a legacy run or a mismatch: the whole check in memory names the difference
                state = self.result_state(run.seq)
                keys = [key for key in state if statuses is None or state[key][0] in statuses]
                keys.sort(key=lambda key: (rank(key[0], state[key][0]) if rank else 0, _ordered(key, by_resource)))
                for key in keys:
                    yield join(key, state[key])
                return
            for key, value in index.result_rows(run.seq, statuses, rank, by_resource):
                yield join(key, value)

    def iter_results_with_facts(
        self, run: RunInfo, by_resource: bool = False
    ) -> Iterator[tuple[Result, tuple[str, str] | None]]:
        """The run's results as `iter_results` gives them, each with the (object hash, collected_at)
        of the fact it judged (`fact_refs`), None when the run has none: joined by the index, one
        result at a time, once both the results and the facts match the run's commitments."""
        manifest = self.manifest(run.seq)
        rules, batches = self._rules_of(manifest), manifest.get("batches", {})
        join = _ResultJoin(rules, batches, self.evidence_classes(run))

        def kind_of(rule: str) -> str:
            return str((rules.get(rule) or {}).get("fact", ""))

        def ref(fact: tuple[Any, ...] | None) -> tuple[str, str] | None:
            return None if fact is None else (fact[0], (batches.get(fact[1]) or {}).get("collected_at", ""))

        index = self.index()
        with index.reading():
            if self._rows_match(index, "results", run.seq) and self._rows_match(index, "facts", run.seq):
                for key, value, fact in index.result_fact_rows(run.seq, kind_of, by_resource):
                    yield join(key, value), ref(fact)
                return
            results, facts = self.result_state(run.seq), self.fact_state(run.seq)  # names the difference
            for key in sorted(results, key=lambda key: _ordered(key, by_resource)):
                yield join(key, results[key]), ref(facts.get((kind_of(key[0]), key[1])))

    def _rows_match(self, index: Index, part: str, seq: int) -> bool:
        """Whether the index's `part` rows of run `seq`, hashed one at a time, give the state its
        manifest commits to (False for a legacy run without a commitment, or a mismatch)."""
        claimed = self.manifest(seq)[part].get("state")
        try:
            rows = index.result_rows(seq) if part == "results" else index.fact_rows(seq)
            return claimed is not None and streamed_digest(rows) == claimed
        except (sqlite3.DatabaseError, ValueError, TypeError) as err:
            raise self._tampered(f"the index cannot be read ({err}): run `annexa reindex`") from None

    def distinct_results(self, run: RunInfo) -> list[Result]:
        """One result per distinct (rule, status, batch, controls) of the run, without resource or
        message: enough for a judgment that depends on nothing else (a control's status: which
        statuses, classes and collection times its evidence has, not how many resources), without
        one object per resource."""
        manifest = self.manifest(run.seq)
        join = _ResultJoin(self._rules_of(manifest), manifest.get("batches", {}), self.evidence_classes(run))
        # One pass over the index keeps the distinct rows and hashes every row; they are used only
        # if the hash is the run's commitment (else the whole check in memory names the difference).
        claimed = manifest["results"].get("state")
        hasher, distinct = StateHasher(), set()
        index = self.index()
        try:
            with index.reading():
                for (rule, resource), value in index.result_rows(run.seq):
                    hasher.add((rule, resource), value)
                    distinct.add((rule, value[0], value[2], None if value[3] is None else tuple(value[3])))
        except (sqlite3.DatabaseError, ValueError, TypeError) as err:
            raise self._tampered(f"the index cannot be read ({err}): run `annexa reindex`") from None
        if claimed is None or hasher.hexdigest() != claimed:
            distinct = {
                (rule, value[0], value[2], None if value[3] is None else tuple(value[3]))
                for (rule, _resource), value in self.result_state(run.seq).items()
            }
        return [
            join((rule, ""), (status, "", batch, controls, None))
            for rule, status, batch, controls in sorted(distinct, key=repr)
        ]

    def result_changes(self, before: RunInfo, after: RunInfo) -> list[tuple[Result | None, Result | None]]:
        """(result in `before`, result in `after`) per rule x resource that changed (None = absent)."""
        old, new = self.result_state(before.seq), self.result_state(after.seq)
        old_m, new_m = self.manifest(before.seq), self.manifest(after.seq)
        old_rules, new_rules = self._rules_of(old_m), self._rules_of(new_m)
        old_classes, new_classes = self.evidence_classes(before), self.evidence_classes(after)
        old_join = _ResultJoin(old_rules, old_m.get("batches", {}), old_classes)
        new_join = _ResultJoin(new_rules, new_m.get("batches", {}), new_classes)
        pairs = []
        for key in sorted(_changed(old, new, before.seq, after.seq, value_len=4)):
            pairs.append(
                (old_join(key, old[key]) if key in old else None, new_join(key, new[key]) if key in new else None)
            )
        return pairs

    def iter_result_changes(self, before: RunInfo, after: RunInfo) -> Iterator[tuple[Result | None, Result | None]]:
        """`result_changes` from one pass over both runs' rows in key order: only the changes are
        held (until both runs are checked against their commitments), not the two runs."""
        changes = self._row_changes("results", before.seq, after.seq)
        if changes is None:
            yield from self.result_changes(before, after)
            return
        old_m, new_m = self.manifest(before.seq), self.manifest(after.seq)
        old_join = _ResultJoin(self._rules_of(old_m), old_m.get("batches", {}), self.evidence_classes(before))
        new_join = _ResultJoin(self._rules_of(new_m), new_m.get("batches", {}), self.evidence_classes(after))
        for key, old, new in changes:
            yield (old_join(key, old) if old else None, new_join(key, new) if new else None)

    def iter_fact_changes(
        self, before: RunInfo, after: RunInfo
    ) -> Iterator[tuple[tuple[str, str], tuple[str | None, str | None]]]:
        """`fact_changes` as (key, (old hash, new hash)) pairs in key order, from one pass over both
        runs' rows (see iter_result_changes)."""
        changes = self._row_changes("facts", before.seq, after.seq)
        if changes is None:
            yield from self.fact_changes(before, after).items()
            return
        for key, old, new in changes:
            yield key, (old[0] if old else None, new[0] if new else None)

    def _row_changes(
        self, part: str, old_seq: int, new_seq: int
    ) -> list[tuple[tuple[str, str], tuple[Any, ...] | None, tuple[Any, ...] | None]] | None:
        """(key, old row, new row) per key that `_changed` would name, in key order, merged from the
        index's rows of both runs while hashing them; None unless both match their commitments
        (the caller then takes the in-memory way, which names the difference)."""
        index = self.index()
        value_len = 2 if part == "facts" else 4
        claimed = (self.manifest(old_seq)[part].get("state"), self.manifest(new_seq)[part].get("state"))
        if None in claimed:
            return None
        hashers, out = (StateHasher(), StateHasher()), []
        try:
            with index.reading():
                rows = [
                    index.fact_rows(seq) if part == "facts" else index.result_rows(seq) for seq in (old_seq, new_seq)
                ]
                old, new = next(rows[0], None), next(rows[1], None)
                while old is not None or new is not None:
                    if new is None or (old is not None and old[0] < new[0]):
                        hashers[0].add(*old)
                        out.append((old[0], old[1], None))
                        old = next(rows[0], None)
                    elif old is None or new[0] < old[0]:
                        hashers[1].add(*new)
                        out.append((new[0], None, new[1]))
                        new = next(rows[1], None)
                    else:
                        hashers[0].add(*old)
                        hashers[1].add(*new)
                        if new[1][:value_len] != old[1][:value_len] or old_seq < new[1][value_len] <= new_seq:
                            out.append((new[0], old[1], new[1]))
                        old, new = next(rows[0], None), next(rows[1], None)
        except (sqlite3.DatabaseError, ValueError, TypeError) as err:
            raise self._tampered(f"the index cannot be read ({err}): run `annexa reindex`") from None
        if (hashers[0].hexdigest(), hashers[1].hexdigest()) != claimed:
            return None
        return out

    def mappings(self, run: RunInfo) -> dict[str, Any]:
        """The run's mappings object: catalog, rules as used, and (newer runs) each fact kind's
        evidence class and freshness default (`kinds`)."""
        return self._mappings_of(self.manifest(run.seq))

    def evidence_classes(self, run: RunInfo) -> dict[str, str]:
        """Fact kind -> evidence class as the run recorded it; empty for runs stored before classes
        existed, whose results get the class derived from their kind (model.evidence_class_for_kind)."""
        kinds = self.mappings(run).get("kinds") or {}
        return {kind: entry["evidence_class"] for kind, entry in kinds.items() if entry.get("evidence_class")}

    def fact_changes(self, before: RunInfo, after: RunInfo) -> dict[tuple[str, str], tuple[str | None, str | None]]:
        """(kind, resource) -> (object hash in `before`, in `after`) per fact that changed (None = absent)."""
        old, new = self.fact_state(before.seq), self.fact_state(after.seq)
        return {
            key: (old[key][0] if key in old else None, new[key][0] if key in new else None)
            for key in sorted(_changed(old, new, before.seq, after.seq, value_len=2))
        }

    def attestations(self, before: RunInfo | None = None) -> list[dict[str, Any]]:
        """Attestation records (oldest first) from the runs chained before `before` (all when None):
        a run's SoA counts the statements recorded before it, never later ones."""
        return self.statements("attestation", "attestation.control", before.seq - 1 if before is not None else None)

    def statements(self, run_type: str, kind: str, up_to: int | None = None) -> list[dict[str, Any]]:
        """Recorded statements of `kind` (oldest first) from the `run_type` runs up to run `up_to`
        (all when None): each fact's data with its object hash (`fact`) and run (`sequence`)."""
        runs = self.runs()  # every run's type from its manifest: the index must not hide one
        last = up_to if up_to is not None else (runs[-1].seq if runs else 0)
        records = []
        for run in runs:
            if run.type != run_type or run.seq > last:
                continue
            state = self.fact_state(run.seq)
            for (fact_kind, _resource), (digest, _batch, since) in sorted(state.items()):
                if fact_kind == kind and since == run.seq:
                    body = self.get_json(digest)
                    records.append({**body["data"], "fact": digest, "sequence": run.seq})
        return records

    def rules(self, run: RunInfo) -> dict[str, dict[str, Any]]:
        """The rules as the run used them, by id (title, remediation, expect ...)."""
        return self._rules_of(self.manifest(run.seq))

    def fact_refs(self, run: RunInfo) -> dict[tuple[str, str], tuple[str, str]]:
        """(kind, resource) -> (object hash, collected_at) of the run's facts, without reading them."""
        batches = self.manifest(run.seq).get("batches", {})
        return {
            key: (digest, (batches.get(batch) or {}).get("collected_at", ""))
            for key, (digest, batch, _since) in sorted(self.fact_state(run.seq).items())
        }

    def facts(self, run: RunInfo) -> Iterator[StoredFact]:
        for digest, collected_at in self.fact_refs(run).values():
            body = self.get_json(digest)
            yield StoredFact(
                kind=body["kind"],
                resource=body["resource"],
                scope=body["scope"],
                data=body["data"],
                source=Source.from_dict(body["source"]),
                collected_at=collected_at,
                hash=digest,
            )

    def _period_deltas(self, first: int, last: int, part: str) -> Iterator[tuple[int, dict[str, Any]]]:
        for seq in range(first + 1, last + 1):
            yield seq, self._delta(seq, part)

    def _delta(self, seq: int, part: str) -> dict[str, Any]:
        """Run `seq`'s `part` delta (its object is checked against its name as it is read)."""
        return self.get_json(self.manifest(seq)[part]["delta"])

    def fact_hashes(self, first: int, last: int) -> set[str]:
        """Every fact object live in some run from `first` to `last`."""
        return set(self.iter_fact_hashes(first, last))

    def iter_fact_hashes(self, first: int, last: int) -> Iterator[str]:
        """fact_hashes one at a time, not collected (an object added twice in the period comes twice)."""
        yield from (value[0] for _key, value in self._state_items("facts", first))
        for _seq, delta in self._period_deltas(first, last, "facts"):
            yield from (entry[2] for entry in delta.get("add", []))

    def fact_history(
        self, first: int, last: int, keys: Collection[tuple[str, str]]
    ) -> dict[tuple[str, str], list[tuple[int, tuple[Any, ...] | None]]]:
        """For each (kind, resource) in `keys`: its (run, value) changes from run `first` to `last`
        (value (hash, batch, since), None when absent), oldest first. Replayed from the verified
        state of run `first` and the hash-checked deltas after it, and checked to end in the state
        run `last` commits to, so one pass serves any number of runs."""
        wanted = {(key[0], key[1]) for key in keys}
        # the two whole states are read a row at a time and only the wanted keys kept
        start = {key: value for key, value in self._state_items("facts", first) if key in wanted}
        history: dict[tuple[str, str], list[tuple[int, tuple[Any, ...] | None]]] = {
            key: [(first, start.get(key))] for key in wanted
        }
        for seq, delta in self._period_deltas(first, last, "facts"):
            if (delta.get("base") or 0) != seq - 1:
                raise self._tampered(f"run {seq}: its facts delta is against run {delta.get('base')}, not {seq - 1}")
            for key in delta.get("remove", []):
                if (key[0], key[1]) in wanted:
                    history[(key[0], key[1])].append((seq, None))
            for entry in delta.get("add", []):
                if (entry[0], entry[1]) in wanted:
                    history[(entry[0], entry[1])].append((seq, _state_value("facts", entry, seq)))
        end = {key: value for key, value in self._state_items("facts", last) if key in wanted}
        for key, changes in history.items():
            value = changes[-1][1]
            if (value[:2] if value else None) != (end[key][:2] if key in end else None):
                raise self._tampered(
                    f"runs {first} to {last}: the fact deltas do not give the facts run {last} commits to"
                )
        return history

    def result_spans(self, first: int, last: int) -> list[dict[str, Any]]:
        """Result intervals overlapping runs first..last, by rule, resource and time: `first_seq`,
        `last_seq` (at most `last`), status and message, the rule as of the span's last run in the
        period (kind, controls, severity, title, remediation), its batch key (`batch`) and that batch's scope.

        Replayed from the verified state of run `first` and the deltas after it, and checked to end
        in the state run `last` commits to.

        Statement runs (attestations, imports of statements, corrective actions) hold no results:
        they are transparent here. A result live before one and unchanged in the next collection
        run is one span through it, never closed and reopened (a register that did so would show
        every non-conformity as gone on the night someone attested). A span closed by a change in
        collection run N ends at N - 1, like the index's intervals."""
        return sorted(self._span_rows(first, last), key=lambda s: (s["rule"], s["resource"], s["first_seq"]))

    @contextlib.contextmanager
    def result_span_table(self, first: int, last: int) -> Iterator[ResultSpans]:
        """The rows of `result_spans(first, last)` in a temporary SQLite file (spans.py), for a
        period whose spans should not be held in memory; checked as result_spans checks them before
        the table is handed out, deleted when the `with` block ends."""
        table = ResultSpans()
        try:
            table.add(self._span_rows(first, last))
            yield table
        finally:
            table.close()

    def _span_rows(self, first: int, last: int) -> Iterator[dict[str, Any]]:
        """result_spans's rows, unordered, each yielded once its span is closed (after the delta
        that closed it); the check against the state run `last` commits to comes before the spans
        still open at the end, and a consumer must not use any row before it has them all. The open
        spans, one per result of a run, are kept in a scratch table (spans.LiveSpans)."""
        kinds = {run.seq: run.type for run in self.runs()}
        live = LiveSpans(
            ((key, LiveSpans.result(value), value[4]) for key, value in self._state_items("results", first))
            if kinds.get(first) == "collection"
            else ()
        )
        row = _SpanRow(self, kinds)
        after_statement = kinds.get(first) != "collection"
        reached = first if kinds.get(first) == "collection" else None  # live holds this run's verified state
        for seq in range(first + 1, last + 1):
            self.manifest(seq)  # a run missing from the chain is named, as for any run read
            if kinds.get(seq) != "collection":  # holds no results: its delta removes them all, and is not read
                after_statement = True
                continue
            closed: list[Span] = []  # as many as the run's changes
            if after_statement:
                # The delta is against an empty statement run: it adds the whole state, which is read
                # instead from the index a row at a time, checked against the run's commitment.
                after_statement = False
                live.replace(_advanced(live, self._state_items("results", seq), seq, closed))
                reached = seq
            else:
                delta = self._delta(seq, "results")
                if (delta.get("base") or 0) != seq - 1:
                    raise self._tampered(
                        f"run {seq}: its results delta is against run {delta.get('base')}, not {seq - 1}"
                    )
                for key in delta.get("remove", []):
                    gone = live.pop((key[0], key[1]))
                    if gone is not None:
                        closed.append(gone)
                for entry in delta.get("add", []):
                    replaced = live.put(
                        (entry[0], entry[1]), LiveSpans.result(_state_value("results", entry, seq)), seq
                    )
                    if replaced is not None:
                        closed.append(replaced)
                reached = None
            yield from (row(key, LiveSpans.value(result), since, seq - 1) for key, result, since in closed)
        judged = next((n for n in range(last, first - 1, -1) if kinds.get(n) == "collection"), None)
        # Unless live was just read from the judged run's own checked state, compare it with that state.
        if judged is not None and judged != reached and not self._same_results(live, judged):
            raise self._tampered(f"runs {first} to {last}: the deltas do not give the results run {judged} commits to")
        yield from (row(key, LiveSpans.value(result), since, last) for key, result, since in live)

    def _state_items(self, part: str, seq: int) -> Iterator[tuple[tuple[str, str], tuple[Any, ...]]]:
        """Run `seq`'s `part` ("facts" or "results") state one entry at a time, by key: the index's
        rows once they hash to the run's commitment, so a long report replaying from it neither
        copies nor caches the whole state; a legacy run or a mismatch goes through the whole state,
        whose check names the difference."""
        index = self.index()
        with index.reading():
            if self._rows_match(index, part, seq):
                yield from index.result_rows(seq) if part == "results" else index.fact_rows(seq)
                return
        state = self._state(part, seq)
        for key in sorted(state):
            yield key, state[key]

    def _same_results(self, live: LiveSpans, seq: int) -> bool:
        """Whether the replayed open spans hold run `seq`'s results (status, message, batch,
        controls), compared entry by entry, both in key order."""
        mine = iter(live)
        for key, value in self._state_items("results", seq):
            span = next(mine, None)
            if span is None or span[0] != (key[0], key[1]) or span[1] != LiveSpans.result(value):
                return False
        return next(mine, None) is None

    # -- writing -----------------------------------------------------------------

    def put_json(self, value: Any) -> str:
        data = canonical_bytes(value)
        digest = sha256_hex(data)
        self.backend.put_object(digest, data)
        return digest

    def begin_run(self, run_id: str, started_at: str, meta: Mapping[str, Any], use_index: bool = True) -> RunWriter:
        """Start writing a run. `meta` goes into the manifest as is (tool, operator, config, mappings).

        With `use_index`, facts the latest run already stored are not written again
        (on S3 that saves a request per unchanged fact). A shard passes False: it
        must not need the index, which may have to be rebuilt from the bucket.
        """
        if self.signer is None and self.trust.require_signatures:
            raise UsageError(
                f"{self.url}: this store requires signed runs ({self.trust.describe()}), but no signing key is "
                "configured (`signing: {private_key: F}` in annexa.yaml); nothing was written"
            )
        known: frozenset[str] = frozenset()
        if use_index:
            latest = self.index().latest_seq()
            known = frozenset(value[0] for value in self.fact_state(latest).values()) if latest else frozenset()
        return RunWriter(self, run_id, started_at, meta, _known=known)

    def _remember(self, seq: int, raw: bytes, manifest: dict[str, Any]) -> None:
        """A run this store just wrote: its manifest needs no second check. Its states are read
        back from the index when asked for (holding them would double the commit's memory)."""
        self._shas[seq] = sha256_hex(raw)
        self._authentic.add(seq)
        self._manifests[seq] = manifest

    def _remember_states(self, seq: int, facts: FactState, results: ResultState) -> None:
        """The states of a run this store just wrote but could not index: read from here instead."""
        self._states[("facts", seq)] = facts
        self._states[("results", seq)] = results
        while len(self._states) > _CACHED_STATES:
            self._states.popitem(last=False)

    def _timestamp(self, seq: int, manifest_sha256: str, nonce: int, started_at: str) -> None:
        """Get and store the TSA's token for the manifest just published. The run is already in the
        chain: a failure is recorded beside it (verify warns) and in `timestamp_errors`, never raised."""
        assert self.timestamper is not None
        started = datetime.strptime(started_at, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
        record = self.timestamper.stamp(seq, manifest_sha256, nonce, started)
        try:
            self.backend.publish_timestamp(seq, canonical_bytes(record))
        except (StoreError, SlotTaken) as err:
            record.setdefault("error", f"the timestamp record could not be stored: {err}")
        if "error" in record:
            self.timestamp_errors[seq] = record["error"]

    def timestamp_record(self, seq: int) -> bytes | None:
        """The stored timestamp record of run `seq` (for the pack; verify checks it)."""
        return self.backend.get_timestamp(seq)

    # -- shards of a sharded run -------------------------------------------------

    def publish_shard(self, run_id: str, name: str, body: Mapping[str, Any]) -> None:
        """Publish shard manifest `name` (`K-of-N`) once, signed when a key is configured (signed as
        a run manifest is: its canonical bytes without `signature`); StoreError if it already arrived."""
        body = {k: v for k, v in body.items() if k != "signature"}
        if self.signer is not None:
            body["signature"] = self.signer(canonical_bytes(body))
        try:
            self.backend.publish_shard(run_id, name, canonical_bytes(body))
        except SlotTaken:
            raise StoreError(f"{self.url}: shard {name} of run {run_id} was already written") from None

    def shard_names(self, run_id: str) -> list[str]:
        return self.backend.list_shards(run_id)

    def shard(self, run_id: str, name: str) -> dict[str, Any]:
        body = self._json(self.backend.get_shard(run_id, name), f"shard {name} of run {run_id}")
        if not isinstance(body, dict) or body.get("format") != SHARD_FORMAT:
            raise StoreError(f"{self.url}: shard {name} of run {run_id} is not an {SHARD_FORMAT} manifest")
        return body


def _remove_sqlite(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        if os.path.lexists(f"{path}{suffix}"):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(f"{path}{suffix}")


def _ordered(key: tuple[str, str], by_resource: bool) -> tuple[str, str]:
    """A (rule, resource) key's place: by rule, or by resource first."""
    return (key[1], key[0]) if by_resource else key


def _advanced(
    live: Iterable[Span], state: Iterable[tuple[tuple[str, str], Sequence[Any]]], seq: int, closed: list[Span]
) -> Iterator[Span]:
    """The open spans once collection run `seq`'s whole `state` is reached: an unchanged result's
    span goes on; a changed or vanished one is appended to `closed`, a new or changed result opens a
    span at `seq`. Both inputs in key order, merged as they are read."""
    old = iter(live)
    span = next(old, None)
    for given, value in state:
        key, result = (given[0], given[1]), LiveSpans.result(value)
        while span is not None and span[0] < key:
            closed.append(span)
            span = next(old, None)
        if span is not None and span[0] == key:
            if span[1] == result:
                yield span
            else:
                closed.append(span)
                yield key, result, seq
            span = next(old, None)
        else:
            yield key, result, seq
    while span is not None:
        closed.append(span)
        span = next(old, None)


def _state_value(part: str, entry: Sequence[Any], seq: int) -> tuple[Any, ...]:
    """A delta `add` entry's value in a state (state.py), added in run `seq`."""
    if part == "facts":
        return (entry[2], entry[3], seq)
    return (entry[2], entry[3], entry[4], entry[5] if len(entry) > 5 else None, seq)


def _changed(
    old: Mapping[tuple[str, str], tuple[Any, ...]],
    new: Mapping[tuple[str, str], tuple[Any, ...]],
    old_seq: int,
    new_seq: int,
    value_len: int,
) -> set[tuple[str, str]]:
    """Keys present in one run only, or whose entry was (re)added between the two runs."""
    out = set(old.keys() ^ new.keys())
    for key in old.keys() & new.keys():
        if new[key][:value_len] != old[key][:value_len] or old_seq < new[key][value_len] <= new_seq:
            out.add(key)
    return out


def _first_difference(
    index_state: Mapping[tuple[str, str], tuple[Any, ...]], truth: Mapping[tuple[str, str], tuple[Any, ...]]
) -> str:
    """The first row where the index and the signed evidence disagree, for the error message."""
    for key in sorted(index_state.keys() | truth.keys()):
        got, want = index_state.get(key), truth.get(key)
        if got != want:
            name = " ".join(key)
            if got is None:
                return f"{name} is missing from the index"
            if want is None:
                return f"{name} is in the index but not in the evidence"
            return f"{name} is {_show(got)} in the index, {_show(want)} in the evidence"
    return "the rows differ"


def _show(value: tuple[Any, ...]) -> str:
    return str(value[0]) if len(value) == 5 else f"{value[0][:16]}… (batch {value[1]})"


class _SpanRow:
    """One result span as a dict: the rule as the span's last collection run used it, the scope of
    its batch in its first run. Rules and batches are read once per run (spans far outnumber runs),
    and the JSON text of a controls list or a scope is made once and shared by every span that has it:
    spans grow with the period's changes, their controls and scopes with its rules and batches."""

    def __init__(self, store: Store, kinds: Mapping[int, str]) -> None:
        self.store = store
        self.kinds = kinds
        self.rules_at: dict[int, dict[str, dict[str, Any]]] = {}
        self.batches_at: dict[int, dict[str, Any]] = {}
        self.texts: dict[Any, str] = {}

    def __call__(self, key: tuple[str, str], value: tuple[Any, ...], start: int, end: int) -> dict[str, Any]:
        # the rule as the last collection run of the span used it (a statement run holds no rules)
        ruled = end
        while self.kinds.get(ruled, "collection") != "collection" and ruled > start:
            ruled -= 1
        if ruled not in self.rules_at:
            self.rules_at[ruled] = self.store._rules_of(self.store.manifest(ruled))
        if start not in self.batches_at:
            self.batches_at[start] = self.store.manifest(start).get("batches", {})
        rule = self.rules_at[ruled].get(key[0]) or {}
        batch = self.batches_at[start].get(value[2]) if value[2] else None
        controls = value[3] if value[3] is not None else rule.get("controls", [])
        texts = self.texts
        controls_key = ("controls", tuple(controls))
        if controls_key not in texts:
            texts[controls_key] = json.dumps(controls)
        scope_at = ("scope", start, value[2])
        if batch and scope_at not in texts:
            texts[scope_at] = json.dumps(batch["scope"], sort_keys=True)
        return {
            "rule": key[0],
            "resource": key[1],
            "status": value[0],
            "message": value[1],
            "first_seq": start,
            "last_seq": end,
            "kind": rule.get("fact"),
            "controls": texts[controls_key],
            "severity": rule.get("severity"),
            "title": rule.get("title"),
            "remediation": rule.get("remediation"),
            "scope": texts[scope_at] if batch else None,
            "batch": value[2],
        }


class _ResultJoin:
    """Joins result-state rows with their run's rules (controls, severity), batches (scope, time)
    and evidence classes. A run has thousands of results but few rules and batches: each is looked
    up once, not once per result."""

    def __init__(
        self,
        rules: Mapping[str, Mapping[str, Any]],
        batches: Mapping[str, Mapping[str, Any]],
        classes: Mapping[str, str],
    ) -> None:
        self._rules, self._batches, self._classes = rules, batches, classes
        self._by_rule: dict[str, tuple[tuple[str, ...], str, str, str]] = {}
        self._by_batch: dict[Any, tuple[Mapping[str, Any], str]] = {}

    def __call__(self, key: tuple[str, str], value: tuple[Any, ...]) -> Result:
        status, message, batch_key, controls, _since = value
        joined = self._by_rule.get(key[0])
        if joined is None:
            rule = self._rules.get(key[0]) or {}
            kind = rule.get("fact", "")
            evidence_class = self._classes.get(kind) or evidence_class_for_kind(kind)
            joined = self._by_rule[key[0]] = (
                tuple(rule.get("controls", [])),
                kind,
                rule.get("severity", ""),
                evidence_class,
            )
        batch = self._by_batch.get(batch_key)
        if batch is None:
            found = (self._batches.get(batch_key) or {}) if batch_key else {}
            batch = self._by_batch[batch_key] = (found.get("scope", {}), found.get("collected_at", ""))
        return Result(
            rule=key[0],
            controls=joined[0] if controls is None else tuple(controls),
            kind=joined[1],
            resource=key[1],
            scope=dict(batch[0]),  # each result its own copy, as before
            status=status,
            severity=joined[2],
            message=message,
            collected_at=batch[1],
            evidence_class=joined[3],
        )


@dataclass
class _Batch:
    collector: str
    scope: Mapping[str, str]
    collected_at: str
    finished_at: str
    facts: int = 0
    errors: int = 0

    def to_dict(self) -> dict[str, Any]:
        """The stored record; the collector is in its key, the status follows from the counts
        (every byte here is repeated each night, see bench/history.py)."""
        return {
            "scope": dict(self.scope),
            "collected_at": self.collected_at,
            "finished_at": self.finished_at,
            "facts": self.facts,
            "errors": self.errors,
        }


@dataclass
class RunWriter:
    """Collects one run's facts as they stream in, then commits the bundle.

    Facts are redacted and hashed as they arrive and their objects written on the store's
    writer threads (object_writer.py), so the caller never waits on the disk; only their keys
    stay in memory. Thread-safe, so collectors may run in parallel. `commit` and `snapshot`
    wait for every object to be stored first.
    """

    store: Store
    run_id: str
    started_at: str
    meta: Mapping[str, Any]
    _facts: dict[tuple[str, str], tuple[str, str]] = field(default_factory=dict)
    _batches: dict[str, _Batch] = field(default_factory=dict)
    _keys: dict[str, str] = field(default_factory=dict)  # each batch key, once
    _errors: list[tuple[CollectionError, str]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _known: frozenset[str] = frozenset()  # object hashes already in the store
    _objects: ObjectWriter | None = None  # background object writes (begin_run sets one)

    def __post_init__(self) -> None:
        if self._objects is None:
            self._objects = ObjectWriter(self.store.backend, getattr(self.store.backend, "write_threads", 1))

    def flush(self) -> None:
        """Wait until every fact object handed over so far is stored; raise the first write error."""
        assert self._objects is not None
        self._objects.flush()

    def _batch(self, collector: str, scope: Mapping[str, str], at: str) -> tuple[str, _Batch]:
        key = batch_key(collector, scope)
        key = self._keys.setdefault(key, key)  # one string per batch, which every fact's entry refers to
        batch = self._batches.get(key)
        if batch is None:
            batch = self._batches[key] = _Batch(collector, dict(scope), at, at)
        batch.collected_at = min(batch.collected_at, at)
        batch.finished_at = max(batch.finished_at, at)
        return key, batch

    def add_fact(self, fact: Fact, collector: str) -> Fact:
        """Store one fact; returns it as stored (redacted), which is what rules must judge."""
        stored = replace(
            fact,
            resource=redact(fact.resource),
            scope=redact(dict(fact.scope)),
            data=redact(fact.data),
            source=Source.from_dict(redact(fact.source.to_dict())),
        )
        body = {
            "kind": stored.kind,
            "resource": stored.resource,
            "scope": dict(stored.scope),
            "data": stored.data,
            "source": stored.source.to_dict(),
        }
        data = canonical_bytes(body)
        digest = sha256_hex(data)
        if digest not in self._known:
            assert self._objects is not None
            self._objects.put(digest, data)
        with self._lock:
            key, batch = self._batch(collector, stored.scope, fact.collected_at)
            batch.facts += 1
            self._facts[(stored.kind, stored.resource)] = (digest, key)
        return stored

    def add_error(self, error: CollectionError, collector: str) -> None:
        with self._lock:
            key, batch = self._batch(collector, error.scope, error.collected_at)
            batch.errors += 1
            self._errors.append((error, key))

    @property
    def fact_count(self) -> int:
        return len(self._facts)

    def fact_digests(self, kinds: Sequence[str]) -> list[tuple[str, str, str]]:
        """(kind, resource, object hash) of the stored facts of `kinds`, sorted; their objects are written."""
        self.flush()
        with self._lock:
            return sorted(
                (kind, resource, digest) for (kind, resource), (digest, _b) in self._facts.items() if kind in kinds
            )

    def snapshot(self) -> dict[str, Any]:
        """What was written so far (fact keys and hashes, batches, errors), for a shard manifest."""
        self.flush()  # a shard manifest names only stored objects
        with self._lock:
            return {
                "facts": sorted(
                    [kind, resource, digest, batch] for (kind, resource), (digest, batch) in self._facts.items()
                ),
                "batches": {key: b.to_dict() for key, b in sorted(self._batches.items())},
                "errors": [{**error.to_dict(), "batch": batch} for error, batch in self._sorted_errors()],
            }

    def absorb(self, snapshot: Mapping[str, Any]) -> None:
        """Merge a shard's `snapshot()`: its facts are already stored, only their keys are taken."""
        with self._lock:
            for key, raw in snapshot["batches"].items():
                batch = self._batches.get(key)
                if batch is None:
                    self._batches[key] = _Batch(
                        batch_collector(key),
                        dict(raw["scope"]),
                        raw["collected_at"],
                        raw["finished_at"],
                        raw["facts"],
                        raw["errors"],
                    )
                    continue
                batch.collected_at = min(batch.collected_at, raw["collected_at"])
                batch.finished_at = max(batch.finished_at, raw["finished_at"])
                batch.facts += raw["facts"]
                batch.errors += raw["errors"]
            for kind, resource, digest, batch_key in snapshot["facts"]:
                self._facts[(kind, resource)] = (digest, batch_key)
            for raw in snapshot["errors"]:
                self._errors.append((CollectionError.from_dict(raw), raw["batch"]))

    def _sorted_errors(self) -> list[tuple[CollectionError, str]]:
        """The errors in an order of their own content, not of arrival: units run in parallel, and
        the same run must be stored the same way whichever finished first."""

        def order(entry: tuple[CollectionError, str]) -> tuple[str, str, str]:
            error, batch = entry
            body = error.to_dict()
            at = str(body.pop("collected_at", ""))
            return batch, json.dumps(body, sort_keys=True, default=str), at

        return sorted(self._errors, key=order)  # the caller holds the lock

    def _previous(self, seq: int) -> dict[str, Any] | None:
        if not seq:
            return None
        manifest = self.store.manifest(seq)
        return {"sequence": seq, "run_id": manifest["run_id"], "sha256": self.store._manifest_sha(seq)}

    def _result_batch(self, result: Result, error_batches: Mapping[tuple[str, str], str]) -> str | None:
        found = self._facts.get((result.kind, result.resource))
        if found is not None:
            return found[1]
        return error_batches.get((result.kind, result.resource))

    def commit(
        self, results: Sequence[Result], finished_at: str, extra: Mapping[str, Any], carry: CarryPolicy | None = None
    ) -> RunInfo:
        """Write deltas and the manifest; publish into the next chain slot. Returns the run.

        `carry` decides which batches of the previous run that this run did not produce
        are carried forward (see carry.py); None carries nothing.
        """
        self.flush()  # the manifest names only stored objects
        with self._lock:
            errors = self._sorted_errors()
        error_batches = {}
        for error, batch in errors:
            for kind in error.kinds:
                error_batches[(kind, error.resource or scope_key(error.scope))] = batch
        declared = {
            rule["id"]: tuple(rule["controls"])
            for rule in self.store.get_json(self.meta["mappings"]["object"]).get("rules", [])
        }
        rule_ids = set(declared)
        ordered = _in_key_order(results)
        fact_keys = sorted(self._facts)

        def own_facts() -> Iterator[tuple[tuple[str, str], tuple[Any, ...]]]:
            return ((key, self._facts[key]) for key in fact_keys)

        def own_results() -> Iterator[tuple[tuple[str, str], tuple[Any, ...]]]:
            # A result's own controls are stored only where they differ from its rule's (`controls_from`);
            # null means "the rule's", which keeps nightly deltas small.
            for r in ordered:
                controls = None if tuple(r.controls) == declared.get(r.rule) else list(r.controls)
                yield (r.rule, r.resource), (r.status, r.message, self._result_batch(r, error_batches), controls)

        for _attempt in range(_PUBLISH_ATTEMPTS):
            index = self.store.index(refresh=True)
            taken = index.run_by_id(self.run_id)
            if taken is not None:
                raise ConcurrentRunError(f"{self.store.url}: run id {self.run_id} is already run #{taken['seq']}")
            previous_seq = index.latest_seq()
            seq = previous_seq + 1
            # The state this run's deltas are taken against, checked against the previous run's commitment:
            # an edited index must not slip into a signed run.
            before_facts = self.store.fact_state(previous_seq) if previous_seq else {}
            before_results = self.store.result_state(previous_seq) if previous_seq else {}
            carried = carry_forward(
                previous_seq,
                self.store.manifest(previous_seq).get("batches", {}) if previous_seq else {},
                self._batches,
                carry or (lambda _collector, _scope: False),
                before_facts,
                before_results,
                rule_ids,
            )
            facts = Part(before_facts, merged(own_facts, carried.facts, 2), seq, 2)
            run_results = Part(before_results, merged(own_results, carried.results, 4), seq, 4, tally=True)
            backend = self.store.backend
            try:
                settled_facts = facts.settle(previous_seq, DELTA_FORMAT, backend.scratch, backend.put_object)
                settled_results = run_results.settle(previous_seq, DELTA_FORMAT, backend.scratch, backend.put_object)
            except OSError as err:  # writing the scratch file (a full disk): nothing is published
                raise StoreError(
                    f"{self.store.url}: cannot write the deltas of run {self.run_id}: {err.strerror or err}"
                ) from None
            manifest: dict[str, Any] = {
                "format": MANIFEST_FORMAT,
                "run_id": self.run_id,
                "sequence": seq,
                "status": "partial" if self._errors or carried.batches else "complete",
                "started_at": self.started_at,
                "finished_at": finished_at,
                **self.meta,
                **extra,
                "batches": dict(
                    sorted({**carried.batches, **{k: b.to_dict() for k, b in self._batches.items()}}.items())
                ),
                "errors": [error.to_dict() for error, _ in errors],
                "facts": {
                    "count": settled_facts.count,
                    "delta": settled_facts.delta,
                    "state": settled_facts.state,
                },
                "results": {
                    "count": settled_results.count,
                    "summary": settled_results.tally,
                    "delta": settled_results.delta,
                    "state": settled_results.state,
                },
                "previous": self._previous(previous_seq),
            }
            nonce = None
            if self.store.timestamper is not None:
                # Signed into the manifest, so verify knows a token is due and that it answers this request.
                nonce = self.store.timestamper.nonce()
                manifest["timestamp"] = {"tsa": self.store.timestamper.url, "nonce": str(nonce)}
            if self.store.signer is not None:
                manifest["signature"] = self.store.signer(canonical_bytes(manifest))
            raw = canonical_bytes(manifest)
            try:
                self.store.backend.publish_manifest(seq, raw)
            except SlotTaken:
                continue  # another run landed first: chain onto it and try the next slot
            self.store._remember(seq, raw, manifest)
            if nonce is not None:
                self.store._timestamp(seq, sha256_hex(raw), nonce, self.started_at)
            try:
                index.apply(
                    manifest,
                    sha256_hex(raw),
                    {"add": facts, "remove": settled_facts.remove, "replaced": settled_facts.replaced},
                    {"add": run_results, "remove": settled_results.remove, "replaced": settled_results.replaced},
                )
            except sqlite3.OperationalError:
                # The run is published; the index is only a cache (a full disk, say): the next
                # command's sync indexes the run, and this one reads it from what it just wrote.
                self.store._remember_states(seq, facts.state(), run_results.state())
            return self.store._run_info(seq)
        raise ConcurrentRunError(
            f"{self.store.url}: could not publish run {self.run_id}: other runs kept taking the next place in the chain"
        )


def _in_key_order(results: Sequence[Result]) -> Sequence[Result]:
    """`results` by (rule, resource); a repeated key keeps its input order (the last one wins)."""
    if all((a.rule, a.resource) < (b.rule, b.resource) for a, b in pairwise(results)):
        return results  # as the evaluator gives them: no copy
    return sorted(results, key=lambda r: (r.rule, r.resource))
