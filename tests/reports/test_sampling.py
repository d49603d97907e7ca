"""Population over a period and reproducible (resource, day) samples drawn across it."""

from __future__ import annotations

from datetime import date, timedelta

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
