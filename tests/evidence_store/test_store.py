from __future__ import annotations

import hashlib
import json
from datetime import datetime, timezone
from pathlib import Path

import pytest
from fakes import FAKE_SCOPE, fake_fact

from annexa.errors import StoreError, VerifyError
from annexa.evidence_store.backend import SlotTaken
from annexa.evidence_store.store import Store, open_store
from annexa.mappings.catalog import load_catalog
from annexa.mappings.evaluate import evaluate
from annexa.mappings.rules import load_rules
from annexa.model import CollectionError, Result

NOW = datetime(2026, 11, 22, tzinfo=timezone.utc)


def _write_run(
    store: Store, rules_file: Path, buckets: dict[str, dict], errors: tuple = (), run_id: str = ""
) -> object:
    rules = load_rules([rules_file], {"fake.bucket"}, set(load_catalog().ids()))
    mappings = store.put_json({"rules": [r.to_dict() for r in rules]})
    writer = store.begin_run(
        run_id or f"run-{len(store.runs()) + 1}",
        "2026-11-22T00:00:00Z",
        {"mappings": {"object": mappings, "sha256": "x"}},
    )
    stored = [writer.add_fact(fake_fact(name, data), "fake.buckets") for name, data in buckets.items()]
    for error in errors:
        writer.add_error(error, "fake.buckets")
    results = evaluate(stored, errors, rules, NOW, {"fake.bucket"})
    return writer.commit(results, "2026-11-22T00:01:00Z", {})


def test_run_round_trip_and_hash_chain(tmp_path: Path, fake_rules_file: Path) -> None:
    store = open_store(str(tmp_path / "ev"))
    first = _write_run(store, fake_rules_file, {"b1": {"encrypted": True, "versioning": "Enabled"}})
    second = _write_run(store, fake_rules_file, {"b1": {"encrypted": False, "versioning": "Enabled"}})
    assert (first.seq, second.seq) == (1, 2)
    manifest_1 = (tmp_path / "ev/manifests/00000001.json").read_bytes()
    manifest_2 = json.loads((tmp_path / "ev/manifests/00000002.json").read_bytes())
    assert manifest_2["previous"]["sha256"] == hashlib.sha256(manifest_1).hexdigest()
    assert store.resolve("latest").run_id == "run-2" and store.resolve("previous").run_id == "run-1"
    assert store.resolve("run-1").seq == 1 and store.resolve("1").seq == 1
    old = {r.rule: r.status for r in store.results(store.resolve("1"))}
    new = {r.rule: r.status for r in store.results(store.resolve("2"))}
    assert old["fake.bucket-encrypted"] == "pass" and new["fake.bucket-encrypted"] == "fail"
    (fact,) = list(store.facts(store.resolve("1")))
    assert fact.data == {"encrypted": True, "versioning": "Enabled"} and fact.scope == FAKE_SCOPE
    result = next(r for r in store.results(store.resolve("2")) if r.rule == "fake.bucket-encrypted")
    assert result.controls == ("A.8.24",) and result.scope == FAKE_SCOPE and result.collected_at.startswith("2026")


def test_objects_are_content_addressed_and_deduplicated(tmp_path: Path, fake_rules_file: Path) -> None:
    store = open_store(str(tmp_path))
    buckets = {f"b{i}": {"encrypted": True, "versioning": "Enabled"} for i in range(20)}
    _write_run(store, fake_rules_file, buckets)
    before = set(store.backend.iter_objects())
    _write_run(store, fake_rules_file, buckets)
    added = set(store.backend.iter_objects()) - before
    assert len(added) <= 2  # the two (empty) deltas at most: no fact is stored again
    for digest in store.backend.iter_objects():
        assert hashlib.sha256(store.backend.get_object(digest)).hexdigest() == digest


def test_secrets_are_redacted_before_hashing(tmp_path: Path, fake_rules_file: Path) -> None:
    store = open_store(str(tmp_path))
    _write_run(
        store,
        fake_rules_file,
        {
            "b1": {
                "encrypted": True,
                "db_password": "hunter2-S3cret",
                "env": [{"Key": "API_TOKEN", "Value": "tok-123456"}],
            }
        },
    )
    blob = b"".join(store.backend.get_object(d) for d in store.backend.iter_objects())
    assert b"hunter2-S3cret" not in blob and b"tok-123456" not in blob
    assert b"db_password" in blob and b"[REDACTED]" in blob


