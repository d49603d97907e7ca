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
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

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


@dataclass(frozen=True)
class Population:
    """Per control: resource -> the day-index ranges (inclusive) on which the resource was judged."""

    days: Sequence[date]
    ranges: Mapping[str, Mapping[str, list[tuple[int, int]]]]

    def resources(self, control: str) -> int:
        return len(self.ranges.get(control, {}))

    def pairs(self, control: str) -> int:
        return sum(b - a + 1 for spans in self.ranges.get(control, {}).values() for a, b in spans)


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for a, b in sorted(spans):
        if out and a <= out[-1][1] + 1:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return out


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
    ranges: dict[str, dict[str, list[tuple[int, int]]]] = {}
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
                ranges.setdefault(control, {}).setdefault(str(span["resource"]), []).append((start, stop))
    return Population(days, {c: {r: _merge(s) for r, s in by.items()} for c, by in ranges.items()})


def draw(pop: Population, control: str, size: int, seed: int | None) -> list[tuple[str, date]]:
    """`size` (resource, day) pairs of the control's population, reproducible from `seed`, in order."""
    by_resource = pop.ranges.get(control, {})
    flat: list[tuple[str, int, int]] = [(r, a, b) for r in sorted(by_resource) for a, b in by_resource[r]]
    starts, total = [], 0
    for _resource, a, b in flat:
        starts.append(total)
        total += b - a + 1
    picks = range(total) if total <= size else random.Random(f"{seed}\x00{control}").sample(range(total), size)
    out = []
    for pick in sorted(picks):
        at = bisect.bisect_right(starts, pick) - 1
        resource, a, _b = flat[at]
        out.append((resource, pop.days[a + pick - starts[at]]))
    return out
