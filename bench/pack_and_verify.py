"""Benchmark: 90 nightly runs -> a 90-day audit pack -> verify it; compare with sha256sum.

Writes a synthetic signed store through the real Store API (2,000 resources, ~2% of
them changing each night, two rules), builds the pack for the whole period (with a sample
drawn across it), verifies the pack and the store, and hashes the same object bytes with
`sha256sum` in the same run. Targets: verification throughput within 2x of sha256sum; pack
time for 90 nights x 10,000 resources under 60 s, and the pack's peak memory flat in the
number of nights (`--nights 30,90` prints both). The pack is built in a fresh process
(multiprocessing spawn), so its peak RSS is its own, not the store writer's.

    .venv/bin/python bench/pack_and_verify.py [--resources 2000] [--nights 30,90]
"""

from __future__ import annotations

import argparse
import multiprocessing
import random
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from annexa.evidence_store.packfile import verify_path
from annexa.evidence_store.signing import Ed25519Signer, generate_keypair
from annexa.evidence_store.store import open_store
from annexa.mappings.catalog import load_catalog
from annexa.mappings.evaluate import evaluate
from annexa.mappings.rules import load_rules
from annexa.model import Fact, Source
from annexa.reports.pack import PackOptions, build_pack
from annexa.reports.pack_check import check_pack_soa

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


def sha256sum_seconds(*folders: Path) -> tuple[float, int]:
    """sha256sum over every file of the folders, batched like `find | xargs sha256sum`."""
    files = sorted(str(p) for folder in folders for p in folder.rglob("*") if p.is_file())
    began = time.perf_counter()
    for i in range(0, len(files), 5000):
        subprocess.run(["sha256sum", *files[i : i + 5000]], check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - began, sum(Path(f).stat().st_size for f in files)


def _pack_child(root: str, nights: int, answer: Any) -> None:
    """Build the pack in this (spawned) process; send back its seconds, summary and peak RSS."""
    store = open_store(str(Path(root) / "ev"))
    store.runs()  # bring the index up to date outside the timed pack build
    last = date(2026, 8, 1) + timedelta(days=nights - 1)
    began = time.perf_counter()
    summary = build_pack(
        store, load_catalog(), PackOptions(date(2026, 8, 1), last, sample=0, seed=1), Path(root) / "pack.zip"
    )
    seconds = time.perf_counter() - began
    answer.send((seconds, summary.bytes, summary.objects, summary.manifests, summary.controls, _peak_mib()))


def _peak_mib() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--resources", type=int, default=2000)
    parser.add_argument("--nights", default="90", help="one number or several, comma-separated (30,90)")
    args = parser.parse_args()
    if shutil.which("sha256sum") is None:
        print("sha256sum is needed for the comparison", file=sys.stderr)
        return 2
    for nights in (int(n) for n in args.nights.split(",")):
        bench_once(args.resources, nights)
    return 0


def bench_once(resources: int, nights: int) -> None:
    args = argparse.Namespace(resources=resources, nights=nights)
    with tempfile.TemporaryDirectory(prefix="annexa-bench-") as tmp:
        root = Path(tmp)
        write_s = write_store(root, args.resources, args.nights)
        context = multiprocessing.get_context("spawn")
        receive, send = context.Pipe(duplex=False)
        child = context.Process(target=_pack_child, args=(tmp, args.nights, send))
        child.start()
        pack_s, pack_bytes, objects, manifests, controls, peak = receive.recv()
        child.join()

        began = time.perf_counter()
        report = verify_path(root / "pack.zip")
        verify_pack_s = time.perf_counter() - began
        began = time.perf_counter()
        checked = verify_path(root / "pack.zip", pack_checks=(check_pack_soa,))
        verify_checked_s = time.perf_counter() - began
        with __import__("zipfile").ZipFile(root / "pack.zip") as archive:
            archive.extractall(root / "unzipped")
        unzipped = next((root / "unzipped").iterdir())
        began = time.perf_counter()
        folder_report = verify_path(unzipped)
        verify_folder_s = time.perf_counter() - began
        sum_folder_s, folder_bytes = sha256sum_seconds(unzipped)

        verify_store_s = sum_store_s = float("inf")
        for _ in range(3):  # best of three for both, measured in turn, so neither gets a warmer cache
            began = time.perf_counter()
            store_report = verify_path(root / "ev")
            verify_store_s = min(verify_store_s, time.perf_counter() - began)
            seconds, store_bytes = sha256sum_seconds(root / "ev" / "objects", root / "ev" / "manifests")
            sum_store_s = min(sum_store_s, seconds)

    assert checked.ok, checked.problems[:5]
    assert report.ok and folder_report.ok and store_report.ok, (report.problems + store_report.problems)[:5]
    mb = 1024 * 1024
    print(f"store: {args.nights} nightly runs x {args.resources} resources written in {write_s:.1f}s")
    print(
        f"pack:  {args.nights}-day pack built in {pack_s:.2f}s (peak RSS {peak:.0f} MiB): {pack_bytes / mb:.1f} MiB "
        f"zip, {objects} objects, {manifests} manifests, {controls} controls, a sample drawn across the period"
    )
    print(f"verify pack zip:      {verify_pack_s:.2f}s ({report.objects} objects, {report.signed} signatures)")
    print(f"  + SoA recomputed from the pack's evidence (`annexa verify PACK`): {verify_checked_s:.2f}s")
    print(
        f"verify unzipped pack: {verify_folder_s:.2f}s for {folder_bytes / mb:.1f} MiB; "
        f"sha256sum on the same files {sum_folder_s:.2f}s; ratio {verify_folder_s / sum_folder_s:.2f}x"
    )
    print(
        f"verify store:         {verify_store_s:.2f}s for {store_report.objects} objects, {store_bytes / mb:.1f} MiB; "
        f"sha256sum on the same objects and manifests {sum_store_s:.2f}s; ratio {verify_store_s / sum_store_s:.2f}x (target <= 2x)"
    )


if __name__ == "__main__":
    sys.exit(main())
