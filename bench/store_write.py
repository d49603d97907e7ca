"""Benchmark: the store writer on its own, the part of `annexa collect` that writes the bundle.

Writes one run of `--facts` S3-bucket-like facts (about 1 KB each, as bench/history.py makes
them) into a fresh local store through `RunWriter.add_fact` and `commit`, then a second night
in which 1% of the facts changed, and prints CPU seconds, wall seconds and microseconds of CPU
per fact for each night. With `--compare DIR` it also runs the same in another checkout of
annexa (a folder holding an `annexa` package, e.g. one made with `git archive`), alternating the
two in separate processes for `--rounds` rounds, and prints min / median / max per side.

    .venv/bin/python bench/store_write.py [--facts 10000] [--rounds 3] [--compare /tmp/base]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any


def _night(store: Any, facts: list[Any], run_id: str) -> dict[str, float]:
    cpu, wall = time.process_time(), time.perf_counter()
    meta = {
        "mappings": {"object": store.put_json({"rules": []}), "sha256": "x"},
        "config": {"object": store.put_json({"targets": []}), "sha256": "y"},
    }
    writer = store.begin_run(run_id, facts[0].collected_at, meta)
    adding, thread_cpu = time.perf_counter(), time.thread_time()
    for fact in facts:
        writer.add_fact(fact, "bench.buckets")
    add_s, add_cpu_s = time.perf_counter() - adding, time.thread_time() - thread_cpu
    writer.commit([], facts[0].collected_at, {})
    return {
        "cpu_s": time.process_time() - cpu,
        "wall_s": time.perf_counter() - wall,
        "add_s": add_s,  # the caller's (the runner thread's) time in add_fact: its critical path
        "add_cpu_s": add_cpu_s,
    }


def _child(count: int) -> dict[str, Any]:
    sys.path.insert(0, str(Path(__file__).parent))
    from history import COLLECTOR, Estate  # noqa: F401  (the same synthetic estate as the history bench)

    from annexa.evidence_store.store import open_store
    from annexa.model import Fact, Source

    estate = Estate(count)
    source = Source(operations=("s3:ListBuckets",), principal="arn:aws:iam::123456789012:role/bench")

    def facts(stamp: str) -> list[Fact]:
        return [Fact("bench.bucket", r, scope, data, source, stamp) for r, (scope, data) in estate.items.items()]

    with tempfile.TemporaryDirectory(prefix="annexa-write-") as tmp:
        store = open_store(str(Path(tmp) / "ev"))
        first = _night(store, facts("2026-01-01T02:00:00Z"), "night-1")
        estate.churn(0.01)
        second = _night(store, facts("2026-01-02T02:00:00Z"), "night-2")
        files = sum(len(names) for _, _, names in os.walk(Path(tmp) / "ev" / "objects"))
    return {"first": first, "second": second, "objects": files}


def _spawn(pythonpath: str | None, count: int) -> dict[str, Any]:
    env = dict(os.environ)
    if pythonpath:
        env["PYTHONPATH"] = pythonpath
    out = subprocess.run(
        [sys.executable, __file__, "--child", str(count)], env=env, capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def _spread(values: list[float]) -> str:
    return f"{statistics.median(values):7.2f} ({min(values):.2f}-{max(values):.2f})"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--facts", type=int, default=10000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--compare", help="a folder holding another `annexa` package, run alternately")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(_child(args.child)))
        return 0
    sides = {"this": None, **({"compare": args.compare} if args.compare else {})}
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name in sides}
    for _ in range(args.rounds):  # alternating, so machine drift hits both sides alike
        for name, path in sides.items():
            runs[name].append(_spawn(path, args.facts))
    print(f"{args.facts} facts, {args.rounds} rounds alternating; median (min-max)")
    print("CPU: the whole process (user + system); caller: wall time of the add_fact loop (the runner thread)")
    print(f"{'':8}{'night':>6}{'CPU s':>22}{'wall s':>22}{'caller s':>22}{'CPU us/fact':>22}")
    for name, results in runs.items():
        for night in ("first", "second"):
            cpu = [r[night]["cpu_s"] for r in results]
            wall = [r[night]["wall_s"] for r in results]
            add = [r[night]["add_s"] for r in results]
            per = [c * 1e6 / args.facts for c in cpu]
            print(f"{name:8}{night:>6}{_spread(cpu):>22}{_spread(wall):>22}{_spread(add):>22}{_spread(per):>22}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
