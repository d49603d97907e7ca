"""kill -9 during `collect` leaves whole runs only; the next run chains on (bench/crash_safety.py runs 20+)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

from store_checks import store_problems

_BENCH = Path(__file__).resolve().parents[2] / "bench" / "crash_safety.py"
_spec = importlib.util.spec_from_file_location("crash_safety", _BENCH)
assert _spec and _spec.loader
crash_safety = importlib.util.module_from_spec(_spec)
sys.modules["crash_safety"] = crash_safety  # dataclasses look their module up by name
_spec.loader.exec_module(crash_safety)


def test_kill_minus_nine_leaves_only_whole_runs(tmp_path: Path) -> None:
    trials = crash_safety.run_trials(tmp_path, trials=6, seed=11)
    for trial in trials:
        assert trial.problems == (), trial
        assert trial.next_collect_ok, trial
        assert trial.runs_after_kill in (trial.runs_before, trial.runs_before + 1)
    assert store_problems(tmp_path / "evidence") == []
