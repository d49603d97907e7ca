"""Counts and suggestions in messages."""

from __future__ import annotations

from annexa.words import did_you_mean, plural


def test_plural_agrees_with_the_count() -> None:
    assert [plural(n, "problem") for n in (0, 1, 2)] == ["0 problems", "1 problem", "2 problems"]
    assert plural(1, "cause", "causes") == "1 cause"
    assert plural(3, "index", "indexes") == "3 indexes"


def test_did_you_mean_names_the_closest_choice_or_nothing() -> None:
    assert did_you_mean("stor", ["store", "scope", "targets"]) == " (did you mean 'store'?)"
    assert did_you_mean("severty", ["severity", "remediation"]) == " (did you mean 'severity'?)"
    assert did_you_mean("xyz", ["store", "scope"]) == ""
