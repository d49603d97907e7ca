"""End to end over real HTTP: the fake Google Cloud on 127.0.0.1, the real `annexa collect` as a
subprocess with a gcp target pointed at it (a token from the environment: Application Default
Credentials and the metadata server are never consulted), read back through `findings` and `soa`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from fakes.gcp import fake_google
from fakes.gcp_world import ORG, PROD, SANDBOX, TOKEN, TOKEN_ENV, new_world, seed

ANNEXA = str(Path(sys.executable).with_name("annexa"))


def _annexa(env: dict[str, str], cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([ANNEXA, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


def test_seeded_organisation_end_to_end(tmp_path: Path) -> None:
    world = seed(new_world())
    world.disable("sqladmin", f"/v1/projects/{SANDBOX}/instances", f"projects/{SANDBOX}")
    world.throttle("storage", "/storage/v1/b")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GOOGLE_", "CLOUDSDK_", "ANNEXA_"))}
    env.update({TOKEN_ENV: TOKEN, "GCE_METADATA_HOST": "127.0.0.1:9", "GCE_METADATA_IP": "127.0.0.1:9"})
    with fake_google(world):
        (tmp_path / "annexa.yaml").write_text(
            "store: ./evidence\n"
            "targets:\n"
            f"  - gcp: {{organization: {ORG}, endpoint: '{world.base_url}', access_token_env: {TOKEN_ENV}}}\n"
        )
        check = _annexa(env, tmp_path, "check")
        assert check.returncode == 0, check.stderr
        collect = _annexa(env, tmp_path, "collect")
    assert collect.returncode == 1, collect.stderr[-3000:]  # partial: Cloud SQL Admin is disabled in the sandbox
    logs = [json.loads(line) for line in collect.stderr.splitlines() if line.startswith("{")]
    errors = [line for line in logs if line["event"] == "collection_error"]
    assert [(e["code"], e["scope"]) for e in errors] == [("SERVICE_DISABLED", f"gcp/{SANDBOX}/global")]
    assert {r.method for r in world.requests} == {"GET", "POST"}
    assert {r.path.rsplit(":", 1)[1] for r in world.requests if r.method == "POST"} == {"getIamPolicy"}
    assert {r.token for r in world.requests} == {TOKEN}

    findings = _annexa(env, tmp_path, "findings", "--format", "json")
    assert findings.returncode == 0, findings.stderr
    results = {(f["rule"], f["resource"]): f for f in json.loads(findings.stdout)}
    assert results[("gcp.sql.no-world-authorized-networks", f"projects/{PROD}/instances/orders-db")]["status"] == "fail"
    assert results[("gcp.sql.automated-backups", f"projects/{SANDBOX}")]["status"] == "error"
    assert results[("gcp.storage.no-public-bindings", "projects/_/buckets/prod-legacy-assets")]["status"] == "fail"

    soa = _annexa(env, tmp_path, "soa", "--format", "json")
    rows = {item["control"]: item for item in json.loads(soa.stdout)}
    assert rows["A.8.15"]["evidence_class"] == "automated"
    assert rows["A.8.15"]["status"] == "partial"  # audit configs pass, the sandbox's sinks fail
    assert rows["A.5.24"]["status"] in ("partial", "not_implemented")

    blob = b"".join(p.read_bytes() for p in (tmp_path / "evidence").rglob("*") if p.is_file())
    assert TOKEN.encode() not in blob
