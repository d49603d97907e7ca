"""Words for counts in messages people read: "1 problem", "2 problems"."""

from __future__ import annotations

__all__ = ["plural"]


def plural(count: int, singular: str, plural_form: str | None = None) -> str:
    """`count` and the noun agreeing with it: plural(1, "problem") == "1 problem"."""
    return f"{count} {singular if count == 1 else (plural_form or singular + 's')}"
