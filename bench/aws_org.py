"""Benchmark: annexa over a synthetic AWS Organization in moto_server, next to a minimal boto3 loop.

    python bench/aws_org.py [--accounts 5] [--per-unit 500] [--rounds 3] [--compare DIR]

Seeds `accounts` member accounts x 2 regions with security groups, EBS volumes, KMS keys
and DynamoDB tables (`per-unit` resources in each account and region, 5,000 by default),
then runs, each in its own subprocess against the same server:

- annexa: `annexa collect` over the organisation (assume role per account) with the
  collectors that read those resources (aws.ec2, aws.kms, aws.dynamodb), facts written
  to a local store and judged by the rules;
- fetch: the same collectors without the store and the rules, to show where time goes;
- loop: a minimal hand-written boto3 loop that makes the same calls (the same listings,
  and the per-resource calls AWS offers no batch API for), one after the other, keeping
  nothing.

API calls are counted with botocore's `before-call` event in both; peak memory is each
subprocess's own maxrss, CPU its own user + system time. Every side runs once per round, in
turn, for `--rounds` rounds (`--compare DIR` adds annexa from another checkout); medians and
min-max are printed, after moto_server is stopped (killed if it takes over 10 s).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import boto3
import requests

REGIONS = ("us-east-1", "eu-west-1")
ROLE = "annexa-audit"
COLLECTORS = ("aws.ec2", "aws.kms", "aws.dynamodb")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _start_moto() -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            requests.get(f"{url}/moto-api/", timeout=1)
            return process, url
        except requests.ConnectionError:
            if time.monotonic() > deadline:
                process.kill()
                raise SystemExit("moto_server did not start") from None
            time.sleep(0.1)


def _assumed(management: boto3.Session, account: str, region: str) -> boto3.Session:
    c = management.client("sts").assume_role(RoleArn=f"arn:aws:iam::{account}:role/{ROLE}", RoleSessionName="bench")[
        "Credentials"
    ]
    return boto3.Session(
        aws_access_key_id=c["AccessKeyId"],
        aws_secret_access_key=c["SecretAccessKey"],
        aws_session_token=c["SessionToken"],
        region_name=region,
    )


def _seed_unit(management: boto3.Session, account: str, region: str, per_unit: int) -> int:
    session = _assumed(management, account, region)
    ec2, kms, dynamodb = (session.client(s) for s in ("ec2", "kms", "dynamodb"))
    groups, volumes, keys = int(per_unit * 0.6), int(per_unit * 0.3), int(per_unit * 0.06)
    tables = per_unit - groups - volumes - keys
    for i in range(groups):
        gid = ec2.create_security_group(GroupName=f"sg-{i}", Description="bench")["GroupId"]
        if i % 10 == 0:
            ec2.authorize_security_group_ingress(
                GroupId=gid,
                IpPermissions=[
                    {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}
                ],
            )
    for i in range(volumes):
        ec2.create_volume(AvailabilityZone=f"{region}a", Size=1, Encrypted=i % 2 == 0)
    for _ in range(keys):
        kms.create_key(Description="bench")
    for i in range(tables):
        dynamodb.create_table(
            TableName=f"t{i}",
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
    return groups + volumes + keys + tables


def _seed(accounts: int, per_unit: int) -> int:
    management = boto3.Session(region_name=REGIONS[0])
    org = management.client("organizations")
    org.create_organization(FeatureSet="ALL")
    ids = [
        org.create_account(AccountName=f"member-{i}", Email=f"m{i}@example.com")["CreateAccountStatus"]["AccountId"]
        for i in range(accounts)
    ]
    with ThreadPoolExecutor(8) as pool:
        counts = pool.map(lambda unit: _seed_unit(management, *unit, per_unit), [(a, r) for a in ids for r in REGIONS])
        return sum(counts)


class _Counter:
    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, **_: Any) -> None:
        self.calls += 1  # the GIL makes += on an int safe enough for a count read at the end


def _count_calls() -> _Counter:
    """Count every API operation of every boto3 session made from now on."""
    counter = _Counter()
    real = boto3.Session.__init__

    def init(self: boto3.Session, *args: Any, **kwargs: Any) -> None:
        real(self, *args, **kwargs)
        self.events.register("before-call", counter)

    boto3.Session.__init__ = init  # type: ignore[method-assign]
    return counter


def _run_annexa(workdir: Path) -> dict[str, Any]:
    from annexa import cli

    counter = _count_calls()
    (workdir / "annexa.yaml").write_text(
        "store: ./evidence\ntargets:\n"
        f"  - aws: {{organization: true, role_name: {ROLE}, regions: [{', '.join(REGIONS)}],"
        f" collectors: [{', '.join(COLLECTORS)}]}}\n"
    )
    began = time.perf_counter()
    code = cli.main(["--log-format", "json", "collect", "--config", str(workdir / "annexa.yaml")])
    return {"wall_s": time.perf_counter() - began, "calls": counter.calls, "exit": code}


def _run_collectors_only() -> dict[str, Any]:
    """The same collectors and target without the store or the rules: what the fetching costs."""
    import structlog

    from annexa.collectors.base import Context, Target
    from annexa.collectors.registry import load_registry
    from annexa.model import Fact

    counter = _count_calls()
    registry = load_registry()
    target = Target("aws", {"organization": True, "role_name": ROLE, "regions": list(REGIONS)}, 0)
    context = Context(run_id="bench", log=structlog.get_logger())
    began = time.perf_counter()
    facts = errors = 0
    for name in COLLECTORS:
        for item in registry.collectors[name]().collect(target, context):
            facts, errors = (facts + 1, errors) if isinstance(item, Fact) else (facts, errors + 1)
    return {"wall_s": time.perf_counter() - began, "calls": counter.calls, "facts": facts, "errors": errors}


def _paged(client: Any, method: str, key: str, **params: Any) -> list[Any]:
    return [item for page in client.get_paginator(method).paginate(**params) for item in page[key]]


def _run_loop() -> dict[str, Any]:
    counter = _count_calls()
    began = time.perf_counter()
    management = boto3.Session(region_name=REGIONS[0])
    management.client("sts").get_caller_identity()
    accounts = _paged(management.client("organizations"), "list_accounts", "Accounts")
    seen = 0
    for account in accounts:
        session = _assumed(management, account["Id"], REGIONS[0])  # one session per account, all regions
        for region in REGIONS:
            seen += _read_region(*(session.client(s, region_name=region) for s in ("ec2", "kms", "dynamodb")))
    return {"wall_s": time.perf_counter() - began, "calls": counter.calls, "resources": seen}


def _read_region(ec2: Any, kms: Any, dynamodb: Any) -> int:
    """The minimal loop's reads of one account-region (the calls annexa's collectors make); resources seen."""
    seen = len(_paged(ec2, "describe_security_groups", "SecurityGroups"))
    ec2.get_ebs_encryption_by_default()
    seen += len(_paged(ec2, "describe_volumes", "Volumes"))
    seen += len(_paged(ec2, "describe_instances", "Reservations"))
    for key in _paged(kms, "list_keys", "Keys"):
        if kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]["KeyManager"] == "CUSTOMER":
            kms.get_key_rotation_status(KeyId=key["KeyId"])
        seen += 1
    for name in _paged(dynamodb, "list_tables", "TableNames"):
        dynamodb.describe_table(TableName=name)
        dynamodb.describe_continuous_backups(TableName=name)
        seen += 1
    return seen


def _peak_mb() -> float:
    """This process's peak RSS. VmHWM resets at exec; ru_maxrss would carry the parent's peak over."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _child(mode: str, workdir: str) -> None:
    runs = {"annexa": lambda: _run_annexa(Path(workdir)), "fetch": _run_collectors_only, "loop": _run_loop}
    cpu = time.process_time()
    result = runs[mode]()
    result["cpu_s"] = time.process_time() - cpu
    result["peak_mb"] = _peak_mb()
    print(json.dumps(result))


