"""Benchmark: 90 nightly runs -> a 90-day audit pack -> verify it; compare with sha256sum.

Writes a synthetic signed store through the real Store API (2,000 resources, ~2% of
them changing each night, two rules), builds the pack for the whole period, verifies
the pack and the store, and hashes the same object bytes with `sha256sum` in the
same run, alternating the two for `--rounds` rounds. Target: verify within 1.5x of sha256sum,
the ratio taken per round (median, min, max).

    .venv/bin/python bench/pack_and_verify.py [--resources 2000] [--nights 90] [--rounds 5]
"""

from __future__ import annotations

import argparse
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from annexa.evidence_store.packfile import verify_path
from annexa.evidence_store.signing import Ed25519Signer, generate_keypair
from annexa.evidence_store.store import open_store
from annexa.mappings.catalog import load_catalog
from annexa.mappings.evaluate import evaluate
from annexa.mappings.rules import load_rules
from annexa.model import Fact, Source
from annexa.reports.pack import PackOptions, build_pack

RULES = """\
rules:
  - {id: bench.encrypted, title: Encrypted, controls: [A.8.24], fact: bench.bucket, expect: "encrypted == `true`",
     severity: high, remediation: Encrypt.}
  - {id: bench.versioned, title: Versioned, controls: [A.8.13], fact: bench.bucket, expect: "versioning == 'Enabled'",
     severity: medium, remediation: Version.}
"""
START = datetime(2026, 8, 1, 2, tzinfo=timezone.utc)


