"""`annexa verify` on a store: clean when untouched; each kind of tampering is named, exit 4."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from history import write_history

from annexa import cli
from annexa.errors import UsageError
from annexa.evidence_store.signing import Ed25519Signer, generate_keypair, signed_bytes, verify_signature
from annexa.evidence_store.store import Store, open_store
from annexa.evidence_store.verify import StoreSource, verify_chain

NIGHTS = [
    {"b1": {"encrypted": n % 2 == 0, "versioning": "Enabled"}, f"b{n % 3 + 2}": {"encrypted": True}} for n in range(4)
]


@pytest.fixture
def key(tmp_path: Path) -> Path:
    return generate_keypair(tmp_path / "signing.key").private_path


@pytest.fixture
def store(tmp_path: Path, fake_rules_file: Path, key: Path) -> Store:
    store = open_store(str(tmp_path / "ev"), Ed25519Signer(key))
    write_history(store, fake_rules_file, NIGHTS)
    return store


def _verify(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, list[str]]:
    code = cli.main(["--log-format", "json", "verify", *argv])
    return code, capsys.readouterr().out.splitlines()


def _problems(store: Store) -> list[str]:
    return verify_chain(StoreSource(store.backend)).problems


def test_an_untouched_signed_store_verifies_clean(store: Store, key: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = _verify(capsys, str(store.backend.root))
    assert code == 0, out
    assert out[-1].startswith("OK (") and "4 runs" in out[-1] and "4 signed manifests" in out[-1]
    code, _ = _verify(capsys, str(store.backend.root), "--public-key", str(key) + ".pub")
    assert code == 0


def test_signature_covers_the_manifest_without_its_signature(store: Store, key: Path) -> None:
    manifest = store.manifest(2)
    assert verify_signature(manifest) == (Ed25519Signer(key).fingerprint, None)
    assert b'"signature"' not in signed_bytes(manifest)


def test_a_flipped_byte_in_a_fact_object_is_named(store: Store, capsys: pytest.CaptureFixture[str]) -> None:
    delta = store.get_json(store.manifest(1)["facts"]["delta"])
    digest = delta["add"][0][2]
    path = store.backend.root / "objects" / digest[:2] / digest
    data = bytearray(path.read_bytes())
    data[10] ^= 0x01
    path.write_bytes(bytes(data))
    code, out = _verify(capsys, str(store.backend.root))
    assert code == 4
    assert any(line.startswith(f"problem: object {digest}: content does not match") for line in out)


def test_an_edited_middle_manifest_breaks_the_next_link_and_its_signature(
    store: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    path = store.backend.root / "manifests" / "00000002.json"
    path.write_bytes(path.read_bytes().replace(b'"status":"complete"', b'"status":"completE"'))
    code, out = _verify(capsys, str(store.backend.root))
    assert code == 4
    assert any("run 2 (night-001): signature does not match the manifest" in line for line in out)
    assert any("run 3 (night-002): broken link to run 2" in line for line in out)


def test_a_deleted_run_in_the_middle_is_named(store: Store, capsys: pytest.CaptureFixture[str]) -> None:
    (store.backend.root / "manifests" / "00000002.json").unlink()
    code, out = _verify(capsys, str(store.backend.root))
    assert code == 4
    assert "problem: manifest 00000002.json missing: the chain jumps from run 1 to run 3 (a run was deleted)" in out


def test_swapped_signatures_are_named(store: Store, capsys: pytest.CaptureFixture[str]) -> None:
    root = store.backend.root / "manifests"
    two, three = (json.loads((root / f"0000000{n}.json").read_bytes()) for n in (2, 3))
    two["signature"], three["signature"] = three["signature"], two["signature"]
    from annexa.evidence_store.canonical import canonical_bytes

    (root / "00000002.json").write_bytes(canonical_bytes(two))
    (root / "00000003.json").write_bytes(canonical_bytes(three))
    code, out = _verify(capsys, str(store.backend.root))
    assert code == 4
    assert any("run 2 (night-001): signature does not match" in line for line in out)
    assert any("run 3 (night-002): signature does not match" in line for line in out)


def test_a_missing_object_is_named(store: Store) -> None:
    digest = store.manifest(3)["results"]["delta"]
    (store.backend.root / "objects" / digest[:2] / digest).unlink()
    assert f"run 3 (night-002): results.delta object {digest} is missing" in _problems(store)


def test_a_foreign_key_or_a_stop_in_signing_is_flagged(
    tmp_path: Path, fake_rules_file: Path, store: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    other = generate_keypair(tmp_path / "other.key")
    write_history(open_store(str(store.backend.root), Ed25519Signer(other.private_path)), fake_rules_file, [{}], 4)
    assert any("run 5 (night-004): signed by sha256:" in p and "key change" in p for p in _problems(store))
    code, out = _verify(capsys, str(store.backend.root), "--public-key", str(tmp_path / "signing.key.pub"))
    assert code == 4 and any("run 5" in line and "not a trusted key" in line for line in out)
    write_history(open_store(str(store.backend.root)), fake_rules_file, [{}], 5)
    assert "run 6 (night-005): not signed, though the chain is signed from run 1" in _problems(store)


def test_an_unsigned_store_verifies_with_a_note(
    tmp_path: Path, fake_rules_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_history(open_store(str(tmp_path / "plain")), fake_rules_file, NIGHTS[:2])
    code, out = _verify(capsys, str(tmp_path / "plain"))
    assert code == 0 and any(line.startswith("note: no manifest is signed") for line in out)


def test_keygen_writes_a_private_key_only_its_owner_can_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "k"
    assert cli.main(["keygen", "-o", str(target)]) == 0
    out = capsys.readouterr().out
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert Ed25519Signer(target).fingerprint in out and (tmp_path / "k.pub").read_bytes().startswith(
        b"-----BEGIN PUBLIC KEY"
    )
    assert cli.main(["keygen", "-o", str(target)]) == 2
    assert "already exists" in capsys.readouterr().err


def test_a_bad_signing_key_is_a_usage_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.key"
    bad.write_text("not a key")
    with pytest.raises(UsageError, match="bad.key: not an unencrypted PEM private key"):
        Ed25519Signer(bad)


def test_collect_signs_with_the_configured_key(
    tmp_path: Path,
    fake_rules_file: Path,
    key: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from fakes import FakeCollector

    from annexa.collectors.registry import load_registry

    def registry_with_fake():  # type: ignore[no-untyped-def]
        registry = load_registry()
        registry.collectors["fake.buckets"] = FakeCollector
        return registry

    monkeypatch.setattr("annexa.pipeline.workspace.load_registry", registry_with_fake)
    config = tmp_path / "annexa.yaml"
    config.write_text(
        f"store: ./ev2\nmappings: [{fake_rules_file}]\nsigning: {{private_key: {key.name}}}\n"
        "targets:\n  - fake: {buckets: {b: {encrypted: true}}}\n"
    )
    assert cli.main(["--log-format", "json", "collect", "--config", str(config)]) == 0
    assert "signature" in open_store(str(tmp_path / "ev2")).manifest(1)
    config.write_text(config.read_text().replace(key.name, "missing.key"))
    assert cli.main(["--log-format", "json", "collect", "--config", str(config)]) == 2
    assert "annexa.yaml:3: signing key 'missing.key' does not exist" in capsys.readouterr().err


def _interrupted_store(tmp_path: Path) -> Path:
    """What an interrupted first run leaves: objects written, no manifest published."""
    from annexa.evidence_store.canonical import sha256_hex
    from annexa.evidence_store.local import LocalBackend

    root = tmp_path / "ev"
    backend = LocalBackend(root)
    for body in (b'{"a":1}', b'{"b":2}'):
        backend.put_object(sha256_hex(body), body)
    return root


def test_a_store_whose_only_run_was_interrupted_is_not_tampering(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = _interrupted_store(tmp_path)
    code, lines = _verify(capsys, "--store", str(root), "--config", str(tmp_path / "none.yaml"))
    assert code == 5
    assert lines == [
        f"NO COMPLETE RUN YET: {root}: no run has finished (2 objects of unfinished runs); nothing to verify until "
        "`annexa collect` completes one (an interrupted run publishes nothing)"
    ]
    report = verify_chain(StoreSource(open_store(str(root)).backend))
    assert report.ok is True
    assert report.no_complete_run is True
    assert report.to_dict()["no_complete_run"] is True


def test_no_run_with_an_expected_head_is_tampering(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = _interrupted_store(tmp_path)
    head = "3:" + "a" * 64
    code, lines = _verify(capsys, str(root), "--expect-head", head)
    assert code == 4
    assert lines[0] == f"problem: {root}: no manifests, but the expected head is run 3: runs were removed"
    assert lines[-1].startswith("FAILED (1 problem): ")


def test_a_pack_without_manifests_is_still_a_problem(tmp_path: Path) -> None:
    from annexa.evidence_store.trust import Trust
    from annexa.evidence_store.verify import VerifyReport, _walk

    class Empty:
        label = "pack.zip"

        def list_manifests(self) -> list[int]:
            return []

    report = VerifyReport("pack.zip")
    _walk(Empty(), None, Trust(), report, None)  # type: ignore[arg-type]
    assert report.problems == ["pack.zip: no manifests found"]
    assert report.no_complete_run is False
