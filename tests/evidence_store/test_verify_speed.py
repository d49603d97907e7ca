"""What makes `annexa verify` fast must not change what it finds: objects hashed in forked child
processes give exactly the serial results (tampering still exit 4), an unreadable object is one
line naming it (exit 2), and verify and head read only the store settings, no rules or collectors."""

from __future__ import annotations

import errno
import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from history import write_history

from annexa import cli
from annexa.evidence_store import filehash
from annexa.evidence_store.filehash import Folder, hash_folders, list_folder
from annexa.evidence_store.signing import Ed25519Signer, generate_keypair
from annexa.evidence_store.store import Store, open_store
from annexa.evidence_store.verify import StoreSource, verify_chain

NIGHTS = [{"b1": {"encrypted": n % 2 == 0}, f"b{n % 3 + 2}": {"encrypted": True}} for n in range(3)]


@pytest.fixture
def store(tmp_path: Path, fake_rules_file: Path) -> Store:
    key = generate_keypair(tmp_path / "signing.key").private_path
    store = open_store(str(tmp_path / "ev"), Ed25519Signer(key))
    write_history(store, fake_rules_file, NIGHTS)
    return store


def _folders(root: Path) -> list[Folder]:
    return [list_folder(str(root / name), f"{name}/")[0] for name in list_folder(str(root))[1]]


def test_forked_hashing_gives_the_serial_results_in_the_same_order(tmp_path: Path) -> None:
    # Empty, small, exactly one read buffer, and more than one buffer; a name that is not the digest.
    sizes = [0, 1, 530, filehash._READ, filehash._READ + 7, 3 * filehash._READ - 1]
    for folder in range(5):
        (tmp_path / f"f{folder}").mkdir()
        for number, size in enumerate(sizes[folder:] + [folder * 11]):
            data = bytes((number + folder + i) % 251 for i in range(size))
            name = hashlib.sha256(data).hexdigest() if number % 3 else f"not-a-digest-{number}"
            (tmp_path / f"f{folder}" / name).write_bytes(data)
    folders = _folders(tmp_path)
    expected = [
        (f"{folder.prefix}{name}", digest if digest != name else name, len(data))
        for folder in folders
        for name in folder.names
        for data in ((Path(folder.path) / name).read_bytes(),)
        for digest in (hashlib.sha256(data).hexdigest(),)
    ]
    assert list(hash_folders(folders, workers=1)) == expected
    for workers in (2, 3, 8):  # more workers than folders: one per folder
        assert list(hash_folders(folders, workers=workers)) == expected
    assert any(actual != name.split("/")[1] for name, actual, _size in expected)


