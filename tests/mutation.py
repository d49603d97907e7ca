"""`make mutation`: mutation testing of the verdict code (mutmut), not part of `make test` or CI.

Mutates mappings/rollup.py, mappings/evaluate.py, reports/soa.py (the SoA builder),
evidence_store/settle.py (a run's deltas and the commitment to its state),
evidence_store/spans.py (the scratch tables a period's reports replay the chain into) and
reports/sampling.py (the pack's population and reproducible sample), and runs the tests that
cover them against each mutant; prints the mutation score and every surviving
mutant. Run it from a checkout: `make mutation` (it installs mutmut into .venv first);
`.venv/bin/python tests/mutation.py evidence_store/spans.py` mutates only the files named.

Why a staging folder: this repository is the `annexa` package itself (package-dir
{"annexa" = "."}), while mutmut 3 derives a mutant's module name from its file path
(`mappings/rollup.py` -> `mappings.rollup`) and matches it with the module the tests import
(`annexa.mappings.rollup`). Laying the checkout out as `src/annexa/...` in build/mutation/
makes the two agree; mutmut then puts its mutated copy first on sys.path, ahead of the editable
install (whose finder comes after the path finder).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STAGE = ROOT / "build" / "mutation"
TARGETS = (
    "mappings/rollup.py",
    "mappings/evaluate.py",
    "reports/soa.py",
    "evidence_store/settle.py",
    "evidence_store/spans.py",
    "reports/sampling.py",
)
# The tests that judge verdicts; mutmut runs, per mutant, only those that reach the mutated function.
# (The end-to-end tests that also cover them, the full demo's above all, take tens of seconds per
# mutant: left out to keep a run within the hour on two cores.)
TESTS = (
    "tests/mappings",
    "tests/reports/test_soa_rows.py",
    "tests/reports/test_soa.py",
    "tests/reports/test_settings.py",
    "tests/reports/test_drift.py",
    "tests/test_attestations.py",
    "tests/evidence_store/test_carry_and_changes.py",
    "tests/evidence_store/test_settle.py",
    "tests/evidence_store/test_spans.py",
    "tests/evidence_store/test_store.py",
    "tests/test_readme_statuses.py",
    "tests/reports/test_sampling.py",
)
PYPROJECT = """\
[tool.mutmut]
source_paths = ["src/annexa"]
only_mutate = [{targets}]
pytest_add_cli_args_test_selection = [{tests}]
pytest_add_cli_args = ["-p", "no:cacheprovider", "-q", "-x"]
also_copy = ["README.md"]

[tool.pytest.ini_options]
testpaths = ["tests"]
addopts = "--import-mode=importlib"
pythonpath = ["tests"]
"""


def _tracked() -> list[str]:
    out = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return [line for line in out.splitlines() if line]


def stage(targets: Sequence[str]) -> None:
    """build/mutation: src/annexa/<the package>, tests/, README.md, a pyproject for mutmut."""
    if STAGE.exists():
        shutil.rmtree(STAGE)
    for name in _tracked():
        source = ROOT / name
        if not source.is_file():
            continue
        if name.startswith("tests/") or name == "README.md":
            target = STAGE / name
        else:
            target = STAGE / "src" / "annexa" / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target)
    (STAGE / "pyproject.toml").write_text(
        PYPROJECT.format(
            targets=", ".join(f'"src/annexa/{t}"' for t in targets), tests=", ".join(f'"{t}"' for t in TESTS)
        )
    )


def main(argv: Sequence[str]) -> int:
    targets = list(argv) or list(TARGETS)
    unknown = [t for t in targets if t not in TARGETS]
    if unknown:
        print(f"mutation: not a target: {', '.join(unknown)} (targets: {', '.join(TARGETS)})", file=sys.stderr)
        return 2
    stage(targets)
    mutmut = [sys.executable, "-m", "mutmut"]
    env = {**os.environ, "ANNEXA_DISABLE_PLUGIN_AUTOLOAD": "1"}
    run = subprocess.run([*mutmut, "run", "--max-children", str(os.cpu_count() or 2)], cwd=STAGE, env=env)
    if run.returncode not in (0, 1):
        return run.returncode
    subprocess.run([*mutmut, "export-cicd-stats"], cwd=STAGE, env=env, check=True, capture_output=True)
    stats = json.loads((STAGE / "mutants" / "mutmut-cicd-stats.json").read_text())
    survivors = subprocess.run([*mutmut, "results"], cwd=STAGE, env=env, capture_output=True, text=True).stdout
    judged = stats["killed"] + stats["survived"] + stats["timeout"] + stats["suspicious"] + stats["no_tests"]
    score = 100.0 * (stats["killed"] + stats["timeout"]) / judged if judged else 0.0
    print(survivors, end="")
    print(
        f"mutation score: {score:.1f}% ({stats['killed']} killed, {stats['timeout']} timed out, "
        f"{stats['survived']} survived, {stats['no_tests']} without tests, {stats['suspicious']} suspicious; "
        f"{stats['total']} mutants of {', '.join(targets)})"
    )
    print(f"inspect one: cd {STAGE.relative_to(ROOT)} && {sys.executable} -m mutmut show MUTANT")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