def write_store(root: Path, resources: int, nights: int) -> float:
    (root / "rules.yaml").write_text(RULES)
    key = generate_keypair(root / "signing.key")
    store = open_store(str(root / "ev"), Ed25519Signer(key.private_path))
    rules = load_rules([root / "rules.yaml"], {"bench.bucket"}, set(load_catalog().ids()))
    rng = random.Random(1)
    state = {
        f"arn:bench:bucket/b{i:05d}": {
            "encrypted": rng.random() > 0.1,
            "versioning": "Enabled",
            "tags": {"team": f"t{i % 17}"},
            "size": i,
        }
        for i in range(resources)
    }
    began = time.perf_counter()
    for night in range(nights):
        when = START + timedelta(days=night)
        stamp = when.strftime("%Y-%m-%dT%H:%M:%SZ")
        for name in rng.sample(sorted(state), resources // 50):
            state[name] = {**state[name], "encrypted": not state[name]["encrypted"], "size": night}
        meta = {
            "mappings": {"object": store.put_json({"rules": [r.to_dict() for r in rules]}), "sha256": "x"},
            "config": {"object": store.put_json({"targets": [{"bench": {}}]}), "sha256": "y"},
        }
        writer = store.begin_run(f"night-{night:03d}", stamp, meta)
        source = Source(operations=("bench:List",), principal="bench")
        stored = [
            writer.add_fact(Fact("bench.bucket", name, {"provider": "bench"}, data, source, stamp), "bench")
            for name, data in state.items()
        ]
        writer.commit(evaluate(stored, (), rules, when, {"bench.bucket"}), stamp, {})
    return time.perf_counter() - began


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def sha256sum_seconds(*folders: Path) -> tuple[float, int, float]:
    """sha256sum over every file of the folders, batched like `find | xargs sha256sum`:
    (wall seconds, bytes, CPU seconds of the sha256sum processes)."""
    files = sorted(str(p) for folder in folders for p in folder.rglob("*") if p.is_file())
    began, cpu = time.perf_counter(), _children_cpu()
    for i in range(0, len(files), 5000):
        subprocess.run(["sha256sum", *files[i : i + 5000]], check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - began, sum(Path(f).stat().st_size for f in files), _children_cpu() - cpu


def _spread(values: list[float]) -> str:
    return f"median {statistics.median(values):.2f} (min {min(values):.2f}, max {max(values):.2f})"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--resources", type=int, default=2000)
    parser.add_argument("--nights", type=int, default=90)
    parser.add_argument("--rounds", type=int, default=5, help="alternating verify / sha256sum rounds")
    args = parser.parse_args()
    if shutil.which("sha256sum") is None:
        print("sha256sum is needed for the comparison", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="annexa-bench-") as tmp:
        root = Path(tmp)
        write_s = write_store(root, args.resources, args.nights)
        store = open_store(str(root / "ev"))
        store.runs()  # bring the index up to date outside the timed pack build
        last = date(2026, 8, 1) + timedelta(days=args.nights - 1)
        began = time.perf_counter()
        summary = build_pack(
            store,
            load_catalog(),
            PackOptions(date(2026, 8, 1), last),
            root / "pack.zip",
        )
        pack_s = time.perf_counter() - began
        with zipfile.ZipFile(root / "pack.zip") as archive:
            archive.extractall(root / "unzipped")
        unzipped = next((root / "unzipped").iterdir())

        # Each round measures every side once, in turn, and the ratios are taken per round, so
        # the machine's drift between rounds (other jobs, page cache) affects both sides alike.
        times: dict[str, list[float]] = {
            k: [] for k in ("zip", "folder", "folder_sum", "store", "store_sum", "store_cpu", "store_sum_cpu")
        }
        reports = []
        for _ in range(args.rounds):
            began = time.perf_counter()
            reports.append(verify_path(root / "pack.zip"))
            times["zip"].append(time.perf_counter() - began)
            began = time.perf_counter()
            reports.append(verify_path(unzipped))
            times["folder"].append(time.perf_counter() - began)
            seconds, folder_bytes, _cpu = sha256sum_seconds(unzipped)
            times["folder_sum"].append(seconds)
            began, cpu = time.perf_counter(), time.process_time()
            store_report = verify_path(root / "ev")
            reports.append(store_report)
            times["store"].append(time.perf_counter() - began)
            times["store_cpu"].append(time.process_time() - cpu)
            seconds, store_bytes, cpu = sha256sum_seconds(root / "ev" / "objects", root / "ev" / "manifests")
            times["store_sum"].append(seconds)
            times["store_sum_cpu"].append(cpu)

    bad = [problem for report in reports for problem in report.problems]
    if bad:
        print("verification failed:", *bad[:5], sep="\n  ", file=sys.stderr)
        return 1
    folder_ratio = [a / b for a, b in zip(times["folder"], times["folder_sum"], strict=True)]
    store_ratio = [a / b for a, b in zip(times["store"], times["store_sum"], strict=True)]
    cpu_ratio = [a / b for a, b in zip(times["store_cpu"], times["store_sum_cpu"], strict=True)]
    mb = 1024 * 1024
    print(f"store: {args.nights} nightly runs x {args.resources} resources written in {write_s:.1f}s")
    print(
        f"pack:  {args.nights}-day pack built in {pack_s:.2f}s: {summary.bytes / mb:.1f} MiB zip, "
        f"{summary.objects} objects, {summary.manifests} manifests, {summary.controls} controls"
    )
    print(f"{args.rounds} rounds, alternating; seconds and per-round ratios:")
    print(
        f"verify pack zip:      {_spread(times['zip'])} ({reports[0].objects} objects, {reports[0].signed} signatures)"
    )
    print(f"verify unzipped pack: {_spread(times['folder'])} for {folder_bytes / mb:.1f} MiB")
    print(f"  sha256sum, same files: {_spread(times['folder_sum'])}; ratio {_spread(folder_ratio)}")
    print(
        f"verify store:         {_spread(times['store'])} for {store_report.objects} objects, {store_bytes / mb:.1f} MiB"
    )
    print(
        f"  sha256sum, same objects and manifests: {_spread(times['store_sum'])}; ratio {_spread(store_ratio)} (target <= 1.5x)"
    )
    print(
        f"  CPU seconds (on a shared machine wall time mostly measures waiting): verify {_spread(times['store_cpu'])}, "
        f"sha256sum {_spread(times['store_sum_cpu'])}; ratio {_spread(cpu_ratio)}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
