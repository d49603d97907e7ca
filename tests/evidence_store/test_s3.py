"""The S3 backend against moto_server over real HTTP on 127.0.0.1."""

from __future__ import annotations

import hashlib
import itertools
from datetime import datetime, timezone
from pathlib import Path

import boto3
import pytest
from fakes import fake_fact
from fakes.aws import credentials_env, only_these_aws_variables

from annexa.errors import StoreError
from annexa.evidence_store.backend import Retention, SlotTaken
from annexa.evidence_store.canonical import canonical_bytes, sha256_hex
from annexa.evidence_store.s3 import S3Backend
from annexa.evidence_store.store import Store, open_store
from annexa.evidence_store.verify import StoreSource, verify_chain
from annexa.mappings.catalog import load_catalog
from annexa.mappings.evaluate import evaluate
from annexa.mappings.rules import load_rules

NOW = datetime(2026, 11, 22, tzinfo=timezone.utc)
_buckets = itertools.count()


@pytest.fixture
def s3(moto_endpoint: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    only_these_aws_variables(monkeypatch, credentials_env(moto_endpoint))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return boto3.client("s3")


def _bucket(s3, lock: bool = False) -> str:  # type: ignore[no-untyped-def]
    name = f"evidence-{next(_buckets)}"
    s3.create_bucket(Bucket=name, ObjectLockEnabledForBucket=lock)
    return name


def _write_run(store: Store, rules_file: Path, buckets: dict[str, dict], run_id: str) -> object:
    rules = load_rules([rules_file], {"fake.bucket"}, set(load_catalog().ids()))
    mappings = store.put_json({"rules": [r.to_dict() for r in rules]})
    writer = store.begin_run(run_id, "2026-11-22T00:00:00Z", {"mappings": {"object": mappings, "sha256": "x"}})
    stored = [writer.add_fact(fake_fact(name, data), "fake.buckets") for name, data in buckets.items()]
    return writer.commit(evaluate(stored, (), rules, NOW, {"fake.bucket"}), "2026-11-22T00:01:00Z", {})


def test_runs_round_trip_through_s3_and_the_index_is_rebuilt(s3, fake_rules_file: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    url = f"s3://{_bucket(s3)}/team/iso"
    store = open_store(url)
    _write_run(store, fake_rules_file, {"b1": {"encrypted": True, "versioning": "Enabled"}}, "run-1")
    _write_run(store, fake_rules_file, {"b1": {"encrypted": False}, "b2": {"encrypted": True}}, "run-2")
    report = verify_chain(StoreSource(store.backend))
    assert report.ok and report.runs == 2, report.problems
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=url.split("/")[2])["Contents"]]
    assert all(key.startswith("team/iso/") for key in keys) and "team/iso/manifests/00000002.json" in keys

    index = store.backend.index_path()
    assert index.is_relative_to(tmp_path / "cache" / "annexa" / "s3")
    before = [(r.rule, r.resource, r.status) for n in ("1", "2") for r in store.results(store.resolve(n))]
    index.unlink()
    fresh = open_store(url)
    assert [(r.rule, r.resource, r.status) for n in ("1", "2") for r in fresh.results(fresh.resolve(n))] == before
    assert {f.resource for f in fresh.facts(fresh.resolve("latest"))} == {"b1", "b2"}


def test_a_second_writer_cannot_overwrite_an_existing_object(s3) -> None:  # type: ignore[no-untyped-def]
    bucket = _bucket(s3)
    first, second = S3Backend.from_url(f"s3://{bucket}/p"), S3Backend.from_url(f"s3://{bucket}/p")
    first.publish_manifest(1, b'{"mine":1}')
    with pytest.raises(SlotTaken):
        second.publish_manifest(1, b'{"theirs":1}')
    data = canonical_bytes({"fact": 1})
    first.put_object(sha256_hex(data), data)
    second.put_object(sha256_hex(data), b"forged")  # refused by S3; content-addressed, so not an error
    first.publish_shard("night-1", "0-of-2", b"{}")
    with pytest.raises(SlotTaken):
        second.publish_shard("night-1", "0-of-2", b'{"x":1}')
    assert first.get_manifest(1) == b'{"mine":1}' and second.get_object(sha256_hex(data)) == data
    assert second.get_shard("night-1", "0-of-2") == b"{}" and second.list_shards("night-1") == ["0-of-2"]


