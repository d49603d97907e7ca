"""End to end over real HTTP: the store in an S3 bucket on moto_server, 4 `annexa collect --shard`
processes in parallel plus `annexa seal`, compared with one unsharded `annexa collect`."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import boto3
import pytest

from annexa.demo.aws import seed

ANNEXA = str(Path(sys.executable).with_name("annexa"))
REGION = "us-east-1"
HOST_FIXTURES = Path(__file__).resolve().parent.parent / "collectors" / "host" / "fixtures"
BUCKET = "annexa-evidence"


@pytest.fixture
def env(aws_cli_env: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    cache = str(tmp_path / "cache")  # the S3 store's local index
    monkeypatch.setenv("XDG_CACHE_HOME", cache)
    return {**aws_cli_env, "XDG_CACHE_HOME": cache}


def _findings(run_annexa, env: dict[str, str], cwd: Path, store: str) -> list[tuple]:
    out = run_annexa(env, cwd, "findings", "--store", store, "--format", "json")
    assert out.returncode == 0, out.stderr
    return sorted(
        (f["rule"], f["resource"], f["status"], f["message"], json.dumps(f["scope"], sort_keys=True))
        for f in json.loads(out.stdout)
    )


def test_four_parallel_shards_and_seal_equal_one_unsharded_run(env: dict[str, str], run_annexa, tmp_path: Path) -> None:
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket=BUCKET)
    seed(boto3.Session(region_name=REGION), REGION)
    (tmp_path / "annexa.yaml").write_text(
        f"store: s3://{BUCKET}/plain\n"
        "targets:\n"
        f"  - aws: {{regions: [{REGION}]}}\n"
        f"  - host: {{root: {HOST_FIXTURES / 'hardened'}, name: hardened}}\n"
        f"  - host: {{root: {HOST_FIXTURES / 'weak'}, name: weak}}\n"
    )
    plain = run_annexa(env, tmp_path, "collect")
    assert plain.returncode in (0, 1), plain.stderr[-2000:]

    sharded = f"s3://{BUCKET}/sharded"
    shards = [
        subprocess.Popen(
            [ANNEXA, "collect", "--store", sharded, "--run-id", "night-1", "--shard", f"{k}/4"],
            cwd=tmp_path,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for k in range(4)
    ]
    for process in shards:
        _, err = process.communicate(timeout=300)
        assert process.returncode in (0, 1), err[-2000:]
    keys = {o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET, Prefix="sharded/shards/")["Contents"]}
    assert keys == {f"sharded/shards/night-1/{k}-of-4.json" for k in range(4)}

    seal = run_annexa(env, tmp_path, "seal", "--store", sharded, "--run-id", "night-1")
    assert seal.returncode == plain.returncode, seal.stderr[-2000:]
    assert "run night-1 (#1)" in seal.stdout

    unsharded_findings = _findings(run_annexa, env, tmp_path, f"s3://{BUCKET}/plain")
    assert len(unsharded_findings) > 50
    assert _findings(run_annexa, env, tmp_path, sharded) == unsharded_findings
    assert {f[2] for f in unsharded_findings} >= {"pass", "fail"}
    verify = run_annexa(env, tmp_path, "verify", "--store", sharded)
    assert verify.returncode == 0, verify.stdout + verify.stderr

    # a second seal, and a shard written again, are refused; nothing is overwritten
    again = run_annexa(env, tmp_path, "seal", "--store", sharded, "--run-id", "night-1")
    assert again.returncode == 2 and "already sealed" in again.stderr
    rewrite = run_annexa(env, tmp_path, "collect", "--store", sharded, "--run-id", "night-1", "--shard", "0/4")
    assert rewrite.returncode == 2 and "already written" in rewrite.stderr


def test_seal_names_the_missing_shard(env: dict[str, str], run_annexa, tmp_path: Path) -> None:
    boto3.client("s3").create_bucket(Bucket=BUCKET)
    (tmp_path / "annexa.yaml").write_text(
        f"store: s3://{BUCKET}/p\ntargets:\n"
        + "".join(f"  - host: {{root: {HOST_FIXTURES / 'weak'}, name: h{i}}}\n" for i in range(3))
    )
    for k in (0, 2):
        done = run_annexa(env, tmp_path, "collect", "--run-id", "night-2", "--shard", f"{k}/3")
        assert done.returncode in (0, 1), done.stderr[-2000:]
    seal = run_annexa(env, tmp_path, "seal", "--run-id", "night-2")
    assert seal.returncode == 2
    assert seal.stderr.strip().endswith("shard 1/3 has not arrived (2 of 3 present)")
    assert seal.stderr.count("\n") == 1