def test_a_store_verified_in_forked_processes_reports_exactly_what_the_serial_one_does(
    store: Store, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    delta = store.get_json(store.manifest(1)["facts"]["delta"])
    digest = delta["add"][0][2]
    path = store.backend.root / "objects" / digest[:2] / digest
    path.write_bytes(path.read_bytes().replace(b"true", b"fals", 1))
    serial = verify_chain(StoreSource(store.backend)).to_dict()
    forks = []
    monkeypatch.setattr(filehash, "PARALLEL_FROM", 1)
    monkeypatch.setattr(filehash.threading, "active_count", lambda: 1)  # pytest may run threads of its own
    monkeypatch.setattr(os, "fork", lambda real=os.fork: forks.append(1) or real())
    forked = verify_chain(StoreSource(store.backend)).to_dict()
    assert forked == serial and len(forks) >= 2
    assert [p for p in serial["problems"] if p.startswith(f"object {digest}: content does not match")]
    assert cli.main(["verify", str(store.backend.root)]) == 4
    assert f"problem: object {digest}: content does not match its name" in capsys.readouterr().out
    with pytest.raises(ChildProcessError):  # every hashing process was reaped
        os.waitpid(-1, os.WNOHANG)


@pytest.mark.parametrize("forked", [False, True], ids=["serial", "forked"])
def test_an_unreadable_object_is_one_line_naming_it_exit_2(
    store: Store, forked: bool, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    digest = store.manifest(2)["results"]["delta"]
    path = store.backend.root / "objects" / digest[:2] / digest
    real_open = os.open

    def refusing_open(name: str, flags: int, *args: object, **options: object) -> int:
        if name == digest:  # as a permission would refuse it (the tests may run as root, which reads anything)
            raise PermissionError(errno.EACCES, "Permission denied", name)
        return real_open(name, flags, *args, **options)  # type: ignore[arg-type]

    if forked:
        monkeypatch.setattr(filehash, "PARALLEL_FROM", 1)
        monkeypatch.setattr(filehash.threading, "active_count", lambda: 1)
    monkeypatch.setattr(os, "open", refusing_open)
    code = cli.main(["verify", str(store.backend.root)])
    monkeypatch.undo()
    err = capsys.readouterr().err
    assert code == 2
    assert err == f"annexa: error: {path}: cannot read: Permission denied\n"


def test_verify_and_head_read_only_the_store_settings(
    store: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Behaviour change (issue 16): a broken rule file or target no longer stops verify or head, which
    use neither; the store and trust settings are still checked in full, and unknown keys refused."""
    (tmp_path / "broken.yaml").write_text("rules: [: not yaml\n")
    config = tmp_path / "annexa.yaml"
    config.write_text(f"store: {store.backend.root}\nmappings: [broken.yaml]\ntargets: [{{nosuch: {{}}}}]\n")
    assert cli.main(["verify", "--config", str(config)]) == 0
    assert cli.main(["head", "--config", str(config)]) == 0
    assert capsys.readouterr().out.splitlines()[-1].startswith("3:")
    assert cli.main(["runs", "--config", str(config)]) == 2  # a command that loads them still refuses
    capsys.readouterr()
    config.write_text(config.read_text() + "trusted_keys: [nonsense]\nstor: x\n")
    assert cli.main(["verify", "--config", str(config)]) == 2
    err = capsys.readouterr().err
    assert "annexa.yaml:5: unknown key 'stor'" in err and "annexa.yaml:4: trusted_keys: " in err


@pytest.mark.parametrize("how", ["folder", "config"])
def test_verify_imports_no_rules_collectors_reports_logging_or_index(store: Store, tmp_path: Path, how: str) -> None:
    config = tmp_path / "annexa.yaml"
    config.write_text(f"store: {store.backend.root}\ntargets: [{{host: {{}}}}]\n")
    argv = [str(store.backend.root)] if how == "folder" else ["--config", str(config)]
    probe = (
        "import sys\nfrom annexa.cli import main\n"
        f"code = main(['verify', *{argv!r}])\n"
        "print(__import__('json').dumps([code, sorted(sys.modules)]))\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    code, modules = json.loads(done.stdout.splitlines()[-1])
    assert code == 0
    heavy = ("annexa.mappings", "annexa.collectors", "annexa.reports", "annexa.config", "structlog", "sqlite3")
    assert [m for m in modules if m.startswith(heavy) or m == "annexa.evidence_store.store"] == []


@pytest.mark.parametrize(
    "value",
    [
        {},
        {"signature": {"value": "x"}},
        {"a": 1, "signature": [1, "é"], "sig": None, "signaturf": {"z": 1, "a": [2.5]}, "signature2": "s"},
        {"previous": None, "sequence": 3, "batches": {"k": {"facts": 1}}, "zz": "\u2028"},
    ],
)
def test_a_manifest_and_its_signed_bytes_from_one_encoding_are_the_canonical_ones(value: dict[str, object]) -> None:
    from annexa.evidence_store.canonical import canonical_bytes, canonical_with_and_without
    from annexa.evidence_store.signing import signed_bytes

    assert canonical_with_and_without(value, "signature") == (canonical_bytes(value), signed_bytes(value))


@pytest.mark.parametrize("count", [0, 1, 4096, 4097, 9000])
def test_the_state_commitment_hashed_in_chunks_is_the_whole_arrays(count: int) -> None:
    from annexa.evidence_store.canonical import canonical_bytes
    from annexa.evidence_store.state import entries_digest

    entries = [[f"kind{i % 7}", f"résource-{i}", "a" * (i % 5), None, i] for i in range(count)]
    assert entries_digest(entries) == hashlib.sha256(canonical_bytes(entries)).hexdigest()