def test_listing_pages_and_lists_only_newer_manifests(s3) -> None:  # type: ignore[no-untyped-def]
    backend = S3Backend.from_url(f"s3://{_bucket(s3)}")
    backend.page_size = 2
    for seq in range(1, 6):
        backend.publish_manifest(seq, b"{}")
    blobs = [canonical_bytes({"n": n}) for n in range(5)]
    for blob in blobs:
        backend.put_object(sha256_hex(blob), blob)
    assert backend.list_manifests() == [1, 2, 3, 4, 5]
    assert backend.list_manifests(after=3) == [4, 5]
    assert backend.iter_objects() == sorted(sha256_hex(b) for b in blobs)
    assert backend.has_object(sha256_hex(blobs[0])) and not backend.has_object("0" * 64)


def test_object_lock_retention_is_set_on_every_object(s3, fake_rules_file: Path) -> None:  # type: ignore[no-untyped-def]
    bucket = _bucket(s3, lock=True)
    store = open_store(f"s3://{bucket}/locked", retention=Retention("governance", 30))
    _write_run(store, fake_rules_file, {"b1": {"encrypted": True}}, "run-1")
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]]
    assert any("/manifests/" in key for key in keys) and any("/objects/" in key for key in keys)
    for key in keys:
        head = s3.head_object(Bucket=bucket, Key=key)
        assert head["ObjectLockMode"] == "GOVERNANCE"
        days = (head["ObjectLockRetainUntilDate"] - datetime.now(timezone.utc)).days
        assert 28 <= days <= 30


def test_s3_problems_are_one_line_store_errors(s3) -> None:  # type: ignore[no-untyped-def]
    unlocked = _bucket(s3)
    with pytest.raises(StoreError, match="ObjectLockConfiguration") as locked:
        S3Backend.from_url(f"s3://{unlocked}", Retention("compliance", 1)).publish_manifest(1, b"{}")
    with pytest.raises(StoreError, match="NoSuchBucket") as missing:
        S3Backend.from_url("s3://no-such-bucket-here/x").get_manifest(1)
    with pytest.raises(StoreError, match="manifest 00000009.json is missing"):
        S3Backend.from_url(f"s3://{unlocked}").get_manifest(9)
    with pytest.raises(StoreError, match="invalid store URL"):
        open_store("s3://Bad_Bucket/x")
    with pytest.raises(StoreError, match="needs an s3:// store"):
        open_store("./local", retention=Retention("governance", 1))
    assert "\n" not in str(locked.value) and "\n" not in str(missing.value)
    digest = hashlib.sha256(b"x").hexdigest()
    assert not S3Backend.from_url(f"s3://{unlocked}").has_object(digest)


def test_verify_checks_that_object_lock_is_really_on(  # type: ignore[no-untyped-def]
    s3, fake_rules_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`store.object_lock` configured: `annexa verify` fails on a bucket without Object Lock (whose
    evidence could be deleted) and passes on one with it, each manifest under retention."""
    from annexa import cli

    locked, unlocked = _bucket(s3, lock=True), _bucket(s3)
    retention = Retention("governance", 30)
    results = {}
    for bucket in (locked, unlocked):
        url = f"s3://{bucket}/iso"
        # the unlocked bucket's runs are written without retention (S3 refuses a retention there)
        store = open_store(url, retention=retention if bucket == locked else None)
        _write_run(store, fake_rules_file, {"b1": {"encrypted": True}}, "run-1")
        config = tmp_path / f"{bucket}.yaml"
        config.write_text(
            f"store: {{url: {url}, object_lock: {{mode: governance, days: 30}}}}\ntargets:\n  - host: {{}}\n"
        )
        code = cli.main(["--log-format", "json", "verify", "--config", str(config)])
        results[bucket] = (code, capsys.readouterr().out.splitlines())
    code, out = results[locked]
    assert code == 0, out
    code, out = results[unlocked]
    assert code == 4
    assert (
        f"problem: s3://{unlocked}/iso: store.object_lock is configured, but bucket {unlocked} does not have"
        in (out[0])
    )