def test_collection_errors_are_recorded_and_run_is_partial(tmp_path: Path, fake_rules_file: Path) -> None:
    store = open_store(str(tmp_path))
    error = CollectionError(kinds=("fake.bucket",), scope=FAKE_SCOPE, message="denied", code="AccessDenied")
    run = _write_run(store, fake_rules_file, {}, errors=(error,))
    assert run.status == "partial" and run.errors == 1
    statuses = {r.status for r in store.results(run)}
    assert statuses == {"error"}
    manifest = store.manifest(run.seq)
    assert manifest["errors"][0]["code"] == "AccessDenied"
    ((key, batch),) = manifest["batches"].items()
    assert key.startswith("fake.buckets@") and (batch["facts"], batch["errors"]) == (0, 1)


def test_reindex_rebuilds_the_same_view(tmp_path: Path, fake_rules_file: Path) -> None:
    store = open_store(str(tmp_path))
    _write_run(store, fake_rules_file, {"b1": {"encrypted": True}, "b2": {"encrypted": False}})
    _write_run(store, fake_rules_file, {"b2": {"encrypted": True}, "b3": {"encrypted": True}})
    before = [(r.rule, r.resource, r.status) for n in (1, 2) for r in store.results(store.resolve(str(n)))]
    (tmp_path / "index.sqlite").unlink()
    fresh = open_store(str(tmp_path))
    assert [(r.rule, r.resource, r.status) for n in (1, 2) for r in fresh.results(fresh.resolve(str(n)))] == before
    assert fresh.reindex() == 2
    assert {f.resource for f in fresh.facts(fresh.resolve("1"))} == {"b1", "b2"}
    assert {f.resource for f in fresh.facts(fresh.resolve("2"))} == {"b2", "b3"}


