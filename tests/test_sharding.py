"""Sharded collection in-process: N shards plus seal must equal one unsharded run."""

from __future__ import annotations

from pathlib import Path

import pytest
import structlog
import structlog.testing

from annexa import cli
from annexa.collectors.base import Shard
from annexa.collectors.registry import Registry
from annexa.config import Config, load_config
from annexa.errors import StoreError, UsageError, VerifyError
from annexa.evidence_store.signing import Ed25519Signer, generate_keypair
from annexa.evidence_store.store import Store, open_store
from annexa.evidence_store.trust import Signed, Trust
from annexa.evidence_store.verify import StoreSource, verify_chain
from annexa.mappings.catalog import load_catalog
from annexa.mappings.rules import Rule, load_rules
from annexa.pipeline.runner import run_collection
from annexa.pipeline.shards import collect_shard, parse_shard, seal_run

LOG = structlog.get_logger()


@pytest.fixture(autouse=True)
def captured_logs():  # type: ignore[no-untyped-def]
    """Logs go to a list, not to a stream an earlier CLI test may have closed."""
    with structlog.testing.capture_logs() as logs:
        yield logs


CONFIG = """\
targets:
  - fake: {buckets: {a1: {encrypted: true, versioning: Enabled}, a2: {encrypted: false}}}
  - fake: {buckets: {b1: {encrypted: true, scratch: true}}}
  - fake: {fail: true}
  - fake: {buckets: {d1: {encrypted: true, versioning: Suspended}, d2: {encrypted: true}}}
  - fake: {buckets: {e1: {encrypted: false, versioning: Enabled}}}
"""


@pytest.fixture
def setup(tmp_path: Path, fake_registry: Registry, fake_rules_file: Path) -> tuple[Config, list[Rule]]:
    path = tmp_path / "annexa.yaml"
    path.write_text(CONFIG)
    catalog = load_catalog()
    config = load_config(path, fake_registry, catalog)
    return config, load_rules([fake_rules_file], {"fake.bucket"}, set(catalog.ids()))


def _shard(store: Store, setup, registry: Registry, index: int, count: int = 4, run_id: str = "night-1"):  # type: ignore[no-untyped-def]
    config, rules = setup
    return collect_shard(config, registry, rules, load_catalog(), store, LOG, run_id, Shard(index, count))


def _view(store: Store) -> list[tuple]:
    run = store.resolve("latest")
    return [
        (r.rule, r.resource, r.status, r.message, tuple(r.controls), dict(r.scope), r.kind) for r in store.results(run)
    ]


def test_shards_then_seal_equal_one_unsharded_run(
    tmp_path: Path,
    setup,
    fake_registry: Registry,  # type: ignore[no-untyped-def]
    captured_logs,
) -> None:
    config, rules = setup
    plain = open_store(str(tmp_path / "plain"))
    unsharded = run_collection(config, fake_registry, rules, load_catalog(), plain, LOG)
    sharded = open_store(str(tmp_path / "sharded"))
    parts = [_shard(sharded, setup, fake_registry, index) for index in range(4)]
    assert sum(p.facts for p in parts) == unsharded.run.facts == 6
    assert sum(bool(p.errors) for p in parts) == 1  # the failing target belongs to exactly one shard
    assert sharded.runs() == []  # nothing is in the chain until sealed

    sealed = seal_run(config, rules, load_catalog(), sharded, LOG, "night-1")
    assert sealed.run.run_id == "night-1" and sealed.run.status == unsharded.run.status == "partial"
    assert sealed.exit_code == unsharded.exit_code == 1
    assert _view(sharded) == _view(plain)
    statuses = {status for _, _, status, *_ in _view(sharded)}
    assert {"pass", "fail", "error"} <= statuses
    assert {(f.kind, f.resource, f.hash) for f in sharded.facts(sharded.resolve("latest"))} == {
        (f.kind, f.resource, f.hash) for f in plain.facts(plain.resolve("latest"))
    }
    manifest = sharded.manifest(1)
    assert [s["shard"] for s in manifest["shards"]] == ["0/4", "1/4", "2/4", "3/4"]
    assert all(sharded.get_json(s["object"])["shard"]["count"] == 4 for s in manifest["shards"])
    assert len(manifest["collectors"]) == len(config.targets) and manifest["errors"][0]["code"] == "AccessDenied"
    report = verify_chain(StoreSource(sharded.backend))
    assert report.ok and report.runs == 1, report.problems

    assert any(line["event"] == "run_sealed" and line["shards"] == 4 for line in captured_logs)
    with pytest.raises(StoreError, match="already sealed as run #1"):
        seal_run(config, rules, load_catalog(), sharded, LOG, "night-1")


