"""HTML rendering for reports and the audit pack.

Jinja2 with autoescape on for every template: every value from a bundle (resource
names, tags, messages) is untrusted and shown as text. Pages are self-contained:
inline CSS and SVG, no script, and a Content-Security-Policy that forbids fetching
anything, so a pack opens offline and a hostile value could not load or run code.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from annexa.reports.xlsx import text_cell

__all__ = ["STATUS_COLOURS", "render_page", "render_page_chunks", "status_words"]

# Control and result statuses -> fill colour (chart cells, badges).
STATUS_COLOURS = {
    "implemented": "#2e7d32",
    "pass": "#2e7d32",
    "partial": "#f9a825",
    "not_implemented": "#c62828",
    "fail": "#c62828",
    "error": "#6a1b9a",
    "documented": "#90caf9",
    "attested": "#1565c0",
    "stale": "#8d6e63",
    "no_evidence": "#bdbdbd",
    "not_applicable": "#bdbdbd",
    "excluded": "#eceff1",
}


def status_words(status: str | None) -> str:
    """A status as an auditor reads it: `not_implemented` -> `not implemented` (identifiers stay in JSON and CSV)."""
    return (status or "").replace("_", " ")


_ENV = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=True,
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
_ENV.filters["pretty_json"] = lambda value: json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False)
_ENV.globals["colours"] = STATUS_COLOURS
_ENV.filters["words"] = status_words
_ENV.filters["cell"] = text_cell  # the text a workbook cell shows, so HTML and XLSX say the same


def render_page(template: str, **context: Any) -> str:
    context.setdefault("root", "")
    return _ENV.get_template(template).render(**context)


def render_page_chunks(template: str, **context: Any) -> Iterator[str]:
    """`render_page` a piece at a time (Jinja's generate): a loop over a long iterable is written
    as it runs, not collected into one string."""
    context.setdefault("root", "")
    return _ENV.get_template(template).generate(**context)
