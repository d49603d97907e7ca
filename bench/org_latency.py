"""Benchmark: annexa over an organisation behind real-world API latency, next to a boto3 loop at the same concurrency.

    .venv/bin/python bench/org_latency.py                      # 30 accounts x 4 regions, 30,000 resources
    .venv/bin/python bench/org_latency.py --quick              # 4 accounts x 2 regions, 800 resources
    .venv/bin/python bench/org_latency.py --compare DIR        # also annexa from DIR/annexa (side `compare`)

A proxy on 127.0.0.1 sits in front of moto_server and delays every request by `--latency` ms
plus up to `--jitter` ms, and answers a throttling error (as AWS does: RequestLimitExceeded for
EC2, ThrottlingException for JSON APIs, Throttling otherwise) to an account's credentials above
`--rate` requests per second. Seeded: security groups, EBS volumes, KMS keys and DynamoDB
tables in every account and region (aws.ec2, aws.kms, aws.dynamodb read them).

Each round runs, in turn, in its own subprocess:
- annexa: `annexa collect` over the organisation (store written, rules judged);
- compare (with `--compare DIR`): the same, with the `annexa` package in DIR (another checkout);
- loop: a minimal boto3 loop making the same calls, with a thread pool of the size annexa uses
  (one thread per account x region unit, at most 32), keeping nothing.
Printed per side (median, min-max over the rounds): wall, requests and throttled answers seen at
the proxy, CPU (of which in the kernel) and peak RSS of the subprocess; for annexa also the *ideal*
wall (requests x mean latency / concurrency) and CPU per resource.

Every run's store is kept until the last round ends, as a nightly job's store is kept (about
0.5 GB per annexa run at the default size). Deleting each store as its run ended made the sides
that write files pay for the bench's cleanup: on ext4 without a journal, a new file's inode is
searched for past recently freed ones (ext4's `recently_deleted`). At 30k that cost annexa 6-11 s
of CPU a run, even with the loop's run in between; the loop writes no files and never paid.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import boto3  # noqa: E402
from aws_org import ROLE, _assumed, _paged, _peak_mb, _read_region, _seed_unit, _spread, _start_moto, _stop  # noqa: E402

ALL_REGIONS = ("us-east-1", "eu-west-1", "eu-central-1", "ap-southeast-2")
COLLECTORS = ("aws.ec2", "aws.kms", "aws.dynamodb")
_CREDENTIAL = re.compile(r"Credential=([^/]+)/[^/]+/[^/]+/([^/]+)/")


class _Proxy(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, upstream: str, latency: float, jitter: float, rate: float) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        host, port = upstream.removeprefix("http://").split(":")
        self.upstream = (host, int(port))
        self.latency, self.jitter, self.rate = latency, jitter, rate
        self.lock = threading.Lock()
        self.requests = self.throttled = 0
        self.delay_total = 0.0
        self.buckets: dict[str, tuple[float, float]] = {}  # access key -> (tokens, last time)

    def admit(self, key: str) -> bool:
        """A token bucket per access key (one per assumed account): `rate` per second, burst of `rate`."""
        now = time.monotonic()
        with self.lock:
            tokens, last = self.buckets.get(key, (self.rate, now))
            tokens = min(self.rate, tokens + (now - last) * self.rate)
            ok = tokens >= 1
            self.buckets[key] = (tokens - 1 if ok else tokens, now)
            return ok

    def counts(self) -> dict[str, float]:
        with self.lock:
            out = {"requests": self.requests, "throttled": self.throttled, "delay_s": self.delay_total}
            self.requests = self.throttled = 0
            self.delay_total = 0.0
            self.buckets.clear()
            return out


class _Handler(BaseHTTPRequestHandler):
    server: _Proxy
    protocol_version = "HTTP/1.1"

    def log_message(self, *_: Any) -> None:
        return None

    def _forward(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        delay = (self.server.latency + random.random() * self.server.jitter) / 1000
        time.sleep(delay)
        found = _CREDENTIAL.search(self.headers.get("Authorization", ""))
        key, service = (found.group(1), found.group(2)) if found else ("", "")
        with self.server.lock:
            self.server.requests += 1
            self.server.delay_total += delay
        if key and service != "sts" and not self.server.admit(key):
            with self.server.lock:
                self.server.throttled += 1
            self._throttle(service)
            return
        conn = http.client.HTTPConnection(*self.server.upstream, timeout=120)
        try:
            headers = {k: v for k, v in self.headers.items() if k.lower() not in ("connection", "keep-alive")}
            conn.request(self.command, self.path, body=body, headers=headers)
            answer = conn.getresponse()
            data = answer.read()
            self.send_response(answer.status)
            for name, value in answer.getheaders():
                if name.lower() not in ("connection", "transfer-encoding", "content-length", "keep-alive"):
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        finally:
            conn.close()

    def _throttle(self, service: str) -> None:
        if "json" in self.headers.get("Content-Type", ""):
            data = json.dumps({"__type": "ThrottlingException", "message": "Rate exceeded"}).encode()
            kind = "application/x-amz-json-1.1"
        elif service == "ec2":
            data = (
                b"<Response><Errors><Error><Code>RequestLimitExceeded</Code><Message>Request limit exceeded."
                b"</Message></Error></Errors><RequestID>bench</RequestID></Response>"
            )
            kind = "text/xml"
        else:
            data = (
                b"<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded"
                b"</Message></Error><RequestId>bench</RequestId></ErrorResponse>"
            )
            kind = "text/xml"
        self.send_response(400)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_HEAD = do_DELETE = _forward


@contextmanager
def _proxy(upstream: str, latency: float, jitter: float, rate: float) -> Iterator[_Proxy]:
    server = _Proxy(upstream, latency, jitter, rate)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def _seed(accounts: int, regions: tuple[str, ...], per_unit: int) -> tuple[list[str], int]:
    management = boto3.Session(region_name=regions[0])
    org = management.client("organizations")
    org.create_organization(FeatureSet="ALL")
    ids = [
        org.create_account(AccountName=f"member-{i}", Email=f"m{i}@example.com")["CreateAccountStatus"]["AccountId"]
        for i in range(accounts)
    ]
    with ThreadPoolExecutor(8) as pool:
        counts = pool.map(lambda unit: _seed_unit(management, *unit, per_unit), [(a, r) for a in ids for r in regions])
        return ids, sum(counts)


def _process_cpu(pid: int) -> float | None:
    """CPU seconds (user + system) a process's threads have used so far, from /proc (None without it)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime


