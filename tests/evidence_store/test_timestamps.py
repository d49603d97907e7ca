"""RFC 3161 timestamps on manifests, against a TSA started on 127.0.0.1 in the test (fakes/tsa.py).

At collect time a TSA that answers badly or not at all leaves the run published with the error
recorded beside it and a non-zero exit; verify then warns. A stored token that does not prove
what the signed manifest commits to (imprint, nonce, the pinned TSA, genTime) fails verify.
"""

from __future__ import annotations

import base64
import hashlib
import json
import zipfile
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

import pytest
from asn1crypto import core, tsp
from cryptography.hazmat.primitives import serialization
from fakes.tsa import LocalTsa, issue, running_tsa
from history import write_history
from servers import free_port

from annexa import cli
from annexa.evidence_store.signing import Ed25519Signer, generate_keypair
from annexa.evidence_store.store import Store, open_store
from annexa.evidence_store.timestamps import Timestamper, certificate_fingerprint, request_der
from annexa.evidence_store.trust import Trust
from annexa.evidence_store.verify import StoreSource, VerifyReport, verify_chain

OTHER = hashlib.sha256(b"other").hexdigest()  # what the `wrong_imprint` TSA stamps instead
NIGHTS = [{"b1": {"encrypted": True, "versioning": "Enabled"}}, {"b1": {"encrypted": False}}]


@pytest.fixture
def tsa() -> Iterator[LocalTsa]:
    with running_tsa() as server:
        yield server


def _der(tsa: LocalTsa) -> bytes:
    return tsa.identity.cert.public_bytes(serialization.Encoding.DER)


def _store(tmp_path: Path, tsa: LocalTsa, url: str | None = None) -> Store:
    key = generate_keypair(tmp_path / "signing.key").private_path
    return open_store(str(tmp_path / "ev"), Ed25519Signer(key), timestamper=Timestamper(url or tsa.url, _der(tsa)))


def _verify(store: Store, tsa: LocalTsa) -> VerifyReport:
    return verify_chain(StoreSource(store.backend), trust=Trust.of(tsa_certificates=[_der(tsa)]))


def _record(store: Store, seq: int) -> dict:
    raw = store.timestamp_record(seq)
    assert raw is not None
    return json.loads(raw)


def test_every_manifest_gets_a_token_that_verifies(tmp_path: Path, tsa: LocalTsa, fake_rules_file: Path) -> None:
    store = _store(tmp_path, tsa)
    runs = write_history(store, fake_rules_file, NIGHTS)
    assert store.timestamp_errors == {}
    for run, sent in zip(runs, tsa.requests, strict=True):
        manifest = store.manifest(run.seq)
        request = tsp.TimeStampReq.load(sent)
        assert request["message_imprint"]["hash_algorithm"]["algorithm"].native == "sha256"
        assert request["message_imprint"]["hashed_message"].native.hex() == run.manifest_sha256
        assert request["cert_req"].native is True
        assert str(request["nonce"].native) == manifest["timestamp"]["nonce"]  # the signed manifest names it
        assert manifest["timestamp"]["tsa"] == tsa.url
        record = _record(store, run.seq)
        assert record["manifest_sha256"] == run.manifest_sha256 and "error" not in record
    report = _verify(store, tsa)
    assert (report.problems, report.warnings, report.notes) == ([], [], [])


def test_without_a_pinned_tsa_certificate_verify_says_so(tmp_path: Path, tsa: LocalTsa, fake_rules_file: Path) -> None:
    store = _store(tmp_path, tsa)
    write_history(store, fake_rules_file, NIGHTS)
    report = verify_chain(StoreSource(store.backend))
    assert report.problems == []
    assert report.notes[-1] == (
        "2 timestamp tokens checked against the certificate each token carries: pin the TSA's certificate "
        "(`signing: {tsa_certificate: F}`, --tsa-certificate) to prove which TSA issued them"
    )


def _expected_error(mode: str, tsa: LocalTsa, run_sha: str) -> str:
    return {
        "wrong_imprint": f"the token's message imprint (sha256 {OTHER}) is not the manifest's sha256 {run_sha}",
        "other_cert": "the token is signed by a TSA certificate that is not the pinned one "
        f"({certificate_fingerprint(tsa.identity.cert)})",
        "http_500": f"the TSA {tsa.url} answered HTTP 500 Internal Server Error",
    }[mode]


@pytest.mark.parametrize("mode", ["wrong_imprint", "wrong_nonce", "other_cert", "http_500", "refused"])
def test_a_bad_or_absent_tsa_at_collect_time_is_recorded_and_warned(
    tmp_path: Path, tsa: LocalTsa, fake_rules_file: Path, mode: str
) -> None:
    tsa.mode = mode
    url = f"http://127.0.0.1:{free_port()}/tsa" if mode == "refused" else None
    store = _store(tmp_path, tsa, url)
    (run,) = write_history(store, fake_rules_file, NIGHTS[:1])
    assert store.runs()[-1].seq == 1  # the run is published: its evidence is not lost for a TSA
    error = store.timestamp_errors[1]
    if mode == "wrong_nonce":
        nonce = int(store.manifest(1)["timestamp"]["nonce"])
        assert error == f"the token's nonce {nonce + 1} is not the request's {nonce}"
    elif mode == "refused":
        assert error == f"the TSA {url} could not be reached ([Errno 111] Connection refused)"
    else:
        assert error == _expected_error(mode, tsa, run.manifest_sha256)
    assert _record(store, 1)["error"] == error and "response" not in _record(store, 1)
    report = _verify(store, tsa)
    assert report.problems == []
    assert report.warnings == [f"run 1 (night-000): not timestamped: {error}"]


