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

import json
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from annexa.errors import ConcurrentRunError, StoreError
from annexa.evidence_store.backend import Backend, Retention, SlotTaken
from annexa.evidence_store.batches import batch_collector, batch_key
from annexa.evidence_store.canonical import canonical_bytes, sha256_hex
from annexa.evidence_store.carry import CarryPolicy, carry_forward
from annexa.evidence_store.index import Index
from annexa.evidence_store.local import LocalBackend
from annexa.evidence_store.redact import redact
from annexa.model import CollectionError, Fact, Result, Source, evidence_class_for_kind, scope_key

__all__ = [
    "MANIFEST_FORMAT",
    "DELTA_FORMAT",
    "SHARD_FORMAT",
    "RunInfo",
    "RunWriter",
    "Store",
    "StoredFact",
    "open_store",
]

MANIFEST_FORMAT = "annexa.run/1"
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
    type: str = "collection"  # or `attestation`: a run that records one attestation (`annexa attest`)

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


def open_store(url: str, signer: Signer | None = None, retention: Retention | None = None) -> Store:
    """Open the store at a path, `file://` URL or (with the S3 backend) `s3://` URL.

    `retention` (S3 Object Lock) applies to every object written; only S3 has it.
    """
    if url.startswith("s3://"):
        from annexa.evidence_store.s3 import S3Backend  # imported lazily: only S3 users pay for it

        return Store(S3Backend.from_url(url, retention), signer)
    if retention is not None:
        raise StoreError(f"{url}: Object Lock retention needs an s3:// store")
    if url.startswith("file://"):
        url = url[len("file://") :]
    if "://" in url:
        raise StoreError(f"unsupported store URL {url!r} (use a path, file://PATH or s3://BUCKET/PREFIX)")
    return Store(LocalBackend(Path(url)), signer)


