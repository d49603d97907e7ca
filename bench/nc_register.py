"""Benchmark: the non-conformity register (lifecycle, records, evidence gaps) over 30 and 90 nights.

Writes the synthetic signed store of bench/pack_and_verify.py (N resources, ~10% failing, ~2%
flipping each night, two rules), then times, alternating within one run: A = reading the verified
result spans alone (Store.result_spans from run 1: the floor), B = the whole register
(build_register). Prints medians and min-max of both and B's peak Python memory (tracemalloc) at
each number of nights, so growth in nights shows.

    .venv/bin/python bench/nc_register.py [--resources 2000] [--repeat 3]   (10000: ~7 min to write the store)
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import tracemalloc
from datetime import date, datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from pack_and_verify import write_store  # noqa: E402

from annexa.evidence_store.store import open_store  # noqa: E402
from annexa.reports.nonconformities import build_register  # noqa: E402
from annexa.reports.period import resolve_period  # noqa: E402

NOW = datetime(2027, 1, 1, tzinfo=timezone.utc)


def figures(values: list[float]) -> str:
    return f"median {statistics.median(values):.2f}s (min {min(values):.2f}, max {max(values):.2f})"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--resources", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="annexa-bench-") as tmp:
        root = Path(tmp)
        write_s = write_store(root, args.resources, 90)
        print(f"store: 90 nightly runs x {args.resources} resources written in {write_s:.1f}s")
        for nights in (30, 90):
            store = open_store(str(root / "ev"))
            period = resolve_period(
                store, date(2026, 8, 1), date(2026, 8, nights) if nights <= 31 else date(2026, 10, 29)
            )
            spans_s: list[float] = []
            register_s: list[float] = []
            for _ in range(args.repeat):
                began = time.perf_counter()
                spans = store.result_spans(1, period.last.seq)
                spans_s.append(time.perf_counter() - began)
                began = time.perf_counter()
                register = build_register(store, period, NOW)
                register_s.append(time.perf_counter() - began)
            tracemalloc.start()
            build_register(open_store(str(root / "ev")), period, NOW)
            peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
            print(
                f"{nights} nights: {len(spans)} result spans, {len(register.items)} non-conformities, "
                f"{len(register.gaps)} gaps"
            )
            print(f"  A spans only:    {figures(spans_s)}")
            print(f"  B register:      {figures(register_s)}; peak Python memory {peak / 1024 / 1024:.0f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
