"""End to end over real HTTP: the fake ARM/Graph on 127.0.0.1, the real `annexa collect` as a
subprocess with an Azure target pointed at it, read back through `annexa findings` and `soa`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from fakes.azure import fake_azure
from fakes.azure_world import ARM_ENV, BREAK_GLASS_GROUP, GRAPH_ENV, PROD, SANDBOX, new_world, seed

ANNEXA = str(Path(sys.executable).with_name("annexa"))


def _annexa(env: dict[str, str], cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([ANNEXA, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


def test_seeded_tenant_end_to_end(tmp_path: Path) -> None:
    world = new_world()
    expectations = seed(world)
    assert len(expectations) > 60
    world.throttle("arm", f"/subscriptions/{PROD}/providers/Microsoft.Security/pricings", retry_after="1")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AZURE_", "ANNEXA_"))}
    env.update({ARM_ENV: world.arm_token, GRAPH_ENV: world.graph_token})
    with fake_azure(world):
        (tmp_path / "annexa.yaml").write_text(
            "store: ./evidence\n"
            "targets:\n"
            "  - azure:\n"
            f"      arm_endpoint: {world.arm_endpoint}\n"
            f"      graph_endpoint: {world.graph_endpoint}\n"
            f"      credential: {{type: access_token_env, arm_token_env: {ARM_ENV}, graph_token_env: {GRAPH_ENV}}}\n"
            f"      break_glass_accounts: [{BREAK_GLASS_GROUP}]\n"
        )
        check = _annexa(env, tmp_path, "check")
        assert check.returncode == 0, check.stderr
        collect = _annexa(env, tmp_path, "collect")
    assert collect.returncode == 1, collect.stderr[-3000:]  # partial: the sandbox's Key Vaults are denied
    logs = [json.loads(line) for line in collect.stderr.splitlines() if line.startswith("{")]
    errors = [line for line in logs if line["event"] == "collection_error"]
    assert [(e["code"], e["scope"]) for e in errors] == [("AuthorizationFailed", f"azure/{SANDBOX}/global")]
    assert world.methods() == {"GET"}  # read-only, proven on the wire
    throttled = [r for r in world.requests if r.path.endswith(f"{PROD}/providers/Microsoft.Security/pricings")]
    assert len(throttled) == 2  # the 429 was retried after Retry-After

    findings = _annexa(env, tmp_path, "findings", "--format", "json")
    assert findings.returncode == 0, findings.stderr
    results = {(f["rule"], f["resource"]): f for f in json.loads(findings.stdout)}
    mismatches = [
        (e.rule, e.resource, e.status, results.get((e.rule, e.resource), {}).get("status"))
        for e in expectations
        if results.get((e.rule, e.resource), {}).get("status") != e.status
    ]
    assert not mismatches, mismatches
    for finding in results.values():
        if finding["rule"].startswith("azure."):
            assert finding["controls"] and finding["scope"]["provider"] == "azure"
            if finding["status"] == "fail":
                assert finding["remediation"]

    soa = _annexa(env, tmp_path, "soa", "--format", "json")
    rows = {item["control"]: item for item in json.loads(soa.stdout)}
    statuses = {control: row["status"] for control, row in rows.items()}
    # Key Vault recovery evidence (soft delete, purge protection: key management, A.8.24) is missing in one
    # subscription, and a known failure elsewhere decides the status (a fresh failure is never hidden behind
    # `error`); the error still shows in the counts.
    # (passes beside the failures: partial)
    assert statuses["A.8.24"] == "partial" and rows["A.8.24"]["evidence_class"] == "automated"
    # (AKS secrets under a customer KMS key: one cluster passes, three fail)
    assert rows["A.8.24"]["results"] == {"pass": 15, "fail": 13, "error": 5}
    assert statuses["A.8.13"] == "partial" and rows["A.8.13"]["evidence_class"] == "automated"

    blob = b"".join(p.read_bytes() for p in (tmp_path / "evidence").rglob("*") if p.is_file())
    assert world.arm_token.encode() not in blob and world.graph_token.encode() not in blob
