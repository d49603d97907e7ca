"""`annexa findings` for a person at a terminal: failures first, errors grouped by cause, wrapped
to the terminal's width (never cut: a cut expression or resource name changes its meaning)."""

from __future__ import annotations

import textwrap
from collections.abc import Iterator
from typing import Any

from annexa.reports.findings import Findings
from annexa.words import plural

__all__ = ["findings_text", "findings_text_chunks"]

_MIN_WIDTH = 40
_INDENT = " " * 10  # under the severity column


def _wrap(text: str, width: int, first: str = _INDENT, rest: str = _INDENT) -> list[str]:
    return textwrap.wrap(
        " ".join(text.split()),
        width=width,
        initial_indent=first,
        subsequent_indent=rest,
        break_long_words=True,  # a long ARN still shows whole, over several lines
        break_on_hyphens=False,
    )


def _failure(row: dict[str, Any], width: int) -> list[str]:
    head = f"{row['severity']:<8}  " if row["status"] == "fail" else f"{row['status']:<8}  "
    lines = _wrap(f"{row['title'] or row['rule']}", width, head)
    lines += _wrap(f"resource: {row['resource']}", width, _INDENT, _INDENT + "  ")
    if row["expected"]:
        lines += _wrap(f"expected: {row['expected']}", width, _INDENT, _INDENT + "  ")
        lines += _wrap(f"observed: {row['observed']}", width, _INDENT, _INDENT + "  ")
    if row["remediation"]:
        lines += _wrap(f"fix: {row['remediation']}", width, _INDENT, _INDENT + "  ")
    controls = ", ".join(row["controls"])
    if row.get("crosswalk"):
        controls += f" ({', '.join(row['crosswalk'])})"
    lines += _wrap(f"rule {row['rule']} · {controls} · {row['evidence_class']}", width, _INDENT, _INDENT + "  ")
    return lines


def findings_text(findings: Findings, width: int, show_passed: bool = False) -> str:
    """The run's failures, then its errors grouped by cause; passed and not applicable results
    only with `show_passed` (else counted, with how to list them)."""
    return "".join(findings_text_chunks(findings, width, show_passed))


def findings_text_chunks(findings: Findings, width: int, show_passed: bool = False) -> Iterator[str]:
    """`findings_text` a line at a time, the rows read as they are written (never all at once)."""
    width = max(width, _MIN_WIDTH)
    counts = findings.counts()
    run = findings.run
    yield from _lines(
        _wrap(
            f"Findings of run {run.run_id} (#{run.seq}, finished {run.finished_at}): "
            f"{plural(counts['fail'], 'failure')}, {plural(counts['error'], 'result')} not evaluated, "
            f"{counts['pass']} passed, {counts['not_applicable']} not applicable",
            width,
            "",
            "",
        )
    )
    others = ("pass", "not_applicable") if show_passed else ()
    listed = counts["fail"] + sum(counts[status] for status in others)
    if counts["fail"]:
        yield from _lines(["", f"FAILURES, most severe first ({counts['fail']})"])
        for row in findings.rows:
            if row["status"] == "fail":
                yield from _lines(["", *_failure(row, width)])
    if findings.groups:
        errors = sum(len(g.rows) for g in findings.groups)
        head = f"COULD NOT BE EVALUATED ({plural(errors, 'result')}, {plural(len(findings.groups), 'cause')})"
        yield from _lines(["", head])
        for group in findings.groups:
            rules = sorted({row["rule"] for row in group.rows})
            yield from _lines(["", *_wrap(group.line(), width, "  ", "    ")])
            shown = ", ".join(rules[:5]) + (f" and {len(rules) - 5} more" if len(rules) > 5 else "")
            yield from _lines(_wrap(f"rules: {shown}", width, "    ", "      "))
    if listed - counts["fail"]:
        yield from _lines(["", f"PASSED AND NOT APPLICABLE ({listed - counts['fail']})", ""])
        for row in findings.rows:
            if row["status"] in others:
                yield from _lines(
                    _wrap(
                        f"{row['title'] or row['rule']}: {row['resource']}", width, f"{row['status']:<14}  ", " " * 16
                    )
                )
    if not listed and not findings.groups:
        yield from _lines(
            ["", "No failures and nothing that could not be evaluated." if not show_passed else "No results match."]
        )
    if not show_passed and (counts["pass"] or counts["not_applicable"]):
        how = (
            "Passed and not applicable results: `annexa findings --status pass,not_applicable`; "
            "every result with its message: --format json, csv or html."
        )
        yield from _lines(["", *_wrap(how, width, "", "")])


def _lines(lines: list[str]) -> Iterator[str]:
    for line in lines:
        yield line + "\n"
