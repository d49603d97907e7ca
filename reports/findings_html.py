"""`annexa findings --format html`: one self-contained page an auditor or engineer can filter.

Inline CSS and one inline script (filters), nothing fetched. Every value from the run is
escaped by the template (autoescape); the Content-Security-Policy allows only the script whose
sha256 it names, so even a value that escaped escaping could not run code.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterator
from pathlib import Path

from annexa.reports.findings import Findings
from annexa.reports.html import render_page_chunks

__all__ = ["findings_html", "findings_html_chunks"]

_SCRIPT = (Path(__file__).parent / "templates" / "findings.js").read_text(encoding="utf-8")
_SCRIPT_HASH = "sha256-" + base64.b64encode(hashlib.sha256(_SCRIPT.encode("utf-8")).digest()).decode("ascii")
_SEVERITIES = ("critical", "high", "medium", "low")


def findings_html(findings: Findings) -> str:
    return "".join(findings_html_chunks(findings))


def findings_html_chunks(findings: Findings) -> Iterator[str]:
    """The page, written as the template renders it: the rows are read as they are written."""
    counts = findings.counts()
    return render_page_chunks(
        "findings.html",
        title=f"annexa findings: run {findings.run.run_id}",
        run=findings.run,
        counts=[(status, n) for status, n in counts.items() if n],
        total=sum(counts.values()),
        groups=findings.groups,
        rows=findings.rows,
        severities=_SEVERITIES,
        script=_SCRIPT,
        script_hash=_SCRIPT_HASH,
    )
