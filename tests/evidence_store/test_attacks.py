"""An insider with write access to the store or the pack tries for a clean audit (issue 16).

Each test is one attack, done as a person would do it (sqlite3 on the index, rewritten and
re-linked JSON, a new key, recomputed SHA256SUMS), and checks that annexa refuses with one
line naming what differs and exit 4, while the untouched evidence still verifies clean.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fakes import FAKE_RULES, FakeCollector
from history import write_history
from prowler_sample import write_sample

from annexa import cli
from annexa.collectors.registry import Registry, load_registry
from annexa.evidence_store.canonical import canonical_bytes, sha256_hex
from annexa.evidence_store.signing import Ed25519Signer, generate_keypair
from annexa.evidence_store.state import state_digest
from annexa.evidence_store.store import open_store

pytestmark = pytest.mark.usefixtures("fake_collector_installed")

# b1 fails encryption on nights 1 and 3; b2 always passes: the latest run (4) has a failure.
NIGHTS = [{"b1": {"encrypted": n % 2 == 0, "versioning": "Enabled"}, "b2": {"encrypted": True}} for n in range(4)]
ROOT = "annexa-pack-2026-08-01_2026-08-04"


def _registry_with_fake() -> Registry:
    registry = load_registry()
    registry.collectors["fake.buckets"] = FakeCollector
    return registry


@pytest.fixture(scope="module")
def genuine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A signed store of four nights, its signing key, a config that pins it, and a sealed pack."""
    root = tmp_path_factory.mktemp("genuine")
    (root / "rules.yaml").write_text(FAKE_RULES)
    key = generate_keypair(root / "signing.key")
    write_history(open_store(str(root / "ev"), Ed25519Signer(key.private_path)), root / "rules.yaml", NIGHTS[:3])
    # the last night through `annexa collect`, so the store also holds a run the CLI wrote
    (root / "annexa.yaml").write_text(
        f"store: {root / 'ev'}\nmappings: [{root / 'rules.yaml'}]\nsigning: {{private_key: {key.private_path}}}\n"
        "attesters: [{name: Jo Park, role: Facilities manager}]\n"
        "targets:\n  - fake: {buckets: {b1: {encrypted: false, versioning: Enabled}, b2: {encrypted: true}}}\n"
    )
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("annexa.pipeline.workspace.load_registry", _registry_with_fake)
        assert cli.main(["collect", "--no-notify", "--config", str(root / "annexa.yaml")]) == 0
        code = cli.main(
            ["pack", "--config", str(root / "annexa.yaml"), "--from", "2026-08-01", "--to", "2030-01-01"]
            + ["-o", str(root / "pack.zip")]
        )
    assert code == 0
    (root / "fingerprint").write_text(key.fingerprint)
    return root


@pytest.fixture
def world(genuine: Path, tmp_path: Path) -> Path:
    """A private copy of the genuine store, config and pack for one attack."""
    shutil.copytree(genuine, tmp_path / "w")
    root = tmp_path / "w"
    config = (root / "annexa.yaml").read_text().replace(str(genuine), str(root))
    (root / "annexa.yaml").write_text(config)
    return root


def _cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, list[str], list[str]]:
    code = cli.main(["--log-format", "json", *argv])
    captured = capsys.readouterr()
    return code, captured.out.splitlines(), [line for line in captured.err.splitlines() if not line.startswith("{")]


def _pin(world: Path) -> list[str]:
    return ["--trusted-key", (world / "fingerprint").read_text()]


def _refused(code: int, err: list[str], *words: str) -> None:
    assert code == 4, err
    assert len(err) == 1 and err[0].startswith("annexa: error: "), err
    for word in words:
        assert word in err[0], err[0]


REPORTS = (
    ("soa", "--format", "json"),
    ("findings", "--format", "json"),
    ("drift",),
    ("nonconformities", "--format", "json"),
    ("export", "oscal"),
    ("runs",),
)