def _swap_token(store: Store, tsa: LocalTsa, mode: str, gen_time: datetime | None = None) -> None:
    """Replace run 1's stored token with one the TSA issued for the same request, altered as `mode` says."""
    manifest = store.manifest(1)
    request = request_der(store.runs()[0].manifest_sha256, int(manifest["timestamp"]["nonce"]))
    identity = tsa.other if mode == "other_cert" else tsa.identity
    path = store.backend.root / "timestamps" / "00000001.json"
    record = json.loads(path.read_bytes())
    record["response"] = base64.b64encode(issue(request, identity, mode, gen_time)).decode("ascii")
    path.write_text(json.dumps(record))


def test_verify_fails_a_tampered_mismatched_or_untrusted_token(
    tmp_path: Path, tsa: LocalTsa, fake_rules_file: Path
) -> None:
    store = _store(tmp_path, tsa)
    (run,) = write_history(store, fake_rules_file, NIGHTS[:1])
    nonce = int(store.manifest(1)["timestamp"]["nonce"])
    where = "run 1 (night-000): timestamp: "
    cases = {
        "wrong_imprint": f"the token's message imprint (sha256 {OTHER}) is not the manifest's sha256 "
        f"{run.manifest_sha256}",
        "wrong_nonce": f"the token's nonce {nonce + 1} is not the request's {nonce}",
        "other_cert": "the token is signed by a TSA certificate that is not the pinned one "
        f"({certificate_fingerprint(tsa.identity.cert)})",
    }
    for mode, message in cases.items():
        _swap_token(store, tsa, mode)
        assert _verify(store, tsa).problems == [where + message]
    _swap_token(store, tsa, "good", gen_time=datetime(2026, 7, 31, tzinfo=timezone.utc))  # before the run started
    assert _verify(store, tsa).problems == [
        where + "the token's genTime 2026-07-31T00:00:00+00:00 is before the run started (2026-08-01 02:00:00+00:00)"
    ]
    _swap_token(store, tsa, "good")
    assert _verify(store, tsa).problems == []
    path = store.backend.root / "timestamps" / "00000001.json"
    record = json.loads(path.read_bytes())
    token = bytearray(base64.b64decode(record["response"]))
    token[token.index(bytes.fromhex(run.manifest_sha256)) + 3] ^= 1  # one bit of the imprint inside TSTInfo
    record["response"] = base64.b64encode(bytes(token)).decode("ascii")
    path.write_text(json.dumps(record))
    (problem,) = _verify(store, tsa).problems
    assert problem.startswith(where + "the token's message imprint")
    path.unlink()
    assert _verify(store, tsa).problems == [
        "run 1 (night-000): its timestamp record is missing (the manifest commits to one)"
    ]


def test_a_token_altered_without_changing_the_imprint_fails_the_signature(
    tmp_path: Path, tsa: LocalTsa, fake_rules_file: Path
) -> None:
    store = _store(tmp_path, tsa)
    write_history(store, fake_rules_file, NIGHTS[:1])
    path = store.backend.root / "timestamps" / "00000001.json"
    record = json.loads(path.read_bytes())
    resp = tsp.TimeStampResp.load(base64.b64decode(record["response"]))
    signed = resp["time_stamp_token"]["content"]
    info = signed["encap_content_info"]["content"].parsed
    forged = tsp.TSTInfo(
        {
            **{k: info[k] for k in ("version", "policy", "message_imprint", "nonce")},
            "serial_number": 2,
            "gen_time": info["gen_time"],
        }
    )
    signed["encap_content_info"]["content"] = core.ParsableOctetString(forged.dump())
    record["response"] = base64.b64encode(resp.dump(force=True)).decode("ascii")
    path.write_text(json.dumps(record))
    assert _verify(store, tsa).problems == [
        "run 1 (night-000): timestamp: the signed message digest is not the TSTInfo's: the token was altered"
    ]


def test_a_pack_carries_the_tokens_and_verify_checks_them(
    tmp_path: Path, tsa: LocalTsa, fake_rules_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = _store(tmp_path, tsa)
    write_history(store, fake_rules_file, NIGHTS)
    pack = tmp_path / "pack.zip"
    argv = ["--store", str(store.backend.root), "--config", "/nonexistent.yaml"]
    assert cli.main(["pack", *argv, "--from", "2026-08-01", "--to", "2026-08-02", "-o", str(pack)]) == 0
    names = zipfile.ZipFile(pack).namelist()
    assert sorted(n.split("/", 1)[1] for n in names if "/evidence/timestamps/" in n) == [
        "evidence/timestamps/00000001.json",
        "evidence/timestamps/00000002.json",
    ]
    (tmp_path / "tsa.pem").write_bytes(tsa.identity.pem)
    (tmp_path / "other.pem").write_bytes(tsa.other.pem)
    capsys.readouterr()
    assert cli.main(["verify", str(pack), "--tsa-certificate", str(tmp_path / "tsa.pem")]) == 0
    assert cli.main(["verify", str(pack), "--tsa-certificate", str(tmp_path / "other.pem")]) == 4
    out = capsys.readouterr().out
    assert (
        "problem: run 1 (night-000): timestamp: the token is signed by a TSA certificate that is not the pinned one "
        f"({certificate_fingerprint(tsa.other.cert)})" in out
    )
