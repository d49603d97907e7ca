"""Words in messages people read: "1 problem", "2 problems"; "did you mean 'store'?"."""

from __future__ import annotations

import difflib
from collections.abc import Iterable

__all__ = ["did_you_mean", "plural"]


def plural(count: int, singular: str, plural_form: str | None = None) -> str:
    """`count` and the noun agreeing with it: plural(1, "problem") == "1 problem"."""
    return f"{count} {singular if count == 1 else (plural_form or singular + 's')}"


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """`" (did you mean 'store'?)"` for the closest of `choices` to a misspelt `word`, else ""."""
    close = difflib.get_close_matches(word, sorted(choices), n=1, cutoff=0.75)
    return f" (did you mean {close[0]!r}?)" if close else ""
