"""A year of nightly history: storage must grow with change, reads must not grow with time.

Simulates N nightly runs of an estate of F facts where 1% of the facts change each
night (mostly edits, some resources created and deleted), through the same store
API the runner uses: `RunWriter.add_fact` for every fact every night, then
`commit` with every result. Only the evaluation is shortcut: a fact unchanged
since last night keeps last night's results (the bench rules do not depend on the
date), so the run time goes to the store, which is what is measured. Prints:

- storage: bytes stored (objects + manifests; the derived index separately) divided
  by (bytes of run 1 + bytes of every fact object that changed since): target <= 1.3;
- read times of the store as it was at an early checkpoint (a copy taken then) and as it is
  at the end, each with a freshly opened store (as a command would): `soa`, `findings --run
  latest`, and the results of the last two runs (what `drift` compares), measured
  alternately in the same rounds, ratio per round as median (min, max): target <= 1.5;
- the same for the S3 backend on moto_server over HTTP, at a smaller scale.

Run: `.venv/bin/python bench/history.py` (about six minutes on 2 cores);
`--facts 2000 --nights 60 --s3-facts 500 --s3-nights 40` for a quick look.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import structlog

from annexa.evidence_store.store import Store, open_store
from annexa.mappings.catalog import load_catalog
from annexa.mappings.evaluate import Evaluator
from annexa.mappings.rules import load_rules
from annexa.model import Fact, Result, Source
from annexa.reports.findings import finding_rows
from annexa.reports.soa import soa_statuses

KIND = "bench.bucket"
RULES = """\
rules:
  - {id: bench.encrypted, title: Encrypted, controls: [A.8.24], fact: bench.bucket, severity: high,
     expect: "encryption.enabled == `true`", observe: encryption.algorithm, remediation: Encrypt it.}
  - {id: bench.versioned, title: Versioned, controls: [A.8.13], fact: bench.bucket, severity: medium,
     where: "!scratch", expect: "versioning == 'Enabled'", remediation: Turn on versioning.}
  - {id: bench.private, title: Not public, controls: [A.5.15, A.8.3], fact: bench.bucket, severity: critical,
     expect: "!public_access", remediation: Block public access.}
