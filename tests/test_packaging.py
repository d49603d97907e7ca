"""The wheel installs one top-level import package, `annexa`, and nothing else."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
_SKIP = shutil.ignore_patterns(
    ".venv", ".git", "build", "*.egg-info", "__pycache__", "annexa-demo", "evidence", ".pytest_cache", ".hypothesis"
)


def test_wheel_top_level_is_only_annexa(tmp_path: Path) -> None:
    source = tmp_path / "src"
    shutil.copytree(REPO, source, ignore=_SKIP, symlinks=True)
    build = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            str(tmp_path),
            str(source),
        ],
        capture_output=True,
        text=True,
    )
    assert build.returncode == 0, build.stderr[-2000:]
    (wheel,) = tmp_path.glob("annexa-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    top = {name.split("/")[0] for name in names}
    assert {t for t in top if not t.endswith(".dist-info")} == {"annexa"}
    assert "annexa/mappings/annex_a_2022.yaml" in names
    assert any(n.startswith("annexa/mappings/rules/") and n.endswith(".yaml") for n in names)
    assert not any(n.startswith(("annexa/tests/", "annexa/bench/", "annexa/conftest")) for n in names)
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    assert "[annexa.collectors]" in zipfile.ZipFile(wheel).read(entry_points).decode()