def test_not_applicable_needs_the_whole_run(
    tmp_path: Path,
    setup,
    fake_registry: Registry,  # type: ignore[no-untyped-def]
    fake_rules_file: Path,
) -> None:
    path = tmp_path / "scratch.yaml"
    path.write_text("targets:\n" + "".join(f"  - fake: {{buckets: {{s{i}: {{scratch: true}}}}}}\n" for i in range(6)))
    config = load_config(path, fake_registry, load_catalog())
    _, rules = setup
    store = open_store(str(tmp_path / "s"))
    for index in range(3):
        collect_shard(config, fake_registry, rules, load_catalog(), store, LOG, "n", Shard(index, 3))
    seal_run(config, rules, load_catalog(), store, LOG, "n")
    results = {(r.rule, r.resource): r.status for r in store.results(store.resolve("latest"))}
    assert results[("fake.bucket-versioned", "-")] == "not_applicable"
    assert sum(1 for status in results.values() if status == "not_applicable") == 1


def test_seal_refuses_until_every_shard_arrived(tmp_path: Path, setup, fake_registry: Registry) -> None:  # type: ignore[no-untyped-def]
    config, rules = setup
    store = open_store(str(tmp_path))
    with pytest.raises(StoreError, match="no shards of run night-1 have arrived"):
        seal_run(config, rules, load_catalog(), store, LOG, "night-1")
    for index in (0, 1, 3):
        _shard(store, setup, fake_registry, index)
    with pytest.raises(StoreError, match=r"shard 2/4 has not arrived \(3 of 4 present\)"):
        seal_run(config, rules, load_catalog(), store, LOG, "night-1")
    _shard(store, setup, fake_registry, 0, count=3)
    with pytest.raises(StoreError, match="disagree on the shard count"):
        seal_run(config, rules, load_catalog(), store, LOG, "night-1")
    assert store.runs() == []


def test_a_shard_is_written_once_and_must_match_the_seal(
    tmp_path: Path,
    setup,
    fake_registry: Registry,  # type: ignore[no-untyped-def]
    fake_rules_file: Path,
) -> None:
    config, rules = setup
    store = open_store(str(tmp_path))
    _shard(store, setup, fake_registry, 0, count=1)
    with pytest.raises(StoreError, match="shard 0-of-1 of run night-1 was already written"):
        _shard(store, setup, fake_registry, 0, count=1)
    other_rules = [r for r in rules if r.id != "fake.bucket-versioned"]
    with pytest.raises(UsageError, match="shard 0/1 ran with different mappings"):
        seal_run(config, other_rules, load_catalog(), store, LOG, "night-1")
    assert store.runs() == []


