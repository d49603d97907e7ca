"""Population over a period and reproducible (resource, day) samples drawn across it."""

from __future__ import annotations

import bisect
import random
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from annexa.reports.sampling import draw, frequency, population

DAYS = [date(2026, 8, 1) + timedelta(days=n) for n in range(10)]
# day -> the run that judged it: none before run 1, no run on days 4 and 5 (run 3 carried)
JUDGED = [None, 1, 2, 3, 3, 3, 4, 5, 6, 7]


def _span(resource: str, first: int, last: int, status: str = "pass", controls: tuple[str, ...] = ("A.8.24",)) -> dict:
    return {"resource": resource, "status": status, "first_seq": first, "last_seq": last, "controls": list(controls)}


def test_population_holds_every_resource_on_the_days_it_was_judged() -> None:
    spans = [
        _span("gone", 1, 3),  # deleted after run 3: still in the period's population
        _span("kept", 1, 4, "fail"),
        _span("kept", 5, 7),  # same resource, fixed: one merged range
        _span("late", 6, 7),
        _span("other", 1, 7, "not_applicable"),  # not evidence
        _span("ignored", 1, 7, controls=("A.5.1",)),
    ]
    pop = population(spans, DAYS, JUDGED, ["A.8.24"])
    assert list(pop.ranges("A.8.24")) == [("gone", [(1, 5)]), ("kept", [(1, 9)]), ("late", [(8, 9)])]
    assert (pop.resources("A.8.24"), pop.pairs("A.8.24"), pop.resources("A.5.1")) == (3, 5 + 9 + 2, 0)


def test_draw_is_reproducible_spread_and_bounded() -> None:
    pop = population([_span(f"r{i}", 1, 7) for i in range(50)], DAYS, JUDGED, ["A.8.24"])
    first = draw(pop, "A.8.24", 25, seed=3)
    assert first == draw(pop, "A.8.24", 25, seed=3) and first != draw(pop, "A.8.24", 25, seed=4)
    assert len(set(first)) == 25 and len({day for _r, day in first}) > 3
    assert all(day >= DAYS[1] for _r, day in first)  # never a day no run had judged
    small = population([_span("only", 7, 7)], DAYS, JUDGED, ["A.8.24"])
    assert draw(small, "A.8.24", 25, seed=1) == [("only", DAYS[9])]


def test_frequency_is_the_cadence_of_collection_days() -> None:
    start = date(2026, 8, 1)
    assert frequency(start + timedelta(days=n) for n in range(0, 90) if n not in (10, 11)) == "daily"
    assert frequency(start + timedelta(weeks=n) for n in range(12)) == "weekly"
    assert frequency([start, start + timedelta(days=30), start + timedelta(days=61)]) == "monthly"
    assert frequency([start, start + timedelta(days=91)]) == "quarterly"
    assert frequency([start]) == "annual"


@pytest.mark.parametrize(
    ("gap", "expected"),
    [(1, "daily"), (2, "weekly"), (7, "weekly"), (8, "monthly"), (31, "monthly"), (32, "quarterly")]
    + [(92, "quarterly"), (93, "annual"), (365, "annual")],
)
def test_frequency_bands_end_where_their_sample_sizes_change(gap: int, expected: str) -> None:
    start = date(2026, 1, 1)
    assert frequency(start + timedelta(days=gap * n) for n in range(4)) == expected


def _drawn_in_memory(spans: list[dict], controls: list[str], size: int, seed: int) -> dict[str, tuple]:
    """The oracle: population, counts and draw as b6a35ab held them, in dicts and lists."""
    seqs = [seq or 0 for seq in JUDGED]
    ranges: dict[str, dict[str, list[tuple[int, int]]]] = {}
    for span in spans:
        if span["status"] == "not_applicable":
            continue
        start = bisect.bisect_left(seqs, max(span["first_seq"], 1))
        stop = bisect.bisect_right(seqs, span["last_seq"]) - 1
        if start <= stop:
            for control in span["controls"]:
                if control in controls:
                    ranges.setdefault(control, {}).setdefault(span["resource"], []).append((start, stop))
    out = {}
    for control in controls:
        merged: dict[str, list[tuple[int, int]]] = {}
        for resource, found in ranges.get(control, {}).items():
            for a, b in sorted(found):
                runs = merged.setdefault(resource, [])
                if runs and a <= runs[-1][1] + 1:
                    runs[-1] = (runs[-1][0], max(runs[-1][1], b))
                else:
                    runs.append((a, b))
        flat = [(r, a, b) for r in sorted(merged) for a, b in merged[r]]
        starts, total = [], 0
        for _r, a, b in flat:
            starts.append(total)
            total += b - a + 1
        picks = range(total) if total <= size else random.Random(f"{seed}\x00{control}").sample(range(total), size)
        drawn = []
        for pick in sorted(picks):
            at = bisect.bisect_right(starts, pick) - 1
            drawn.append((flat[at][0], DAYS[flat[at][1] + pick - starts[at]]))
        out[control] = (len(merged), total, sorted(merged.items()), drawn)
    return out


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["a", "b", "é", "B", "a b", "zz"]),
            st.integers(0, 8),
            st.integers(0, 8),
            st.sampled_from(["pass", "fail", "not_applicable"]),
            st.lists(st.sampled_from(["A.5.1", "A.8.24", "A.8.9"]), min_size=1, max_size=2, unique=True),
        ),
        max_size=40,
    ),
    st.integers(1, 30),
    st.integers(0, 2**32 - 1),
)
def test_the_scratch_population_draws_what_the_in_memory_one_drew(
    raw: list[tuple[str, int, int, str, list[str]]], size: int, seed: int
) -> None:
    spans = [_span(r, first, max(first, last), status, tuple(cs)) for r, first, last, status, cs in raw]
    controls = ["A.8.24", "A.8.9"]
    pop = population(spans, DAYS, JUDGED, controls)
    expected = _drawn_in_memory(spans, controls, size, seed)
    for control in [*controls, "A.5.1"]:
        got = (pop.resources(control), pop.pairs(control), list(pop.ranges(control)), draw(pop, control, size, seed))
        assert got == expected.get(control, (0, 0, [], []))
