"""Crash safety: kill -9 `annexa collect` at random points, then check the store.

After every kill the store must hold only whole runs (every manifest's objects
present and intact, the hash chain unbroken), and the next `collect` must succeed
and chain onto the last whole run. Prints one line per trial and a summary.

    python bench/crash_safety.py [--trials 20] [--seed 7]
"""

from __future__ import annotations

import argparse
import random
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from plugin_world import ANNEXA, install_slow_plugin, subprocess_env  # noqa: E402
from store_checks import store_problems  # noqa: E402

CONFIG = "store: ./evidence\ntargets:\n  - synthetic: {items: 400, delay: 0.002, variant: '%s'}\n"


@dataclass(frozen=True)
class Trial:
    kill_after: float
    runs_before: int
    runs_after_kill: int
    problems: tuple[str, ...]
    next_collect_ok: bool


def _collect(workdir: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([ANNEXA, "collect"], cwd=workdir, env=env, capture_output=True, text=True, timeout=120)


def run_trials(workdir: Path, trials: int, seed: int) -> list[Trial]:
    env = subprocess_env(install_slow_plugin(workdir / "site"))
    rng = random.Random(seed)
    config = workdir / "annexa.yaml"
    config.write_text(CONFIG % "warm-up")
    started = time.monotonic()
    warm = _collect(workdir, env)
    if warm.returncode != 0:
        raise RuntimeError(f"warm-up collect failed: {warm.stderr[-2000:]}")
    duration = time.monotonic() - started
    results = []
    for number in range(trials):
        config.write_text(CONFIG % f"trial-{number}")  # every run writes new facts, so kills hit object writes too
        runs_before = len(list((workdir / "evidence/manifests").glob("*.json")))
        kill_after = rng.uniform(0.05, duration * 1.1)
        process = subprocess.Popen(
            [ANNEXA, "collect"], cwd=workdir, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        time.sleep(kill_after)
        process.send_signal(signal.SIGKILL)
        process.wait()
        runs_after = len(list((workdir / "evidence/manifests").glob("*.json")))
        problems = store_problems(workdir / "evidence")
        following = _collect(workdir, env)
        chained = following.returncode == 0 and not store_problems(workdir / "evidence")
        results.append(Trial(round(kill_after, 3), runs_before, runs_after, tuple(problems), chained))
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=20)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        trials = run_trials(Path(tmp), args.trials, args.seed)
    for t in trials:
        landed = "run landed" if t.runs_after_kill > t.runs_before else "no run"
        print(
            f"kill after {t.kill_after:6.3f}s: {landed:10}  problems={len(t.problems)}  next collect ok={t.next_collect_ok}"
        )
    bad = [t for t in trials if t.problems or not t.next_collect_ok]
    landed = sum(t.runs_after_kill > t.runs_before for t in trials)
    print(
        f"crash safety: {len(trials)} kill -9 trials, {landed} landed before the kill, "
        f"{len(trials) - landed} left no run, {len(bad)} damaged the store or blocked the next run"
    )
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
