"""The full demo's organisation on disk: annexa.yaml, policies, HR and training exports, risks and
attestation artefacts (demo/acme/), copied into the demo folder with their dates moved to today.

The files are written as seen on `AUTHORED_ON`; `materialise` shifts every `YYYY-MM-DD` in them by
the days since, so the story they tell (a policy review overdue for a year, a training that lapses,
a leaver who still has access) reads the same on any day the demo runs, and so do the tests' counts.
"""

from __future__ import annotations

import re
import shutil
from datetime import date, timedelta
from pathlib import Path

__all__ = ["AUTHORED_ON", "MATERIAL", "materialise", "shift_dates"]

MATERIAL = Path(__file__).parent / "acme"
AUTHORED_ON = date(2026, 12, 1)
_DATE = re.compile(r"(?<!\d)(\d{4})-(\d{2})-(\d{2})(?!\d)")  # also the date of a timestamp
_DATED = (".md", ".csv", ".json", ".yaml")  # attestation artefacts keep their bytes: they are evidence files


def shift_dates(text: str, days: int) -> str:
    """`text` with every ISO date (and the date of every RFC 3339 timestamp) moved by `days`."""
    if not days:
        return text

    def moved(match: re.Match[str]) -> str:
        year, month, day = (int(part) for part in match.groups())
        return (date(year, month, day) + timedelta(days=days)).isoformat()

    return _DATE.sub(moved, text)


def materialise(dest: Path, today: date) -> None:
    """Copy the demo organisation into `dest` (created), dated as of `today`."""
    days = (today - AUTHORED_ON).days
    for source in sorted(MATERIAL.rglob("*")):
        if source.is_dir() or source.name == "__pycache__" or source.suffix == ".pyc":
            continue
        target = dest / source.relative_to(MATERIAL)
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.suffix in _DATED:
            target.write_text(shift_dates(source.read_text(encoding="utf-8"), days), encoding="utf-8")
        else:
            shutil.copyfile(source, target)