def test_untouched_evidence_is_clean_everywhere(world: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = ["--config", str(world / "annexa.yaml")]
    code, out, _ = _cli(capsys, "verify", *config)
    assert code == 0 and out[-1].startswith("OK (integrity and origin: signed by the trusted sha256:"), out
    for report in REPORTS:
        code, _, err = _cli(capsys, *report, *config)
        assert code in (0, 3), (report, err)
    code, out, _ = _cli(capsys, "verify", str(world / "pack.zip"), *_pin(world))
    assert code == 0 and out[-1].startswith("OK (integrity and origin"), out


def test_an_edited_index_makes_every_report_refuse(world: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = ["--config", str(world / "annexa.yaml")]
    with sqlite3.connect(world / "ev" / "index.sqlite") as db:
        assert db.execute("UPDATE results SET status='pass' WHERE status IN ('fail','error')").rowcount > 0
    for report in (*REPORTS[:5], ("findings", "--format", "csv")):
        code, out, err = _cli(capsys, *report, *config)
        _refused(code, err, "index.sqlite: results of run", "is pass in the index, fail in the evidence")
        assert out == []  # streamed reports check the run before their first byte
    code, _, err = _cli(
        capsys, "pack", *config, "--from", "2026-08-01", "--to", "2030-01-01", "-o", str(world / "p.zip")
    )
    _refused(code, err, "index.sqlite")
    assert not (world / "p.zip").exists()
    # the evidence itself is intact: verify is clean, and reindex (which verifies first) repairs the index
    assert _cli(capsys, "verify", *config)[0] == 0
    assert _cli(capsys, "reindex", *config)[0] == 0
    code, out, _ = _cli(capsys, "findings", "--status", "fail", "--format", "json", *config)
    failing = {(f["rule"], f["resource"]) for f in json.loads("\n".join(out))}
    assert code == 0 and ("fake.bucket-encrypted", "arn:fake:bucket/b1") in failing


def test_a_run_hidden_in_the_index_is_found(world: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Marking the newest collection run as an attestation would make `latest` an older, cleaner run."""
    with sqlite3.connect(world / "ev" / "index.sqlite") as db:
        db.execute("UPDATE runs SET type='attestation' WHERE seq=4")
    code, _, err = _cli(capsys, "soa", "--config", str(world / "annexa.yaml"))
    _refused(code, err, "run 4 is recorded as an attestation run, its manifest says collection")


def _rewrite_delta(world: Path, seq: int) -> tuple[str, bytes]:
    """Turn every result of run `seq`'s delta into a pass; returns (its name, the forged bytes)."""
    manifest = json.loads((world / "ev" / "manifests" / f"{seq:08d}.json").read_bytes())
    digest = manifest["results"]["delta"]
    delta = json.loads((world / "ev" / "objects" / digest[:2] / digest).read_bytes())
    delta["add"] = [[e[0], e[1], "pass", "forged", *e[4:]] for e in delta["add"]]
    return digest, canonical_bytes(delta)


def test_a_delta_edited_in_place_is_refused_by_reindex_and_reports(
    world: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = ["--config", str(world / "annexa.yaml")]
    digest, forged = _rewrite_delta(world, 4)
    (world / "ev" / "objects" / digest[:2] / digest).write_bytes(forged)
    code, out, err = _cli(capsys, "reindex", *config)
    assert code == 4 and any(f"object {digest}: content does not match its name" in line for line in out), out
    assert len(err) == 1 and err[0].startswith(f"annexa: error: {world / 'ev'}: not reindexed: verification found")
    (world / "ev" / "index.sqlite").unlink()  # a report that has to build the index itself
    code, _, err = _cli(capsys, "soa", *config)
    _refused(code, err, f"object {digest} does not match its sha256")


def _forge_chain(world: Path, key: Path | None, edit: Callable[[dict[str, Any], int], None]) -> None:
    """Rewrite every manifest with `edit`, recompute what a careful forger would (state commitments,
    summaries, links) and sign with `key` (None: no signature at all)."""
    signer = Ed25519Signer(key) if key else None
    facts: dict[tuple[str, str], tuple[Any, ...]] = {}
    results: dict[tuple[str, str], tuple[Any, ...]] = {}
    previous = None
    folder = world / "ev" / "manifests"
    for path in sorted(folder.iterdir()):
        manifest = json.loads(path.read_bytes())
        seq = manifest["sequence"]
        manifest.pop("signature", None)
        edit(manifest, seq)
        for part, live in (("facts", facts), ("results", results)):
            digest = manifest[part]["delta"]
            delta = json.loads((world / "ev" / "objects" / digest[:2] / digest).read_bytes())
            for key_ in delta["remove"]:
                live.pop(tuple(key_), None)
            for e in delta["add"]:
                live[(e[0], e[1])] = (*e[2:4], seq) if part == "facts" else (*e[2:5], e[5] if len(e) > 5 else None, seq)
            manifest[part]["state"] = state_digest(live)
        summary: dict[str, int] = {}
        for value in results.values():
            summary[value[0]] = summary.get(value[0], 0) + 1
        manifest["results"]["summary"] = summary
        if previous is not None:
            manifest["previous"]["sha256"] = previous
        if signer is not None:
            manifest["signature"] = signer(canonical_bytes(manifest))
        raw = canonical_bytes(manifest)
        path.write_bytes(raw)
        previous = sha256_hex(raw)
    (world / "ev" / "index.sqlite").unlink()


def _all_pass(world: Path) -> Callable[[dict[str, Any], int], None]:
    def edit(manifest: dict[str, Any], seq: int) -> None:
        _digest, forged = _rewrite_delta(world, seq)
        new = sha256_hex(forged)
        (world / "ev" / "objects" / new[:2]).mkdir(exist_ok=True)
        (world / "ev" / "objects" / new[:2] / new).write_bytes(forged)
        manifest["results"]["delta"] = new

    return edit


def test_a_chain_resigned_with_another_key_fails_against_the_pinned_key(
    world: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    forger = generate_keypair(world / "forger.key")
    _forge_chain(world, forger.private_path, _all_pass(world))
    code, out, _ = _cli(capsys, "verify", str(world / "ev"))  # nothing pinned: integrity only, and it says so
    assert code == 0 and out[-1].startswith("OK (integrity only, origin not proven: no trusted key pinned"), out
    code, out, _ = _cli(capsys, "verify", str(world / "ev"), *_pin(world))
    assert (
        code == 4
        and f"problem: run 1 (night-000): signed by {forger.fingerprint}, which is not a trusted key"
        in (out[0].split(" (--trusted-key")[0])
    )
    config = ["--config", str(world / "annexa.yaml")]
    assert _cli(capsys, "verify", *config)[0] == 4  # the configured key is pinned too
    code, _, err = _cli(capsys, "soa", *config)
    _refused(code, err, f"signed by {forger.fingerprint}, which is not a trusted key")


def test_stripped_signatures_fail_once_signing_is_expected(world: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _forge_chain(world, None, _all_pass(world))
    code, out, _ = _cli(capsys, "verify", str(world / "ev"))
    assert code == 0 and out[-1].startswith("OK (integrity only, origin not proven: not signed)"), out
    code, out, _ = _cli(capsys, "verify", str(world / "ev"), *_pin(world))
    assert code == 4 and "problem: run 4: not signed, and no run is; signatures are required" in out[0], out
    config = ["--config", str(world / "annexa.yaml")]
    assert _cli(capsys, "verify", *config)[0] == 4
    code, _, err = _cli(capsys, "findings", *config)
    _refused(code, err, "is not signed, and no signed run after it vouches for it")


def test_only_the_newest_signature_stripped_is_a_failure(world: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = world / "ev" / "manifests" / "00000004.json"
    manifest = json.loads(path.read_bytes())
    del manifest["signature"]
    path.write_bytes(canonical_bytes(manifest))
    code, out, _ = _cli(capsys, "verify", str(world / "ev"))
    assert code == 4 and "problem: run 4 (" in out[0] and "not signed, though the chain is signed from run 1" in out[0]


def test_a_truncated_tail_fails_against_the_published_head(world: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = ["--config", str(world / "annexa.yaml")]
    code, out, _ = _cli(capsys, "head", *config)
    assert code == 0 and len(out) == 1
    head = out[0]
    seq, sha = head.split(":")
    assert seq == "4" and sha == hashlib.sha256((world / "ev/manifests/00000004.json").read_bytes()).hexdigest()
    assert _cli(capsys, "verify", *config, "--expect-head", head)[0] == 0
    (world / "ev" / "manifests" / "00000004.json").unlink()
    code, out, _ = _cli(capsys, "verify", *config)
    assert code == 0  # without the anchor, a chain cut at its end is a valid shorter chain
    code, out, _ = _cli(capsys, "verify", *config, "--expect-head", head)
    assert code == 4
    assert f"problem: runs after 3 are missing: the expected head is run 4 ({sha}), but the chain ends at run 3" in out
    # the index, which had seen run 4, makes reports refuse too
    code, _, err = _cli(capsys, "runs", *config)
    _refused(code, err, "the index holds run 4", "no longer in the store")


def _edit_pack(pack: Path, out: Path, change: Callable[[dict[str, bytes]], None]) -> None:
    """Change the files of a pack, recompute SHA256SUMS as `sha256sum` would, keep the seal as it was."""
    with zipfile.ZipFile(pack) as src:
        files = {info.filename.split("/", 1)[1]: src.read(info) for info in src.infolist() if not info.is_dir()}
    change(files)
    listed = sorted(name for name in files if name not in ("SHA256SUMS", "SEAL.json"))
    files["SHA256SUMS"] = "".join(f"{hashlib.sha256(files[n]).hexdigest()}  {n}\n" for n in listed).encode()
    with zipfile.ZipFile(out, "w") as dst:
        for name, data in files.items():
            dst.writestr(f"{ROOT}/{name}", data)


@pytest.mark.parametrize(
    "name",
    [
        "index.html",
        "controls/A.8.24.html",
        "soa.xlsx",
        "nonconformities.xlsx",
        "nonconformities.csv",
        "nonconformities.json",
        "VERIFY.md",
        "pack.json",
    ],
)
def test_each_kind_of_pack_file_edited_with_recomputed_sums_fails(
    world: Path, name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    def change(files: dict[str, bytes]) -> None:
        if name == "pack.json":  # claim a longer period than the evidence covers
            meta = json.loads(files[name])
            meta["period"]["to"] = "2031-12-31"
            files[name] = json.dumps(meta, indent=2).encode()
        else:
            files[name] = files[name].replace(b"not_implemented", b"implemented").replace(b"open", b"fixed") + b" "

    forged = world / "forged.zip"
    _edit_pack(world / "pack.zip", forged, change)
    code, out, _ = _cli(capsys, "verify", str(forged), *_pin(world))
    assert code == 4
    assert any(line.startswith("problem: SEAL.json: the signed sums is") for line in out), out
    if name == "pack.json":
        assert any(line.startswith("problem: SEAL.json: the signed period is") for line in out), out


def test_dropping_the_packs_last_run_fails(world: Path, capsys: pytest.CaptureFixture[str]) -> None:
    def drop(files: dict[str, bytes]) -> None:
        for name in [n for n in files if "00000004" in n]:
            del files[name]
        meta = json.loads(files["pack.json"])
        meta["runs"]["last"], meta["period"]["to"] = 3, "2026-08-03"
        files["pack.json"] = json.dumps(meta, indent=2).encode()

    forged = world / "forged.zip"
    _edit_pack(world / "pack.zip", forged, drop)
    code, out, _ = _cli(capsys, "verify", str(forged), *_pin(world))
    assert code == 4
    assert any(line.startswith("problem: SEAL.json: the signed runs is") for line in out), out
    assert any(line.startswith("problem: SEAL.json: the signed head is") for line in out), out
    # stripping the seal as well leaves an unsealed pack, which fails once a key is pinned
    stripped = world / "stripped.zip"
    _edit_pack(forged, stripped, lambda files: files.pop("SEAL.json"))
    code, out, _ = _cli(capsys, "verify", str(stripped), *_pin(world))
    assert code == 4 and any("the pack is not sealed (SEAL.json is missing)" in line for line in out), out


def test_a_zip_bomb_in_a_pack_is_refused_unread(world: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bomb = world / "bomb.zip"
    shutil.copy(world / "pack.zip", bomb)
    with zipfile.ZipFile(bomb, "a") as archive:
        archive.writestr(f"{ROOT}/evidence/objects/00/{'0' * 64}", b"x")
    # declare 4 GB uncompressed for the new member in its central directory record (what zipfile trusts)
    data = bytearray(bomb.read_bytes())
    central = data.rindex(b"PK\x01\x02")
    data[central + 24 : central + 28] = (4_000_000_000).to_bytes(4, "little")
    bomb.write_bytes(bytes(data))
    code, out, _ = _cli(capsys, "verify", str(bomb), *_pin(world))
    assert code == 4
    assert any("declares 4000000000 bytes uncompressed, over the limit" in line and "not read" in line for line in out)


def test_attestations_and_imports_in_a_signed_store_verify_clean(
    world: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = ["--config", str(world / "annexa.yaml")]
    code, _, err = _cli(
        capsys,
        "attest",
        "A.6.4",
        "--note",
        "Disciplinary process applied",
        "--by",
        "Jo Park",
        "--result",
        "effective",
        *config,
    )
    assert code == 0, err
    sample = write_sample(world / "prowler.ocsf.json")
    code, _, err = _cli(capsys, "import", "prowler", str(sample), *config)
    assert code == 0, err
    assert _cli(capsys, "collect", "--no-notify", *config)[0] == 0
    code, out, _ = _cli(capsys, "verify", str(world / "ev"), *_pin(world))
    assert code == 0, out
    assert out[-1].startswith("OK (integrity and origin") and "7 signed manifests" in out[-1], out
    types = {r["type"] for r in json.loads("\n".join(_cli(capsys, "runs", "--format", "json", *config)[1]))}
    assert types == {"collection", "attestation"}


def test_a_store_without_a_signing_key_refuses_to_write_once_keys_are_pinned(
    world: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = (
        (world / "annexa.yaml")
        .read_text()
        .replace("signing:", "trusted_keys: [" + (world / "fingerprint").read_text() + "]\n#")
    )
    (world / "reader.yaml").write_text(config)
    code, _, err = _cli(
        capsys,
        "attest",
        "A.6.4",
        "--note",
        "x",
        "--by",
        "Jo Park",
        "--result",
        "effective",
        "--config",
        str(world / "reader.yaml"),
    )
    assert code == 2 and "requires signed runs" in err[0] and "nothing was written" in err[0]
    assert len(list((world / "ev" / "manifests").iterdir())) == 4