"""
FACTS_PER_ACCOUNT = 500  # 10,000 facts: 20 accounts x 3 regions = 60 batches a night
REGIONS = ["eu-west-1", "us-east-1", "ap-southeast-2"]
START = datetime(2026, 1, 1, 2, 0, tzinfo=timezone.utc)
COLLECTOR = "bench.buckets"
log = structlog.get_logger()


def _bucket(rng: random.Random, serial: int, accounts: int) -> tuple[str, dict[str, str], dict[str, Any]]:
    """One S3-bucket-like fact of about 1 KB, as a collector would report it."""
    account, region = f"{100000000000 + rng.randrange(accounts) * 7919:012d}", rng.choice(REGIONS)
    name = f"acme-{rng.choice(['logs', 'data', 'backup', 'assets', 'ml'])}-{serial:06d}"
    data = {
        "name": name,
        "created": f"2024-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}T10:00:00Z",
        "encryption": {
            "enabled": rng.random() > 0.1,
            "algorithm": "aws:kms",
            "key": f"arn:aws:kms:{region}:{account}:key/{rng.getrandbits(128):032x}",
        },
        "versioning": "Enabled" if rng.random() > 0.2 else "Suspended",
        "public_access": rng.random() < 0.03,
        "scratch": rng.random() < 0.05,
        "lifecycle": [{"id": "expire-noncurrent", "days": rng.choice([30, 90, 365])}],
        "policy": {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "DenyInsecureTransport",
                    "Effect": "Deny",
                    "Principal": "*",
                    "Action": "s3:*",
                    "Resource": [f"arn:aws:s3:::{name}", f"arn:aws:s3:::{name}/*"],
                    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                }
            ],
        },
        "tags": {
            "team": rng.choice(["platform", "data", "web", "security"]),
            "env": rng.choice(["prod", "dev"]),
            "cost-centre": f"cc-{rng.randint(100, 999)}",
            "owner": f"user{rng.randint(1, 500)}@acme.example",
        },
    }
    return f"arn:aws:s3:::{name}", {"provider": "aws", "account": account, "region": region}, data


class Estate:
    """The simulated world: facts by resource, with 1% churn per night."""

    def __init__(self, size: int, seed: int = 27001) -> None:
        self.rng = random.Random(seed)
        self.serial = 0
        self.accounts = max(1, size // FACTS_PER_ACCOUNT)
        self.items: dict[str, tuple[dict[str, str], dict[str, Any]]] = {}
        for _ in range(size):
            self._add()

    def _add(self) -> None:
        self.serial += 1
        resource, scope, data = _bucket(self.rng, self.serial, self.accounts)
        self.items[resource] = (scope, data)

    def churn(self, fraction: float) -> None:
        changes = max(1, round(len(self.items) * fraction))
        created = deleted = changes // 10
        for resource in self.rng.sample(sorted(self.items), changes):
            scope, data = self.items[resource]
            if deleted:
                del self.items[resource]
                deleted -= 1
                continue
            data = {**data, "tags": {**data["tags"], "owner": f"user{self.rng.randint(1, 500)}@acme.example"}}
            if self.rng.random() < 0.3:
                data["versioning"] = "Suspended" if data["versioning"] == "Enabled" else "Enabled"
            self.items[resource] = (scope, data)
        for _ in range(created):
            self._add()

    def facts(self, at: str) -> list[Fact]:
        source = Source(
            operations=("s3:ListBuckets", "s3:GetBucketEncryption", "s3:GetBucketPolicy"),
            principal="arn:aws:sts::100000000000:assumed-role/annexa-audit/nightly",
        )
        return [Fact(KIND, resource, scope, data, source, at) for resource, (scope, data) in self.items.items()]


def _stored_bytes(store: Store) -> int:
    backend: Any = store.backend
    if store.url.startswith("s3://"):
        prefix = f"{backend.prefix}/" if backend.prefix else ""
        pages = backend._s3.get_paginator("list_objects_v2").paginate(Bucket=backend.bucket, Prefix=prefix)
        return sum(item["Size"] for page in pages for item in page.get("Contents", []))
    root = Path(store.url)
    return sum(
        p.stat().st_size for folder in ("objects", "manifests") for p in (root / folder).rglob("*") if p.is_file()
    )


def _reads() -> dict[str, Callable[[str], Any]]:
    """Each read as a command does it: open the store (syncing the index), resolve, read."""
    catalog = load_catalog()

    def soa(url: str) -> None:
        store = open_store(url)
        soa_statuses(store, store.resolve("latest"), catalog)

    def findings(url: str) -> None:
        store = open_store(url)
        finding_rows(store, store.resolve("latest"))

    def drift(url: str) -> None:
        store = open_store(url)
        new = {(r.rule, r.resource): r.status for r in store.results(store.resolve("latest"))}
        old = {(r.rule, r.resource): r.status for r in store.results(store.resolve("previous"))}
        assert set(new) | set(old)

    return {"soa": soa, "findings --run latest": findings, "drift (last two runs)": drift}


def _paired_reads(early: str, late: str, rounds: int) -> dict[str, tuple[list[float], list[float]]]:
    """Milliseconds per read of the store as it was at the checkpoint and as it is at the end,
    measured alternately in the same rounds, so drift of the machine affects both alike."""
    out: dict[str, tuple[list[float], list[float]]] = {}
    for name, read in _reads().items():
        read(early), read(late)  # warm both (an index built on first open is not what is measured)
        times: tuple[list[float], list[float]] = ([], [])
        for _ in range(rounds):
            for url, into in ((early, times[0]), (late, times[1])):
                began = time.perf_counter()
                read(url)
                into.append((time.perf_counter() - began) * 1000)
        out[name] = times
    return out


def _snapshot(store: Store, url: str, night: int) -> str:
    """A copy of the store as it is now (its objects and manifests; the copy builds its own index)."""
    backend: Any = store.backend
    if url.startswith("s3://"):
        prefix = f"{backend.prefix}/" if backend.prefix else ""
        target = f"{backend.prefix}-at-{night}" if backend.prefix else f"at-{night}"
        pages = backend._s3.get_paginator("list_objects_v2").paginate(Bucket=backend.bucket, Prefix=prefix)
        for page in pages:
            for item in page.get("Contents", []):
                backend._s3.copy_object(
                    Bucket=backend.bucket,
                    Key=f"{target}/{item['Key'][len(prefix) :]}",
                    CopySource={"Bucket": backend.bucket, "Key": item["Key"]},
                )
        return f"s3://{backend.bucket}/{target}"
    copy = f"{url}-at-{night}"
    shutil.copytree(url, copy, ignore=shutil.ignore_patterns("index.sqlite*", "lock", "tmp"))
    return copy


def simulate(url: str, size: int, nights: int, checkpoint: int, rules_file: Path, rounds: int = 5) -> dict[str, Any]:
    rules = load_rules([rules_file], {KIND}, set(load_catalog().ids()))
    store = open_store(url)
    mappings = store.put_json({"rules": [rule.to_dict() for rule in rules]})
    meta = {"tool": {"name": "annexa-bench"}, "mappings": {"object": mappings, "sha256": "bench"}}
    estate = Estate(size)
    seen: set[str] = set()
    judged: dict[str, tuple[Any, list[Result]]] = {}  # resource -> (the data judged, its results)
    first_run_bytes = changed_bytes = 0
    write_ms: list[float] = []
    early_url = url
    for night in range(1, nights + 1):
        if night > 1:
            estate.churn(0.01)
        at = (START + timedelta(days=night - 1)).strftime("%Y-%m-%dT%H:%M:%SZ")
        now = START + timedelta(days=night - 1)
        began = time.perf_counter()
        writer = store.begin_run(f"night-{night:03d}", at, meta)
        results: list[Result] = []
        for fact in estate.facts(at):
            stored = writer.add_fact(fact, COLLECTOR)
            cached = judged.get(fact.resource)
            if cached is None or cached[0] is not fact.data:  # the estate replaces the data of a changed fact
                evaluator = Evaluator(rules, now)
                evaluator.add(stored)
                cached = judged[fact.resource] = (fact.data, evaluator.finish([], ()))
            results.extend(cached[1])
        results.sort(key=lambda r: (r.rule, r.resource))
        writer.commit(results, at, {"collectors": [{"collector": COLLECTOR, "facts": writer.fact_count}]})
        write_ms.append((time.perf_counter() - began) * 1000)
        new = [row[2] for row in writer.snapshot()["facts"] if row[2] not in seen]
        seen.update(new)
        if night == 1:
            first_run_bytes = _stored_bytes(store)
        else:
            changed_bytes += sum(len(store.backend.get_object(digest)) for digest in new)
        if night == checkpoint:
            early_url = _snapshot(store, url, night)
        if night % 50 == 0:
            print(f"  ... {url}: night {night}/{nights}", file=sys.stderr, flush=True)
    stored = _stored_bytes(store)
    index_bytes = store.backend.index_path().stat().st_size
    return {
        "url": url,
        "facts": size,
        "nights": nights,
        "checkpoint": checkpoint,
        "first_run_bytes": first_run_bytes,
        "changed_fact_bytes": changed_bytes,
        "stored_bytes": stored,
        "index_bytes": index_bytes,
        "write_ms_first": write_ms[0],
        "write_ms_nightly": statistics.median(write_ms[1:]),
        "reads": _paired_reads(early_url, url, rounds),
        "rounds": rounds,
    }


def report(figures: dict[str, Any]) -> bool:
    base = figures["first_run_bytes"] + figures["changed_fact_bytes"]
    ratio = figures["stored_bytes"] / base
    mb = 1024 * 1024
    print(f"\n{figures['url']}: {figures['facts']:,} facts, {figures['nights']} nightly runs, 1% churn")
    print(f"  run 1 stored               {figures['first_run_bytes'] / mb:9.2f} MiB")
    print(f"  changed facts since        {figures['changed_fact_bytes'] / mb:9.2f} MiB")
    print(
        f"  stored after {figures['nights']:3d} runs       {figures['stored_bytes'] / mb:9.2f} MiB"
        f"   (+ derived index {figures['index_bytes'] / mb:.2f} MiB)"
    )
    print(f"  storage ratio              {ratio:9.3f}    target <= 1.3  {'OK' if ratio <= 1.3 else 'MISSED'}")
    print(
        f"  write: first run {figures['write_ms_first'] / 1000:.1f} s, nightly median "
        f"{figures['write_ms_nightly'] / 1000:.2f} s"
    )
    ok = ratio <= 1.3
    print(f"  reads, {figures['rounds']} rounds alternating run {figures['checkpoint']} and run {figures['nights']}:")
    for name, (early, late) in figures["reads"].items():
        ratios = [b / a for a, b in zip(early, late, strict=True)]
        slow = statistics.median(ratios)
        ok = ok and slow <= 1.5
        print(
            f"  {name:24s} {statistics.median(early):8.1f} ms at run {figures['checkpoint']:3d}, "
            f"{statistics.median(late):8.1f} ms at run {figures['nights']:3d}: x{slow:.2f} "
            f"(min {min(ratios):.2f}, max {max(ratios):.2f}, per round)  target <= 1.5  {'OK' if slow <= 1.5 else 'MISSED'}"
        )
    return ok


def _s3_figures(size: int, nights: int, checkpoint: int, rules_file: Path, work: Path) -> dict[str, Any]:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
    import boto3
    from servers import moto_server  # the test helper: moto_server on a free port on 127.0.0.1

    with moto_server() as endpoint:
        os.environ.update(
            AWS_ENDPOINT_URL=endpoint,
            AWS_ACCESS_KEY_ID="bench",
            AWS_SECRET_ACCESS_KEY="bench",
            AWS_DEFAULT_REGION="us-east-1",
            XDG_CACHE_HOME=str(work / "cache"),
        )
        os.environ.pop("AWS_PROFILE", None)
        boto3.client("s3").create_bucket(Bucket="bench-evidence")
        return simulate("s3://bench-evidence/history", size, nights, checkpoint, rules_file)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--facts", type=int, default=10_000)
    parser.add_argument("--nights", type=int, default=365)
    parser.add_argument("--checkpoint", type=int, default=30)
    parser.add_argument("--s3-facts", type=int, default=1_000)
    parser.add_argument("--s3-nights", type=int, default=90)
    parser.add_argument("--s3-checkpoint", type=int, default=10)
    parser.add_argument("--no-s3", action="store_true", help="skip the S3 (moto_server) part")
    args = parser.parse_args()
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(40))
    # On tmpfs where there is one: the local backend fsyncs every object, and disk latency is not what is measured.
    shm = "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else None
    with tempfile.TemporaryDirectory(prefix="annexa-bench-", dir=shm) as tmp:
        work = Path(tmp)
        rules_file = work / "bench-rules.yaml"
        rules_file.write_text(RULES)
        ok = report(simulate(str(work / "local"), args.facts, args.nights, args.checkpoint, rules_file))
        if not args.no_s3:
            ok = report(_s3_figures(args.s3_facts, args.s3_nights, args.s3_checkpoint, rules_file, work)) and ok
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