def test_a_taken_slot_chains_onto_the_run_that_landed_first(
    tmp_path: Path, fake_rules_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = open_store(str(tmp_path))
    _write_run(store, fake_rules_file, {"b1": {"encrypted": True}})
    racer = open_store(str(tmp_path))
    real_publish = store.backend.publish_manifest
    raced = []

    def publish_after_a_racer(sequence: int, data: bytes) -> None:
        if not raced:  # another process lands run 2 just before us
            raced.append(_write_run(racer, fake_rules_file, {"b9": {"encrypted": True}}, run_id="racer"))
        real_publish(sequence, data)

    monkeypatch.setattr(store.backend, "publish_manifest", publish_after_a_racer)
    mine = _write_run(store, fake_rules_file, {"b1": {"encrypted": False}}, run_id="mine")
    assert raced[0].seq == 2 and mine.seq == 3
    assert store.manifest(3)["previous"]["run_id"] == "racer"


def test_published_slot_is_never_overwritten(tmp_path: Path, fake_rules_file: Path) -> None:
    store = open_store(str(tmp_path))
    _write_run(store, fake_rules_file, {"b1": {"encrypted": True}})
    with pytest.raises(SlotTaken):
        store.backend.publish_manifest(1, b"{}")


def test_empty_store_and_unknown_run_are_clear_errors(tmp_path: Path, fake_rules_file: Path) -> None:
    store = open_store(str(tmp_path))
    with pytest.raises(StoreError, match="no runs yet"):
        store.resolve("latest")
    _write_run(store, fake_rules_file, {"b1": {"encrypted": True}})
    with pytest.raises(StoreError, match="no run 'nope'"):
        store.resolve("nope")


def test_missing_middle_manifest_is_reported(tmp_path: Path, fake_rules_file: Path) -> None:
    store = open_store(str(tmp_path))
    for _ in range(3):
        _write_run(store, fake_rules_file, {"b1": {"encrypted": True}})
    (tmp_path / "manifests/00000002.json").unlink()
    (tmp_path / "index.sqlite").unlink()
    with pytest.raises(StoreError, match="00000002.json is missing"):
        open_store(str(tmp_path)).runs()


def test_distinct_results_are_the_results_without_resource_or_message_each_once(
    tmp_path: Path, fake_rules_file: Path
) -> None:
    store = open_store(str(tmp_path / "ev"))
    buckets = {f"b{i}": {"encrypted": i % 3 != 0, "versioning": "Enabled"} for i in range(9)}
    run = _write_run(store, fake_rules_file, buckets)
    full = store.results(store.resolve(str(run.seq)))
    distinct = store.distinct_results(store.resolve(str(run.seq)))

    def judged(r: Result) -> tuple:  # all but resource and message
        return (r.rule, r.controls, r.kind, json.dumps(r.scope), r.status, r.severity, r.collected_at, r.evidence_class)

    assert [(r.resource, r.message) for r in distinct] == [("", "")] * len(distinct)
    assert len(distinct) == len({judged(r) for r in distinct}) == len({judged(r) for r in full}) < len(full)
    assert {judged(r) for r in distinct} == {judged(r) for r in full}
    assert [r.scope for r in distinct] == [FAKE_SCOPE] * len(distinct)


def test_iter_results_streams_the_checked_results_in_the_order_asked(tmp_path: Path, fake_rules_file: Path) -> None:
    store = open_store(str(tmp_path / "ev"))
    buckets = {f"b{i}": {"encrypted": i % 3 != 0, "versioning": "Enabled"} for i in range(9)}
    _write_run(store, fake_rules_file, buckets)
    run = store.resolve(str(_write_run(store, fake_rules_file, {**buckets, "b1": {"encrypted": False}}).seq))
    full = store.results(run)
    assert list(store.iter_results(run)) == full
    assert list(store.iter_results(run, {"fail"})) == [r for r in full if r.status == "fail"]
    worst_first = list(store.iter_results(run, rank=lambda rule, status: 0 if status == "fail" else 1))
    assert worst_first == sorted(full, key=lambda r: (r.status != "fail", r.rule, r.resource))

    # an edited index: refused before the first result, by the same check `results` makes
    fresh = open_store(str(tmp_path / "ev"))
    fresh.index()._db.execute("UPDATE results SET status='pass' WHERE status='fail'")
    with pytest.raises(VerifyError, match="is pass in the index, fail in the evidence"):
        next(fresh.iter_results(run))
    with pytest.raises(VerifyError, match="is pass in the index, fail in the evidence"):
        fresh.distinct_results(run)  # read in one pass with the check, used only if it holds


def test_streamed_reads_give_what_the_whole_state_reads_give(tmp_path: Path, fake_rules_file: Path) -> None:
    store = open_store(str(tmp_path / "ev"))
    buckets = {f"b{i}": {"encrypted": i % 3 != 0, "versioning": "Enabled"} for i in range(9)}
    first = store.resolve(str(_write_run(store, fake_rules_file, buckets).seq))
    changed = {**buckets, "b1": {"encrypted": False}, "b10": {"encrypted": True}}
    del changed["b4"]
    run = store.resolve(str(_write_run(store, fake_rules_file, changed).seq))
    for of in (first, run):
        full = store.results(of)
        assert list(store.iter_results(of, by_resource=True)) == sorted(full, key=lambda r: (r.resource, r.rule))
        refs = store.fact_refs(of)
        joined = [(r, refs.get((r.kind, r.resource))) for r in full]
        assert list(store.iter_results_with_facts(of)) == joined
        by_resource = sorted(joined, key=lambda pair: (pair[0].resource, pair[0].rule))
        assert list(store.iter_results_with_facts(of, by_resource=True)) == by_resource
        assert any(ref is not None for _result, ref in joined)
    assert list(store.iter_result_changes(first, run)) == store.result_changes(first, run) != []
    assert list(store.iter_fact_changes(first, run)) == list(store.fact_changes(first, run).items()) != []

    # an edited index: refused, by the same check the whole-state reads make
    fresh = open_store(str(tmp_path / "ev"))
    fresh.index()._db.execute("UPDATE results SET status='pass' WHERE status='fail'")
    with pytest.raises(VerifyError, match="is pass in the index, fail in the evidence"):
        next(fresh.iter_results_with_facts(run))
    with pytest.raises(VerifyError, match="is pass in the index, fail in the evidence"):
        list(fresh.iter_result_changes(first, run))
    edited = open_store(str(tmp_path / "ev"))
    edited.index()._db.execute("UPDATE facts SET hash='0' || substr(hash, 2)")
    with pytest.raises(VerifyError, match="in the index"):
        next(edited.iter_results_with_facts(run))
    with pytest.raises(VerifyError, match="in the index"):
        list(edited.iter_fact_changes(first, run))