@pytest.mark.parametrize(("text", "expected"), [("0/4", Shard(0, 4)), ("3/4", Shard(3, 4)), (" 0 / 1 ", Shard(0, 1))])
def test_parse_shard(text: str, expected: Shard) -> None:
    assert parse_shard(text) == expected


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["collect", "--shard", "4/4", "--run-id", "n"], "K must be 0..N-1"),
        (["collect", "--shard", "1of4", "--run-id", "n"], "expected K/N"),
        (["collect", "--shard", "0/4"], "--run-id is required with --shard"),
        (["collect", "--shard", "0/4", "--run-id", "../up"], "--run-id '../up'"),
        (["seal", "--run-id", "a/b"], "--run-id 'a/b'"),
    ],
)
def test_bad_shard_arguments_exit_2(argv: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_a_sealed_run_records_the_same_population_as_an_unsharded_one(tmp_path: Path) -> None:
    from annexa.collectors.registry import load_registry
    from annexa.mappings.rules import builtin_rule_files

    (tmp_path / "hr.csv").write_text(
        "id,email,start,end\nE1,ana@example.com,2024-01-15,\nE2,ben@example.com,2023-02-01,2024-06-30\n"
    )
    (tmp_path / "lms.csv").write_text("id,done\nE1,2026-01-10\n")
    path = tmp_path / "annexa.yaml"
    columns = "{id: id, email: email, start_date: start, end_date: end}"
    path.write_text(
        "targets:\n"
        f"  - people: {{path: hr.csv, name: hr, columns: {columns}}}\n"
        "  - people: {path: lms.csv, name: lms, columns: {id: id, training_date: done}}\n"
    )
    registry, catalog = load_registry(), load_catalog()
    config = load_config(path, registry, catalog)
    rules = load_rules(builtin_rule_files(), registry.kinds(), set(catalog.ids()))
    plain = open_store(str(tmp_path / "plain"))
    run_collection(config, registry, rules, catalog, plain, LOG)
    sharded = open_store(str(tmp_path / "sharded"))
    for index in range(2):
        collect_shard(config, registry, rules, catalog, sharded, LOG, "night-1", Shard(index, 2))
    seal_run(config, rules, catalog, sharded, LOG, "night-1", registry)
    recorded = plain.manifest(1)["population"]
    assert sharded.manifest(1)["population"] == recorded
    assert [(c["resource"], c["data"]["listed"]) for c in recorded["counts"]] == [("people:hr", 2), ("people:lms", 1)]
    assert recorded["counts"][0]["data"]["active"] == 1
    assert "staff_with_device" not in recorded  # no endpoint source: the staff rule judged nobody


def _signed(tmp_path: Path, name: str) -> tuple[Ed25519Signer, str]:
    key = generate_keypair(tmp_path / name)
    return Ed25519Signer(key.private_path), key.fingerprint


def test_shard_manifests_are_signed_when_written_and_checked_by_seal_and_verify(
    tmp_path: Path,
    setup,
    fake_registry: Registry,  # type: ignore[no-untyped-def]
) -> None:
    config, rules = setup
    signer, fingerprint = _signed(tmp_path, "k")
    trust = Trust.of([fingerprint])
    store = open_store(str(tmp_path / "ev"), signer, trust=trust)
    for index in range(2):
        _shard(store, setup, fake_registry, index, count=2)
    for name in ("0-of-2", "1-of-2"):
        assert trust.check(store.shard("night-1", name)) == Signed(fingerprint)  # signed on arrival, before seal
    seal_run(config, rules, load_catalog(), store, LOG, "night-1")
    report = verify_chain(StoreSource(store.backend), trust=trust)
    assert report.problems == [] and report.origin_proven


def test_seal_refuses_an_unsigned_or_foreign_shard(
    tmp_path: Path,
    setup,
    fake_registry: Registry,  # type: ignore[no-untyped-def]
) -> None:
    config, rules = setup
    signer, fingerprint = _signed(tmp_path, "k")
    other, other_fingerprint = _signed(tmp_path, "other")
    trust = Trust.of([fingerprint])
    root = str(tmp_path / "ev")
    _shard(open_store(root, signer, trust=trust), setup, fake_registry, 0, count=3)
    _shard(open_store(root), setup, fake_registry, 1, count=3)  # a machine without the key
    _shard(open_store(root, other), setup, fake_registry, 2, count=3)
    store = open_store(root, signer, trust=trust)
    with pytest.raises(
        VerifyError, match=r"cannot seal run night-1: shard 1/3 is not signed \(signatures are required"
    ):
        seal_run(config, rules, load_catalog(), store, LOG, "night-1")
    (tmp_path / "ev" / "shards" / "night-1" / "1-of-3.json").unlink()
    _shard(open_store(root, signer, trust=trust), setup, fake_registry, 1, count=3)
    with pytest.raises(
        VerifyError,
        match=f"cannot seal run night-1: shard 2/3 is signed by {other_fingerprint}, which is not a trusted key",
    ):
        seal_run(config, rules, load_catalog(), store, LOG, "night-1")
    assert store.runs() == []


def test_verify_fails_a_signed_run_sealed_over_an_unsigned_shard(
    tmp_path: Path,
    setup,
    fake_registry: Registry,  # type: ignore[no-untyped-def]
) -> None:
    """Without a pin, seal accepts an unsigned shard, but verify names it: the signed run vouches
    for a shard that nobody signed when it was written."""
    config, rules = setup
    signer, _ = _signed(tmp_path, "k")
    root = str(tmp_path / "ev")
    _shard(open_store(root), setup, fake_registry, 0, count=1)
    seal_run(config, rules, load_catalog(), open_store(root, signer), LOG, "night-1")
    report = verify_chain(StoreSource(open_store(root).backend))
    assert report.problems == ["run 1 (night-1): shard 0/1 is not signed"]
