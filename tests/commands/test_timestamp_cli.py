"""`signing: {timestamp_url, tsa_certificate}` through the CLI: collect exits 1 (the run kept, the
error on stderr) when the TSA fails, 0 when it answers; verify checks the tokens; bad config exits 2."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fakes import run_cli
from fakes.tsa import LocalTsa, running_tsa

from annexa.evidence_store.signing import generate_keypair

pytestmark = pytest.mark.usefixtures("fake_collector_installed")


@pytest.fixture
def tsa() -> Iterator[LocalTsa]:
    with running_tsa() as server:
        yield server


def _config(tmp_path: Path, rules_file: Path, signing: str) -> str:
    generate_keypair(tmp_path / "signing.key")
    path = tmp_path / "annexa.yaml"
    path.write_text(
        f"store: ./evidence\nmappings: [{rules_file}]\nsigning: {signing}\n"
        "targets:\n  - fake: {buckets: {b1: {encrypted: true, versioning: Enabled}}}\n"
    )
    return str(path)


def test_collect_stamps_and_verify_checks(
    tmp_path: Path, fake_rules_file: Path, tsa: LocalTsa, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "tsa.pem").write_bytes(tsa.identity.pem)
    config = _config(
        tmp_path, fake_rules_file, f"{{private_key: signing.key, timestamp_url: '{tsa.url}', tsa_certificate: tsa.pem}}"
    )
    code, out, err = run_cli(capsys, "collect", "--config", config)
    assert code == 0, err
    assert len(tsa.requests) == 1
    code, out, _ = run_cli(capsys, "verify", "--config", config, "--format", "json")
    report = json.loads(out)
    assert (code, report["problems"], report["warnings"]) == (0, [], [])

    tsa.mode = "http_500"
    code, out, err = run_cli(capsys, "collect", "--config", config)
    assert code == 1
    assert f"timestamp: run #2 is not timestamped: the TSA {tsa.url} answered HTTP 500 Internal Server Error" in err
    code, out, _ = run_cli(capsys, "runs", "--config", config, "--format", "json")
    assert [r["sequence"] for r in json.loads(out)] == [1, 2]  # the night's evidence is kept
    code, out, _ = run_cli(capsys, "verify", "--config", config, "--format", "json")
    report = json.loads(out)
    assert (code, report["problems"]) == (0, [])
    assert report["warnings"] == [
        f"run 2 ({json.loads(run_cli(capsys, 'runs', '--config', config, '--format', 'json')[1])[1]['run_id']}): "
        f"not timestamped: the TSA {tsa.url} answered HTTP 500 Internal Server Error"
    ]

    # An auditor without the configuration pins the TSA's certificate on the command line.
    (tmp_path / "other.pem").write_bytes(tsa.other.pem)
    store = str(tmp_path / "evidence")
    code, out, _ = run_cli(capsys, "verify", store, "--tsa-certificate", str(tmp_path / "tsa.pem"))
    assert code == 0
    code, out, _ = run_cli(capsys, "verify", store, "--tsa-certificate", str(tmp_path / "other.pem"))
    assert code == 4
    assert "timestamp: the token is signed by a TSA certificate that is not the pinned one" in out


@pytest.mark.parametrize(
    ("signing", "needle"),
    [
        ("{private_key: signing.key, timestamp_url: 'http://127.0.0.1:1/'}", "`tsa_certificate` is needed too"),
        ("{private_key: signing.key, timestamp_url: 'ftp://x/', tsa_certificate: tsa.pem}", "is not an http(s) URL"),
        ("{private_key: signing.key, timestamp_url: 'http://x/', tsa_certificate: signing.key}", "is not a PEM or DER"),
        ("{private_key: signing.key, tsa: x}", "`signing` must be `{private_key: PATH}`"),
    ],
)
def test_bad_timestamp_settings_exit_2(
    tmp_path: Path, fake_rules_file: Path, capsys: pytest.CaptureFixture[str], signing: str, needle: str
) -> None:
    (tmp_path / "tsa.pem").write_bytes(b"")
    config = _config(tmp_path, fake_rules_file, signing)
    code, _, err = run_cli(capsys, "collect", "--config", config)
    assert code == 2 and "annexa.yaml:3: " in err and needle in err
    assert not (tmp_path / "evidence" / "manifests").exists()
