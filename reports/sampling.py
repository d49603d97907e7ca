"""Population and sample over an audit period, as an auditor tests operating effectiveness.

The population of a control is every (resource, day) on which a rule of the control judged that
resource in the period: every resource that existed at any time in it (from the index's
intervals, Store.result_spans), not only those alive at its end, each on each day whose judging
collection run saw it. A sample is a reproducible random draw of such pairs: random.Random seeded
with (seed, control id) over pairs in a fixed order, so the same seed always gives the same
sample and adding a control changes no other. Pairs are never materialised: a control with
10,000 resources over 90 days is drawn by index.

Default sample sizes follow the sizes auditors use for tests of controls by how often a control
operates (AICPA Audit Guide *Audit Sampling* and the PCAOB-era tables firms derive from it: an
annual control 1, quarterly 2, monthly 2 to 5, weekly 5 to 15, daily 20 to 40, many times a day
25 to 60). annexa takes the low end of each band with a daily floor of 25, as a starting point an
auditor adjusts to risk; `pack: {sample_sizes: {daily: 40}}` in annexa.yaml overrides any of them,
and `--sample N` sets one size for every control. A control's frequency is the cadence of the
period's collection runs (the median number of days between nights with a collection).
"""

from __future__ import annotations

import bisect
import random
import statistics
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import date
from typing import Any

from annexa.evidence_store.spans import scratch_db

__all__ = ["FREQUENCIES", "SAMPLE_SIZES", "Population", "draw", "frequency", "population"]

FREQUENCIES = ("daily", "weekly", "monthly", "quarterly", "annual")
SAMPLE_SIZES: Mapping[str, int] = {"daily": 25, "weekly": 5, "monthly": 2, "quarterly": 2, "annual": 1}


def frequency(collection_days: Iterable[date]) -> str:
    """How often the controls operated in the period, from the days that had a collection run."""
    days = sorted(set(collection_days))
    if len(days) < 2:
        return "annual"
    gap = statistics.median((b - a).days for a, b in zip(days, days[1:], strict=False))
    for name, limit in (("daily", 1), ("weekly", 7), ("monthly", 31), ("quarterly", 92)):
        if gap <= limit:
            return name
    return "annual"


class Population:
    """Per control: each resource with the day-index ranges (inclusive, merged) on which it was
    judged. The ranges grow with the period's resources, so they stay in a scratch table
    (spans.scratch_db) and are merged as they are read; only per-control counts are kept."""

    def __init__(self, days: Sequence[date]) -> None:
        self.days = days
        self._db = scratch_db("")
        self._db.execute("CREATE TABLE judged(control TEXT NOT NULL, resource TEXT NOT NULL, a INTEGER, b INTEGER)")
        self._db.execute("BEGIN")
        self._indexed = False
        self._counts: dict[str, tuple[int, int]] = {}

    def _add(self, rows: Iterable[tuple[str, str, int, int]]) -> None:
        self._db.executemany("INSERT INTO judged VALUES(?, ?, ?, ?)", rows)

    def ranges(self, control: str) -> Iterator[tuple[str, list[tuple[int, int]]]]:
        """(resource, its merged day-index ranges) of the control, by resource as Python orders str."""
        if not self._indexed:
            self._db.execute("COMMIT")
            self._db.execute("CREATE INDEX judged_order ON judged(control, resource, a, b)")
            self._indexed = True
        resource, merged = None, []
        query = "SELECT resource, a, b FROM judged WHERE control = ? ORDER BY resource, a, b"
        for found, a, b in self._db.cursor().execute(query, (control,)):
            if found != resource:
                if resource is not None:
                    yield resource, merged
                resource, merged = found, []
            if merged and a <= merged[-1][1] + 1:
                merged[-1] = (merged[-1][0], max(merged[-1][1], b))
            else:
                merged.append((a, b))
        if resource is not None:
            yield resource, merged

    def _count(self, control: str) -> tuple[int, int]:
        if control not in self._counts:
            resources = pairs = 0
            for _resource, merged in self.ranges(control):
                resources += 1
                pairs += sum(b - a + 1 for a, b in merged)
            self._counts[control] = (resources, pairs)
        return self._counts[control]

    def resources(self, control: str) -> int:
        return self._count(control)[0]

    def pairs(self, control: str) -> int:
        return self._count(control)[1]


def population(
    spans: Iterable[Mapping[str, Any]],
    days: Sequence[date],
    judged_by: Sequence[int | None],
    controls: Iterable[str],
) -> Population:
    """From result spans (rule, resource, status, first_seq, last_seq, controls as a list) and the
    run that judged each day, the (resource, day) population of each control."""
    wanted = set(controls)
    seqs = [seq or 0 for seq in judged_by]  # non-decreasing: a day is judged by the latest run before it
    pop = Population(days)

    def rows() -> Iterator[tuple[str, str, int, int]]:
        for span in spans:
            if span["status"] == "not_applicable":
                continue  # not evidence: the rule did not apply to the resource
            first, last = int(span["first_seq"]), int(span["last_seq"])
            start = bisect.bisect_left(seqs, max(first, 1))
            stop = bisect.bisect_right(seqs, last) - 1
            if start > stop:
                continue  # the span lived only between two nights' judging runs
            for control in span["controls"]:
                if control in wanted:
                    yield control, str(span["resource"]), start, stop

    pop._add(rows())
    return pop


def draw(pop: Population, control: str, size: int, seed: int | None) -> list[tuple[str, date]]:
    """`size` (resource, day) pairs of the control's population, reproducible from `seed`, in order."""
    total = pop.pairs(control)
    picks = range(total) if total <= size else random.Random(f"{seed}\x00{control}").sample(range(total), size)
    wanted = iter(sorted(picks))  # pair numbers, counted over the resources' ranges in order
    pick, offset, out = next(wanted, None), 0, []
    for resource, merged in pop.ranges(control):
        for a, b in merged:
            while pick is not None and pick <= offset + b - a:
                out.append((resource, pop.days[a + pick - offset]))
                pick = next(wanted, None)
            offset += b - a + 1
        if pick is None:
            break
    return out