class Store:
    def __init__(self, backend: Backend, signer: Signer | None = None) -> None:
        self.backend = backend
        self.signer = signer
        self._index: Index | None = None
        self._synced = False
        self._mappings: dict[str, dict[str, Any]] = {}  # mappings objects by hash (a few, shared by many runs)

    @property
    def url(self) -> str:
        return self.backend.url

    # -- index -------------------------------------------------------------------

    def index(self, refresh: bool = False) -> Index:
        """The index, brought up to date with the store's manifests on first use (or when `refresh`).

        One sync per Store: a command sees one consistent set of runs, and on S3 pays one
        listing rather than one per lookup. A writer refreshes before choosing its chain slot.
        """
        if self._index is None:
            try:
                self._index = Index(self.backend.index_path())
            except Exception as err:  # sqlite3 raises several unrelated types
                raise StoreError(f"cannot open the index {self.backend.index_path()}: {err}") from None
        if refresh or not self._synced:
            self._sync(self._index)
            self._synced = True
        return self._index

    def reindex(self) -> int:
        """Drop and rebuild the index from the bundles; returns the number of runs indexed."""
        index = self._index or Index(self.backend.index_path())
        self._index = index
        index.clear()
        self._sync(index)
        return index.latest_seq()

    def _sync(self, index: Index) -> None:
        have = index.latest_seq()
        # List only from the newest indexed run on, so the cost of a sync grows with new runs, not history.
        seqs = self.backend.list_manifests(after=have - 1 if have else 0)
        if have:
            row = index.run(have)
            if have not in seqs or row is None or row["manifest_sha256"] != sha256_hex(self.backend.get_manifest(have)):
                index.clear()
                have = 0
                seqs = self.backend.list_manifests()
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
        raw = self.backend.get_manifest(seq)
        manifest = self._json(raw, f"manifest {seq:08d}.json")
        index.apply(
            manifest,
            sha256_hex(raw),
            self.get_json(manifest["facts"]["delta"]),
            self.get_json(manifest["results"]["delta"]),
            self.get_json(manifest["mappings"]["object"]),
        )

    # -- reading -----------------------------------------------------------------

    def _json(self, raw: bytes, what: str) -> Any:
        try:
            return json.loads(raw)
        except ValueError:
            raise StoreError(f"{self.url}: {what} is not valid JSON (run `annexa verify`)") from None

    def get_json(self, digest: str) -> Any:
        return self._json(self.backend.get_object(digest), f"object {digest}")

    def manifest(self, seq: int) -> dict[str, Any]:
        return self._json(self.backend.get_manifest(seq), f"manifest {seq:08d}.json")  # type: ignore[no-any-return]

    def runs(self) -> list[RunInfo]:
        return [_run_info(row) for row in self.index().runs()]

    def resolve(self, ref: str | None = "latest") -> RunInfo:
        """A run by `latest`, `previous`, run id or sequence number; StoreError if absent.

        `latest` and `previous` name collection runs: attestation runs hold no results.
        """
        index = self.index()
        ref = ref or "latest"
        collections = index.collection_seqs()
        if not collections and ref in ("latest", "previous"):
            what = "collection runs" if index.latest_seq() else "runs"
            raise StoreError(f"{self.url}: the store has no {what} yet (run `annexa collect` first)")
        if ref == "latest":
            row = index.run(collections[0])
        elif ref == "previous":
            row = index.run(collections[1]) if len(collections) > 1 else None
        elif ref.isdigit():
            row = index.run(int(ref))
        else:
            row = index.run_by_id(ref)
        if row is None:
            raise StoreError(f"{self.url}: no run {ref!r} (see `annexa runs`)")
        return _run_info(row)

    def results(self, run: RunInfo) -> list[Result]:
        classes = self.evidence_classes(run)
        return [_result(row, classes) for row in self.index().results(run.seq)]

    def result_changes(self, before: RunInfo, after: RunInfo) -> list[tuple[Result | None, Result | None]]:
        """(result in `before`, result in `after`) per rule x resource that differs (None = absent)."""
        old_classes, new_classes = self.evidence_classes(before), self.evidence_classes(after)
        return [
            (
                _result(old, old_classes) if old is not None else None,
                _result(new, new_classes) if new is not None else None,
            )
            for old, new in self.index().result_changes(before.seq, after.seq)
        ]

    def mappings(self, run: RunInfo) -> dict[str, Any]:
        """The run's mappings object: catalog, rules as used, and (newer runs) each fact kind's
        evidence class and freshness default (`kinds`)."""
        digest = self.manifest(run.seq)["mappings"]["object"]
        if digest not in self._mappings:
            self._mappings[digest] = self.get_json(digest)
        return self._mappings[digest]

    def evidence_classes(self, run: RunInfo) -> dict[str, str]:
        """Fact kind -> evidence class as the run recorded it; empty for runs stored before classes
        existed, whose results get the class derived from their kind (model.evidence_class_for_kind)."""
        kinds = self.mappings(run).get("kinds") or {}
        return {kind: entry["evidence_class"] for kind, entry in kinds.items() if entry.get("evidence_class")}

    def fact_changes(self, before: RunInfo, after: RunInfo) -> dict[tuple[str, str], tuple[str | None, str | None]]:
        """(kind, resource) -> (object hash in `before`, in `after`) per fact that differs (None = absent)."""
        return self.index().fact_changes(before.seq, after.seq)

    def attestations(self, before: RunInfo | None = None) -> list[dict[str, Any]]:
        """Attestation records (oldest first) from the runs chained before `before` (all when None):
        a run's SoA counts the statements recorded before it, never later ones."""
        index = self.index()
        up_to = before.seq - 1 if before is not None else index.latest_seq()
        records = []
        for row in index.attestation_facts(up_to):
            body = self.get_json(row["hash"])
            records.append({**body["data"], "fact": row["hash"], "sequence": row["first_seq"]})
        return records

    def rules(self, run: RunInfo) -> dict[str, dict[str, Any]]:
        """The rules as the run used them, by id (title, remediation, expect ...)."""
        return {rule["id"]: rule for rule in self.mappings(run).get("rules", [])}

    def facts(self, run: RunInfo) -> Iterator[StoredFact]:
        for row in self.index().facts(run.seq):
            body = self.get_json(row["hash"])
            yield StoredFact(
                kind=body["kind"],
                resource=body["resource"],
                scope=body["scope"],
                data=body["data"],
                source=Source.from_dict(body["source"]),
                collected_at=row["collected_at"] or "",
                hash=row["hash"],
            )

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
        known = frozenset(h for h, _ in self.index().current_facts().values()) if use_index else frozenset()
        return RunWriter(self, run_id, started_at, meta, _known=known)

    # -- shards of a sharded run -------------------------------------------------

    def publish_shard(self, run_id: str, name: str, body: Mapping[str, Any]) -> None:
        """Publish shard manifest `name` (`K-of-N`) once; StoreError if that shard already arrived."""
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


