"""Benchmark: `annexa demo` (the full picture: fakes, 92 nights of history, SoA and audit pack).

    python bench/demo.py [--runs 3]

Runs the installed `annexa demo` in a fresh subprocess `runs` times (into a temporary folder, so
imports are paid as a user pays them) and prints wall-clock and CPU time (user + system of the
child), each as median and min–max. The target: well under a minute of wall time on an idle
2-core machine; the CPU time is the figure that does not depend on what else the machine runs.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ANNEXA = str(Path(sys.executable).with_name("annexa"))


def _one(folder: Path) -> tuple[float, float]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    began = time.monotonic()
    subprocess.run([ANNEXA, "demo", "--dir", str(folder)], check=True, capture_output=True)
    wall = time.monotonic() - began
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def _figure(values: list[float]) -> str:
    return f"median {statistics.median(values):5.1f} s (min {min(values):.1f} – max {max(values):.1f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    walls, cpus = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(args.runs):
            wall, cpu = _one(Path(tmp) / "annexa-demo")  # each run replaces the folder, as a user's would
            walls.append(wall)
            cpus.append(cpu)
    print(f"annexa demo, {args.runs} runs: wall {_figure(walls)}; CPU {_figure(cpus)}")


if __name__ == "__main__":
    main()