def _workers(units: int) -> int:
    return max(1, min(32, units))  # as annexa's default (collectors/aws/fanout.default_workers)


def _run_annexa(workdir: Path, regions: list[str]) -> dict[str, Any]:
    from annexa import cli

    (workdir / "annexa.yaml").write_text(
        "store: ./evidence\ntargets:\n"
        f"  - aws: {{organization: true, role_name: {ROLE}, regions: [{', '.join(regions)}],"
        f" collectors: [{', '.join(COLLECTORS)}]}}\n"
    )
    began = time.perf_counter()
    code = cli.main(["--log-format", "json", "collect", "--config", str(workdir / "annexa.yaml")])
    return {"wall_s": time.perf_counter() - began, "exit": code}


def _run_loop(regions: list[str]) -> dict[str, Any]:
    """The same calls as annexa's three collectors, on a pool of annexa's size over account x region units."""
    began = time.perf_counter()
    management = boto3.Session(region_name=regions[0])
    management.client("sts").get_caller_identity()
    accounts = _paged(management.client("organizations"), "list_accounts", "Accounts")
    with ThreadPoolExecutor(_workers(len(accounts))) as pool:
        sessions = dict(
            zip(
                [a["Id"] for a in accounts],
                pool.map(lambda a: _assumed(management, a["Id"], regions[0]), accounts),
                strict=True,
            )
        )
    units = [(sessions[a["Id"]], region) for region in regions for a in accounts]
    lock = threading.Lock()

    def unit(work: tuple[boto3.Session, str]) -> int:
        session, region = work
        with lock:  # creating clients from one session is not thread-safe
            clients = [session.client(s, region_name=region) for s in ("ec2", "kms", "dynamodb")]
        return _read_region(*clients)

    with ThreadPoolExecutor(_workers(len(units))) as pool:
        seen = sum(pool.map(unit, units))
    return {"wall_s": time.perf_counter() - began, "resources": seen}


