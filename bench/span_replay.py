"""Benchmark: the period replay behind `nonconformities` and `pack` (Store.result_span_table), before
and after a change, at two sizes, with and without a statement run in the period.

Writes (or reuses, with --store-cache) the synthetic signed stores of bench/pack_and_verify.py,
two nights each (2% of the resources change each night); the `statement` store has an
attestation run between the two nights, whose next collection run's delta adds the whole state
back. Each measurement replays the whole chain in its own process, of one side: `before` is
`--before` (a git ref, exported with `git archive`), `after` this working tree. The sides alternate
within each round (the order flips every round). Prints, per store and side, the median (min, max)
of peak RSS (VmHWM) and CPU seconds, and how peak RSS grows from the smaller size to the larger
(issue 18: flat, within 1.2x).

    .venv/bin/python bench/span_replay.py [--before REF] [--sizes 10000,30000] [--rounds 3]
                                          [--store-cache DIR]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from collections import defaultdict
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from pack_and_verify import _spread, write_store  # noqa: E402

from annexa.evidence_store.store import Store  # noqa: E402
from annexa.model import Fact, Source  # noqa: E402
from reports import export_ref, this_tree  # noqa: E402

# One replay of the whole chain; prints its CPU seconds and peak RSS in kB.
_RUN = """import resource, sys
sys.path.insert(0, sys.argv[1])
from annexa.evidence_store.store import open_store
store = open_store(sys.argv[2])
with store.result_span_table(1, store.runs()[-1].seq) as table:
    assert table.count > 0
usage = resource.getrusage(resource.RUSAGE_SELF)
with open("/proc/self/status") as status:
    peak = next(line for line in status if line.startswith("VmHWM:")).split()[1]
print(usage.ru_utime + usage.ru_stime, peak)
"""


def _attestation_before_night_1(store: Store, night: int, when: datetime) -> None:
    """An attestation run an hour before night 1: it holds no results, so its delta removes them
    all, and night 1's delta adds them all back."""
    if night != 1:
        return
    at = (when - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    meta = {
        "mappings": {"object": store.put_json({"rules": []}), "sha256": "x"},
        "config": {"object": store.put_json({"targets": []}), "sha256": "y"},
        "type": "attestation",
    }
    writer = store.begin_run("attest-1", at, meta)
    data = {
        "control": "A.5.1",
        "result": "effective",
        "note": "Policy reviewed",
        "attested_by": "Dana Chief",
        "role": "CISO",
        "recorded_by": "bench",
        "attested_at": at,
        "expires_at": at,
        "file": None,
    }
    source = Source(operations=("annexa:attest",), principal="bench")
    fact = Fact("attestation.control", "A.5.1@attest-1", {"provider": "attestation"}, data, source, at)
    writer.add_fact(fact, "attestation")
    writer.commit([], at, {})


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", default="main", help="git ref of the code to compare with")
    parser.add_argument("--sizes", default="10000,30000", help="resources per store, comma-separated")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--store-cache", type=Path, help="folder keeping the stores between runs")
    args = parser.parse_args()
    try:
        sizes = [int(n) for n in args.sizes.split(",")]
    except ValueError:
        parser.error("--sizes is comma-separated numbers")
    if args.rounds < 1 or min(sizes) < 1:
        parser.error("nothing to measure: check --rounds and --sizes")
    with tempfile.TemporaryDirectory(prefix="annexa-bench-") as tmp:
        root = Path(tmp)
        cache = args.store_cache or root / "stores"
        sides = {"before": export_ref(args.before, root / "before"), "after": this_tree(root / "after")}
        stores = {}
        for size in sizes:
            for kind in ("collections", "statement"):
                folder = cache / f"replay-{kind}-{size}"
                if not (folder / "ev" / "manifests").is_dir():
                    folder.mkdir(parents=True)
                    write_store(folder, size, 2, _attestation_before_night_1 if kind == "statement" else None)
                stores[(kind, size)] = folder / "ev"
        found: dict[tuple[str, int, str], list[tuple[float, float]]] = defaultdict(list)
        load = os.getloadavg()
        for number in range(args.rounds):
            for (kind, size), store in stores.items():
                for side in ("before", "after") if number % 2 == 0 else ("after", "before"):
                    out = subprocess.run(
                        [sys.executable, "-c", _RUN, str(sides[side]), str(store)],
                        capture_output=True,
                        text=True,
                        check=True,
                    ).stdout.split()
                    found[(kind, size, side)].append((float(out[0]), int(out[1]) / 1024))
    print(f"{args.rounds} rounds, before ({args.before}) and after (this tree) alternating; one process each:")
    for kind in ("collections", "statement"):
        for size in sizes:
            print(f"{kind} store, {size} resources ({2 * size} results a run):")
            for side in ("before", "after"):
                runs = found[(kind, size, side)]
                print(
                    f"  {side:<6} peak RSS MiB {_spread([r[1] for r in runs], 0)}; CPU s {_spread([r[0] for r in runs])}"
                )
        small, large = min(sizes), max(sizes)
        for side in ("before", "after"):
            growth = [b[1] / a[1] for a, b in zip(found[(kind, small, side)], found[(kind, large, side)], strict=True)]
            print(f"  {side}: peak RSS at {large} / at {small} resources: {_spread(growth)} (flat: <= 1.2)")
    print(f"(load average {load[0]:.1f} before the rounds, {os.getloadavg()[0]:.1f} after, on {os.cpu_count()} cores)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
