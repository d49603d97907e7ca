"""A pack of timestamped runs carries the RFC 3161 records, and its VERIFY.md tells an auditor how to
check them with annexa and with OpenSSL alone; OpenSSL (`openssl ts -verify`) is the outside judge of
the tokens the local TSA (tests/fakes/tsa.py) issued and annexa accepted."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import zipfile
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

import pytest
from fakes import run_cli
from fakes.tsa import LocalTsa, running_tsa

from annexa.evidence_store.signing import generate_keypair
from annexa.evidence_store.timestamps import Timestamper

pytestmark = pytest.mark.usefixtures("fake_collector_installed")


@pytest.fixture
def tsa() -> Iterator[LocalTsa]:
    with running_tsa() as server:
        yield server


def _step_seven(verify_md: str) -> str:
    """The shell lines of VERIFY.md's step 7, as an auditor would paste them."""
    block = verify_md.split("\n7. The timestamps.", 1)[1]
    return "\n".join(line[7:] for line in block.splitlines() if line.startswith("       "))


def _pack(tmp_path: Path, fake_rules_file: Path, tsa: LocalTsa, capsys: pytest.CaptureFixture[str]) -> Path:
    generate_keypair(tmp_path / "signing.key")
    (tmp_path / "tsa.pem").write_bytes(tsa.identity.pem)
    config = tmp_path / "annexa.yaml"
    config.write_text(
        f"store: ./evidence\nmappings: [{fake_rules_file}]\n"
        f"signing: {{private_key: signing.key, timestamp_url: '{tsa.url}', tsa_certificate: tsa.pem}}\n"
        "targets:\n  - fake: {buckets: {b1: {encrypted: true, versioning: Enabled}}}\n"
    )
    assert run_cli(capsys, "collect", "--config", str(config))[0] == 0
    tsa.mode = "http_500"  # the second night's TSA fails: its record keeps the error
    assert run_cli(capsys, "collect", "--config", str(config))[0] == 1
    today = datetime.now(timezone.utc).date().isoformat()
    out = tmp_path / "pack.zip"
    code, _, err = run_cli(capsys, "pack", "--config", str(config), "--from", today, "--to", today, "-o", str(out))
    assert code == 0, err
    with zipfile.ZipFile(out) as archive:
        archive.extractall(tmp_path / "unpacked")
        (root,) = {name.split("/", 1)[0] for name in archive.namelist()}
    return tmp_path / "unpacked" / root


def test_pack_carries_timestamps_and_openssl_checks_them(
    tmp_path: Path,
    fake_rules_file: Path,
    tsa: LocalTsa,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Run 1's nonce starts with a zero nibble: OpenSSL prints it as 0x0123..., printf as 0x123...
    # (a random nonce hit this one time in eight and made the shell check cry WRONG NONCE).
    nonces = iter([0x0123456789ABCDEF, 0x7EDCBA9876543211])
    monkeypatch.setattr(Timestamper, "nonce", staticmethod(lambda: next(nonces)))
    unpacked = _pack(tmp_path, fake_rules_file, tsa, capsys)
    assert json.loads((unpacked / "pack.json").read_text())["timestamped"] == [1, 2]
    assert sorted(p.name for p in (unpacked / "evidence" / "timestamps").iterdir()) == [
        "00000001.json",
        "00000002.json",
    ]
    verify_md = (unpacked / "VERIFY.md").read_text()
    assert "RFC 3161 timestamp records, for 2 of the runs" in verify_md
    assert "Add `--tsa-certificate tsa.pem`" in verify_md

    code, out, _ = run_cli(capsys, "verify", str(unpacked), "--tsa-certificate", str(tmp_path / "tsa.pem"))
    assert code == 0, out
    if not (shutil.which("openssl") and shutil.which("jq") and shutil.which("bash")):
        pytest.skip("openssl, jq and bash are needed for the standard-tools check")
    script = _step_seven(verify_md)

    def run(pem: bytes) -> list[str]:
        (unpacked / "tsa.pem").write_bytes(pem)
        done = subprocess.run(["bash", "-c", script], cwd=unpacked, capture_output=True, text=True, check=True)
        return done.stdout.splitlines()

    # With the genuine TSA certificate: run 1's token verifies, run 2 is reported as never stamped.
    (line,) = run(tsa.identity.pem)
    assert re.fullmatch(r"NOT TIMESTAMPED evidence/manifests/00000002\.json: the TSA .* answered HTTP 500 .*", line)
    # Another TSA's certificate: OpenSSL refuses run 1's token, as annexa does.
    assert run(tsa.other.pem)[0] == "BAD TIMESTAMP evidence/manifests/00000001.json"
    code, out, _ = run_cli(capsys, "verify", str(unpacked), "--tsa-certificate", str(unpacked / "tsa.pem"))
    assert code == 4 and "not the pinned one" in out