def _result(row: Any, classes: Mapping[str, str]) -> Result:
    kind = row["kind"] or ""
    return Result(
        rule=row["rule"],
        controls=tuple(json.loads(row["controls"] or "[]")),
        kind=kind,
        resource=row["resource"],
        scope=json.loads(row["scope"] or "{}"),
        status=row["status"],
        severity=row["severity"] or "",
        message=row["message"],
        collected_at=row["collected_at"] or "",
        evidence_class=classes.get(kind) or evidence_class_for_kind(kind),
    )


def _run_info(row: Any) -> RunInfo:
    return RunInfo(
        seq=row["seq"],
        run_id=row["run_id"],
        status=row["status"],
        started_at=row["started_at"],
        finished_at=row["finished_at"],
        manifest_sha256=row["manifest_sha256"],
        facts=row["facts"],
        results=row["results"],
        errors=row["errors"],
        type=row["type"],
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

    Facts are redacted, hashed and written as they arrive (only their keys stay in
    memory). Thread-safe, so collectors may run in parallel.
    """

    store: Store
    run_id: str
    started_at: str
    meta: Mapping[str, Any]
    _facts: dict[tuple[str, str], tuple[str, str]] = field(default_factory=dict)
    _batches: dict[str, _Batch] = field(default_factory=dict)
    _errors: list[tuple[CollectionError, str]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _known: frozenset[str] = frozenset()  # object hashes already in the store

    def _batch(self, collector: str, scope: Mapping[str, str], at: str) -> tuple[str, _Batch]:
        key = batch_key(collector, scope)
        batch = self._batches.get(key)
        if batch is None:
            batch = self._batches[key] = _Batch(collector, dict(scope), at, at)
        batch.collected_at = min(batch.collected_at, at)
        batch.finished_at = max(batch.finished_at, at)
        return key, batch

    def add_fact(self, fact: Fact, collector: str) -> Fact:
        """Store one fact; returns it as stored (redacted), which is what rules must judge."""
        stored = replace(fact, data=redact(fact.data))
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
            self.store.backend.put_object(digest, data)
        with self._lock:
            key, batch = self._batch(collector, fact.scope, fact.collected_at)
            batch.facts += 1
            self._facts[(fact.kind, fact.resource)] = (digest, key)
        return stored

    def add_error(self, error: CollectionError, collector: str) -> None:
        with self._lock:
            key, batch = self._batch(collector, error.scope, error.collected_at)
            batch.errors += 1
            self._errors.append((error, key))

    @property
    def fact_count(self) -> int:
        return len(self._facts)

    def snapshot(self) -> dict[str, Any]:
        """What was written so far (fact keys and hashes, batches, errors), for a shard manifest."""
        with self._lock:
            return {
                "facts": sorted(
                    [kind, resource, digest, batch] for (kind, resource), (digest, batch) in self._facts.items()
                ),
                "batches": {key: b.to_dict() for key, b in sorted(self._batches.items())},
                "errors": [{**error.to_dict(), "batch": batch} for error, batch in self._errors],
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
        error_batches = {}
        for error, batch in self._errors:
            for kind in error.kinds:
                error_batches[(kind, error.resource or scope_key(error.scope))] = batch
        declared = {
            rule["id"]: list(rule["controls"])
            for rule in self.store.get_json(self.meta["mappings"]["object"]).get("rules", [])
        }
        rule_ids = set(declared)
        # A result's own controls are stored only where they differ from its rule's (`controls_from`);
        # null means "the rule's", which keeps nightly deltas small.
        entries = {
            (r.rule, r.resource): (
                r.status,
                r.message,
                self._result_batch(r, error_batches),
                None if list(r.controls) == declared.get(r.rule) else list(r.controls),
            )
            for r in results
        }

        for _attempt in range(_PUBLISH_ATTEMPTS):
            index = self.store.index(refresh=True)
            taken = index.run_by_id(self.run_id)
            if taken is not None:
                raise ConcurrentRunError(f"{self.store.url}: run id {self.run_id} is already run #{taken['seq']}")
            previous_seq = index.latest_seq()
            current_facts, current_results = index.current_facts(), index.current_results()
            carried = carry_forward(
                previous_seq,
                json.loads(index.run(previous_seq)["manifest"]).get("batches", {}) if previous_seq else {},
                self._batches,
                carry or (lambda _collector, _scope: False),
                current_facts,
                current_results,
                rule_ids,
            )
            facts = {**carried.facts, **self._facts}
            run_results = {**carried.results, **entries}
            summary: dict[str, int] = {}
            for status, *_ in run_results.values():
                summary[status] = summary.get(status, 0) + 1
            fact_delta = _delta(current_facts, facts, previous_seq)
            result_delta = _delta(current_results, run_results, previous_seq)
            manifest: dict[str, Any] = {
                "format": MANIFEST_FORMAT,
                "run_id": self.run_id,
                "sequence": previous_seq + 1,
                "status": "partial" if self._errors or carried.batches else "complete",
                "started_at": self.started_at,
                "finished_at": finished_at,
                **self.meta,
                **extra,
                "batches": dict(
                    sorted({**carried.batches, **{k: b.to_dict() for k, b in self._batches.items()}}.items())
                ),
                "errors": [error.to_dict() for error, _ in self._errors],
                "facts": {"count": len(facts), "delta": self.store.put_json(fact_delta)},
                "results": {"count": len(run_results), "summary": summary, "delta": self.store.put_json(result_delta)},
                "previous": _previous(index, previous_seq),
            }
            if self.store.signer is not None:
                manifest["signature"] = self.store.signer(canonical_bytes(manifest))
            raw = canonical_bytes(manifest)
            try:
                self.store.backend.publish_manifest(previous_seq + 1, raw)
            except SlotTaken:
                continue  # another run landed first: chain onto it and try the next slot
            index.apply(
                manifest, sha256_hex(raw), fact_delta, result_delta, self.store.get_json(manifest["mappings"]["object"])
            )
            return self.store.resolve(str(previous_seq + 1))
        raise ConcurrentRunError(
            f"{self.store.url}: could not publish run {self.run_id}: other runs kept taking the next place in the chain"
        )


def _previous(index: Index, seq: int) -> dict[str, Any] | None:
    row = index.run(seq) if seq else None
    if row is None:
        return None
    return {"sequence": seq, "run_id": row["run_id"], "sha256": row["manifest_sha256"]}


def _delta(
    before: Mapping[tuple[str, str], tuple[Any, ...]],
    after: Mapping[tuple[str, str], tuple[Any, ...]],
    base: int,
) -> dict[str, Any]:
    """What changed from `before` to `after`, as sorted lists (deterministic bytes)."""
    add = sorted([*key, *value] for key, value in after.items() if tuple(before.get(key, ())) != tuple(value))
    remove = sorted([*key] for key in before if key not in after)
    return {"format": DELTA_FORMAT, "base": base or None, "add": add, "remove": remove}
