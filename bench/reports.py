"""Benchmark: each report's peak memory, wall and CPU time at two sizes, before and after a change.

Writes the synthetic signed stores of bench/pack_and_verify.py (two rules, ~10% failing, ~2% of the
resources changing each night): two nights of each `--sizes` number of resources (two results per
resource; drift compares the nights; `pack-resources` packs both nights), and `--nights` (e.g.
30,90) of `--pack-resources` for the pack, whose periods are the first 30 and 90 days of the same
store. Each measurement is the `annexa` command line in its own process, of one side: `before` is
`--before` (a git ref, exported with `git archive`), `after` this working tree (or `--after`, a git
ref). The process reports its own peak RSS (VmHWM) and is reaped with os.wait4, so its CPU seconds
are its own. Within each round the two sides run one after the other on the same store (the order
flips every round), so both see the same machine load; prints per report, size and side the median
(min, max) of peak RSS, wall and CPU seconds, the after/before ratio of peak RSS per round, and how
peak RSS grows from the smaller size to the larger (issue 18: flat, within 1.2x).

    .venv/bin/python bench/reports.py [--before REF] [--sizes 10000,30000] [--pack-resources 2000]
                                      [--nights 30,90] [--rounds 3] [--only findings-json,pack]
                                      [--store-cache DIR]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from pack_and_verify import _spread, cached_store, write_store  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
# The command line of one side: its code first on sys.path (a folder holding `annexa`), then cli.main;
# on its way out it writes its own peak RSS (VmHWM). Not ru_maxrss: Linux carries the forking parent's
# peak across exec into the child's ru_maxrss, so a bench process that wrote a big store would set a floor.
_RUN = """import sys
peak_file = sys.argv.pop(1)
sys.path.insert(0, sys.argv.pop(1))
from annexa.cli import main
try:
    code = main(sys.argv[1:])
finally:
    with open("/proc/self/status") as status, open(peak_file, "w") as out:
        out.write(next(line for line in status if line.startswith("VmHWM:")).split()[1])