def _spawn(mode: str, env: dict[str, str], workdir: str) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, __file__, "--child", mode, workdir], env=env, capture_output=True, text=True, timeout=1800
    )
    if out.returncode != 0:
        raise SystemExit(f"{mode} run failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def _spread(values: list[float], digits: int = 1) -> str:
    return f"{statistics.median(values):.{digits}f} ({min(values):.{digits}f}-{max(values):.{digits}f})"


def _stop(process: subprocess.Popen[bytes]) -> None:
    """Stop moto_server without waiting on it for long: a slow shutdown must not lose the figures."""
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=5)
    parser.add_argument("--per-unit", type=int, default=500, help="resources per account and region")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds of every side")
    parser.add_argument("--compare", help="a folder holding another `annexa` package, run as side `compare`")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(*args.child)
        return

    process, url = _start_moto()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        AWS_ENDPOINT_URL=url,
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_DEFAULT_REGION=REGIONS[0],
        AWS_CONFIG_FILE="/dev/null",
        AWS_SHARED_CREDENTIALS_FILE="/dev/null",
    )
    os.environ.update({k: v for k, v in env.items() if k.startswith("AWS_")})
    sides: dict[str, tuple[str, dict[str, str]]] = {"loop": ("loop", env), "annexa": ("annexa", env)}
    if args.compare:
        sides["compare"] = ("annexa", {**env, "PYTHONPATH": args.compare})
    sides["fetch"] = ("fetch", env)
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name in sides}
    try:
        began = time.perf_counter()
        resources = _seed(args.accounts, args.per_unit)
        print(
            f"seeded {resources} resources in {args.accounts} member accounts x {len(REGIONS)} regions "
            f"in {time.perf_counter() - began:.1f}s"
        )
        for _ in range(args.rounds):  # alternating: machine drift affects every side alike
            for name, (mode, side_env) in sides.items():
                with tempfile.TemporaryDirectory() as workdir:
                    runs[name].append(_spawn(mode, side_env, workdir))
    finally:
        _stop(process)

    print(f"{args.rounds} rounds, alternating; median (min-max)")
    print(f"{'':8}{'API calls':>10}{'wall s':>20}{'CPU s':>20}{'peak MB':>20}")
    for name, results in runs.items():
        calls = sorted({r["calls"] for r in results})
        print(
            f"{name:8}{'/'.join(map(str, calls)):>10}{_spread([r['wall_s'] for r in results]):>20}"
            f"{_spread([r['cpu_s'] for r in results]):>20}{_spread([r['peak_mb'] for r in results]):>20}"
        )
    loop, annexa = runs["loop"], runs["annexa"]
    ratio = statistics.median(a["wall_s"] / b["wall_s"] for a, b in zip(annexa, loop, strict=True))
    calls_ok = max(r["calls"] for r in annexa) <= min(r["calls"] for r in loop)
    peak = max(r["peak_mb"] for r in annexa)
    print(
        f"targets: calls <= loop: {'ok' if calls_ok else 'MISSED'}; "
        f"wall <= 1.5x loop (per-round median {ratio:.2f}x): {'ok' if ratio <= 1.5 else 'MISSED'}; "
        f"peak < 300 MB ({peak:.0f}): {'ok' if peak < 300 else 'MISSED'}"
    )


if __name__ == "__main__":
    main()