def _child(mode: str, workdir: str, regions: str) -> None:
    before = os.times()
    if mode == "annexa":
        result = _run_annexa(Path(workdir), regions.split(","))
    else:
        result = _run_loop(regions.split(","))
    after = os.times()
    result["cpu_s"] = after.user + after.system - before.user - before.system
    result["sys_s"] = after.system - before.system
    result["peak_mb"] = _peak_mb()
    if mode == "annexa":
        import annexa

        result["package"] = str(Path(annexa.__file__).parent)  # which checkout ran (--compare)
    print(json.dumps(result))


def _spawn(mode: str, env: dict[str, str], regions: tuple[str, ...], keep: str) -> dict[str, Any]:
    """One side's run in a subprocess; its store is left in a new folder under `keep` (see the docstring)."""
    out = subprocess.run(
        [sys.executable, __file__, "--child", mode, tempfile.mkdtemp(dir=keep), ",".join(regions)],
        env=env,
        capture_output=True,
        text=True,
        timeout=7200,
    )
    if out.returncode != 0:
        raise SystemExit(f"{mode} run failed:\n{out.stderr[-3000:]}")
    result = json.loads(out.stdout.strip().splitlines()[-1])
    # annexa's own account of the pool: how long its workers waited on the runner's thread
    pools = [json.loads(line) for line in out.stderr.splitlines() if '"aws_pool_finished"' in line]
    result["waited_s"] = sum(pool.get("waited_on_runner_s", 0.0) for pool in pools) if pools else None
    result["pool_s"] = sum(pool.get("duration_s", 0.0) for pool in pools) if pools else None
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=30)
    parser.add_argument("--regions", type=int, default=4, choices=range(1, len(ALL_REGIONS) + 1))
    parser.add_argument("--per-unit", type=int, default=250, help="resources per account and region")
    parser.add_argument("--latency", type=float, default=50.0, help="ms added to every request")
    parser.add_argument("--jitter", type=float, default=20.0, help="up to this many ms more, uniformly")
    parser.add_argument("--rate", type=float, default=50.0, help="requests per second per account before throttling")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="4 accounts x 2 regions x 100 resources, 3 rounds")
    parser.add_argument("--compare", help="a folder holding another `annexa` package, run as side `compare`")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(*args.child)
        return 0
    if args.quick:
        args.accounts, args.regions, args.per_unit = 4, 2, 100
    regions = ALL_REGIONS[: args.regions]

    moto, url = _start_moto()
    try:
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env.update(
            AWS_ACCESS_KEY_ID="testing",
            AWS_SECRET_ACCESS_KEY="testing",
            AWS_DEFAULT_REGION=regions[0],
            AWS_CONFIG_FILE="/dev/null",
            AWS_SHARED_CREDENTIALS_FILE="/dev/null",
            AWS_ENDPOINT_URL=url,
        )
        os.environ.update({k: v for k, v in env.items() if k.startswith("AWS_")})
        began = time.perf_counter()
        _ids, resources = _seed(args.accounts, regions, args.per_unit)
        print(
            f"seeded {resources} resources in {args.accounts} accounts x {len(regions)} regions "
            f"in {time.perf_counter() - began:.0f}s; proxy: {args.latency:.0f} ms + up to {args.jitter:.0f} ms, "
            f"throttling above {args.rate:.0f} requests/s per account",
            flush=True,
        )
        sides = ["annexa", "compare", "loop"] if args.compare else ["annexa", "loop"]
        runs: dict[str, list[dict[str, Any]]] = {side: [] for side in sides}
        with _proxy(url, args.latency, args.jitter, args.rate) as proxy, tempfile.TemporaryDirectory() as keep:
            side_env = {**env, "AWS_ENDPOINT_URL": f"http://127.0.0.1:{proxy.server_address[1]}"}
            for _ in range(args.rounds):  # alternating: the machine's drift affects every side alike
                for side in sides:
                    proxy.counts()
                    # What the machine's other processes spend meanwhile: moto_server answering, and
                    # this process (the proxy's threads; the side's own CPU is its child's).
                    others = {"moto_cpu_s": moto.pid, "proxy_cpu_s": os.getpid()}
                    before = {name: _process_cpu(pid) for name, pid in others.items()}
                    if side == "compare":
                        result = _spawn("annexa", {**side_env, "PYTHONPATH": args.compare}, regions, keep)
                    else:
                        result = _spawn(side, side_env, regions, keep)
                    result.update(proxy.counts())
                    for name, pid in others.items():
                        now, then = _process_cpu(pid), before[name]
                        result[name] = None if now is None or then is None else now - then
                    runs[side].append(result)
    finally:
        _stop(moto)

    concurrency = _workers(args.accounts * len(regions))
    print(
        f"{args.rounds} rounds, alternating; median (min-max); concurrency {concurrency} (units: {args.accounts * len(regions)})"
    )
    print(
        f"{'':8}{'wall s':>20}{'ideal s':>20}{'requests':>22}{'throttled':>16}{'CPU s':>20}{'of it sys s':>20}"
        f"{'peak MB':>20}"
    )
    for mode, results in runs.items():
        ideal = [r["delay_s"] / concurrency for r in results]  # requests x mean latency / concurrency
        print(
            f"{mode:8}{_spread([r['wall_s'] for r in results]):>20}{_spread(ideal):>20}"
            f"{_spread([r['requests'] for r in results], 0):>22}{_spread([r['throttled'] for r in results], 0):>16}"
            f"{_spread([r['cpu_s'] for r in results]):>20}{_spread([r['sys_s'] for r in results]):>20}"
            f"{_spread([r['peak_mb'] for r in results], 0):>20}"
        )
    # The cores this process may run on (a container may allow fewer than the machine has).
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    for mode, results in runs.items():
        if any(r["moto_cpu_s"] is None or r["proxy_cpu_s"] is None for r in results):
            print(f"{mode}: no /proc here, so moto_server's and the proxy's CPU were not read")
            continue
        # All the CPU a side's run needs on this machine, divided by its cores: no wall time can be lower.
        floor = [(r["cpu_s"] + r["moto_cpu_s"] + r["proxy_cpu_s"]) / cores for r in results]
        print(
            f"{mode}: moto_server CPU {_spread([r['moto_cpu_s'] for r in results])} s, the proxy's "
            f"{_spread([r['proxy_cpu_s'] for r in results])} s; with the side's own, {_spread(floor)} s on "
            f"{cores} cores: the least wall time this machine allows"
        )
    annexa, loop = runs["annexa"], runs["loop"]
    if args.compare:
        compare = runs["compare"]
        per_round = [a["wall_s"] / c["wall_s"] for a, c in zip(annexa, compare, strict=True)]
        print(
            f"annexa wall / compare ({args.compare}), per round {_spread(per_round, 2)}; "
            f"compare ran {sorted({c['package'] for c in compare})}"
        )
    vs_ideal = [a["wall_s"] / (a["delay_s"] / concurrency) for a in annexa]
    vs_loop = [a["wall_s"] / b["wall_s"] for a, b in zip(annexa, loop, strict=True)]
    cpu_ms = [a["cpu_s"] * 1000 / resources for a in annexa]
    print(
        f"annexa wall / ideal {_spread(vs_ideal, 2)} (target <= 1.2); wall / loop, per round {_spread(vs_loop, 2)} "
        f"(target <= 1.1); CPU {_spread(cpu_ms, 2)} ms per resource (target <= 0.6); "
        f"exit codes {sorted({a['exit'] for a in annexa})}; loop saw {loop[0]['resources']} resources"
    )
    waited = [a["waited_s"] for a in annexa if a.get("waited_s") is not None]
    if waited:
        print(
            f"annexa's workers waited on its runner's thread (judging) {_spread(waited, 2)} s in all "
            f"(summed over {concurrency} workers; from the aws_pool_finished log line); its pool ran "
            f"{_spread([a['pool_s'] for a in annexa], 1)} s of its wall time "
            "(the rest: start-up, finding the accounts, judging, commit)"
        )
    # The wall time annexa's pool did not run. Only finding the accounts (a few calls, in parallel) meets
    # the latency there; the rest is annexa's own CPU, so a change to start-up or commit shows through
    # the pool's noise.
    outside = {
        side: [r["wall_s"] - r["pool_s"] for r in results if r.get("pool_s") is not None]
        for side, results in runs.items()
        if side != "loop"
    }
    for side, times in outside.items():
        if times:
            print(f"{side}: outside its pool (start-up, finding the accounts, judging, commit) {_spread(times, 2)} s")
    if args.compare and len(outside["annexa"]) == len(outside["compare"]) == args.rounds:
        per_round = [a / c for a, c in zip(outside["annexa"], outside["compare"], strict=True)]
        print(f"outside the pool, annexa / compare per round {_spread(per_round, 2)}")
    print("load average (1, 5, 15 min): " + ", ".join(f"{x:.1f}" for x in os.getloadavg()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