sys.exit(code)
"""
FIRST_DAY = date(2026, 8, 1)  # pack_and_verify.START


@dataclass(frozen=True)
class Report:
    name: str
    argv: tuple[str, ...]  # after `annexa <command>`, before `--store` and `-o`
    suffix: str
    pack: bool = False  # sized in nights of the pack store, not in resources


REPORTS = (
    Report("findings-json", ("findings", "--format", "json"), "json"),
    Report("findings-csv", ("findings", "--format", "csv"), "csv"),
    Report("soa-xlsx", ("soa", "--format", "xlsx"), "xlsx"),
    Report("nonconformities-xlsx", ("nonconformities", "--format", "xlsx"), "xlsx"),
    Report("findings-html", ("findings", "--format", "html"), "html"),
    Report("drift-json", ("drift", "--format", "json"), "json"),  # the second night against the first
    Report("oscal-json", ("export", "oscal"), "json"),
    Report("pack", ("pack",), "zip", pack=True),
    # the pack of the two-night stores: how it grows with resources (issue 18: flat within 1.2x)
    Report("pack-resources", ("pack", "--from", str(FIRST_DAY), "--to", str(FIRST_DAY + timedelta(days=1))), "zip"),
)


@dataclass(frozen=True)
class Figures:
    wall: float
    cpu: float
    rss_mib: float


def measure(code: Path, argv: Sequence[str], log: Path) -> Figures:
    """One command in its own process: wall seconds, its CPU seconds (os.wait4) and its peak RSS."""
    peak = log.with_suffix(".peak")
    began = time.perf_counter()
    with log.open("wb") as err:
        child = subprocess.Popen(
            [sys.executable, "-c", _RUN, str(peak), str(code), *argv],
            stdout=subprocess.DEVNULL,
            stderr=err,
            cwd=log.parent,
        )
        _pid, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - began
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode not in (0, 3):  # 3: the report has failing results, as the bench store does
        raise SystemExit(f"{' '.join(argv)} exited {child.returncode}:\n{log.read_text()[-2000:]}")
    return Figures(wall, usage.ru_utime + usage.ru_stime, int(peak.read_text()) / 1024)  # VmHWM is in kB


def export_ref(ref: str, into: Path) -> Path:
    """The code of git `ref` as a folder holding `annexa`, for `before`."""
    into.mkdir(parents=True)
    archive = subprocess.run(
        ["git", "-C", str(REPO), "archive", ref, "--prefix=annexa/"], check=True, capture_output=True
    )
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive.stdout, check=True)
    return into


def this_tree(into: Path) -> Path:
    """This working tree as a folder holding `annexa`, for `after`."""
    into.mkdir(parents=True)
    (into / "annexa").symlink_to(REPO)
    return into


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--before",
        help="git ref of the code to compare with (default: where this branch left main, so that main's newer "
        "sources, whose collectors this tree's installed entry points do not register, stay out)",
    )
    parser.add_argument("--after", help="git ref of the code measured (default: this working tree, as it is)")
    parser.add_argument("--sizes", default="10000,30000", help="resources per store, comma-separated")
    parser.add_argument("--pack-resources", type=int, default=2000)
    parser.add_argument("--nights", default="30,90", help="pack periods in nights, comma-separated")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--store-cache", type=Path, help="folder keeping the stores between runs")
    parser.add_argument(
        "--only", default="", help="comma-separated report names: " + ", ".join(r.name for r in REPORTS)
    )
    args = parser.parse_args()
    if args.before is None:
        base = subprocess.run(["git", "-C", str(REPO), "merge-base", "main", "HEAD"], capture_output=True, text=True)
        args.before = base.stdout.strip()[:12] or "main"
    try:
        sizes = [int(n) for n in args.sizes.split(",")]
        nights = [int(n) for n in args.nights.split(",")]
    except ValueError:
        parser.error("--sizes and --nights are comma-separated numbers")
    reports = [r for r in REPORTS if not args.only or r.name in args.only.split(",")]
    if not reports or args.rounds < 1 or min(sizes + nights) < 1 or args.pack_resources < 1:
        parser.error("nothing to measure: check --only, --rounds, --sizes, --nights, --pack-resources")

    with tempfile.TemporaryDirectory(prefix="annexa-bench-") as tmp:
        root = Path(tmp)
        after = export_ref(args.after, root / "after") if args.after else this_tree(root / "after")
        sides = {"before": export_ref(args.before, root / "before"), "after": after}
        stores: dict[int, Path] = {}
        if any(not r.pack for r in reports):
            for size in sizes:  # two nights: drift compares them
                if args.store_cache is not None:
                    stores[size] = cached_store(args.store_cache, size, 2)
                    continue
                stores[size] = root / f"store-{size}"
                stores[size].mkdir()
                seconds = write_store(stores[size], size, 2)
                print(f"store: 2 nights x {size} resources ({2 * size} results each) written in {seconds:.1f}s")
        pack_store = root / "store-pack"
        if any(r.pack for r in reports) and args.store_cache is not None:
            pack_store = cached_store(args.store_cache, args.pack_resources, max(nights))
        elif any(r.pack for r in reports):
            pack_store.mkdir()
            seconds = write_store(pack_store, args.pack_resources, max(nights))
            print(f"store: {max(nights)} nights x {args.pack_resources} resources written in {seconds:.1f}s")

        runs: list[tuple[Report, int, list[str]]] = []
        for report in reports:
            for size in nights if report.pack else sizes:
                store = pack_store if report.pack else stores[size]
                argv = [*report.argv, "--store", str(store / "ev")]
                if report.pack:
                    last = FIRST_DAY + timedelta(days=size - 1)
                    argv += ["--from", str(FIRST_DAY), "--to", str(last)]
                runs.append((report, size, argv))

        figures: dict[tuple[str, int, str], list[Figures]] = defaultdict(list)
        load = os.getloadavg()
        for number in range(args.rounds):
            for report, size, argv in runs:
                for side in ("before", "after") if number % 2 == 0 else ("after", "before"):
                    out = root / f"out-{side}.{report.suffix}"
                    figures[(report.name, size, side)].append(
                        measure(sides[side], [*argv, "-o", str(out)], out.with_suffix(".log"))
                    )
                    out.unlink()

    print(
        f"{args.rounds} rounds, before ({args.before}) and after ({args.after or 'this tree'}) alternating; "
        "one process each:"
    )
    for report in reports:
        unit = "nights" if report.pack else "resources"
        for size in nights if report.pack else sizes:
            print(f"{report.name} at {size} {unit}:")
            for side in ("before", "after"):
                found = figures[(report.name, size, side)]
                print(
                    f"  {side:<6} peak RSS MiB {_spread([f.rss_mib for f in found], 0)}; "
                    f"wall s {_spread([f.wall for f in found])}; CPU s {_spread([f.cpu for f in found])}"
                )
            pairs = zip(figures[(report.name, size, "after")], figures[(report.name, size, "before")], strict=True)
            print(f"  after/before peak RSS, per round: {_spread([a.rss_mib / b.rss_mib for a, b in pairs])}")
        small, large = (min(nights), max(nights)) if report.pack else (min(sizes), max(sizes))
        for side in ("before", "after"):
            growth = [
                big.rss_mib / little.rss_mib
                for little, big in zip(
                    figures[(report.name, small, side)], figures[(report.name, large, side)], strict=True
                )
            ]
            print(f"  {side}: peak RSS at {large} / at {small} {unit}: {_spread(growth)} (flat: <= 1.2)")
    print(f"(load average {load[0]:.1f} before the rounds, {os.getloadavg()[0]:.1f} after, on {os.cpu_count()} cores)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
