"""Errors that end a command with a one-line message and a documented exit code.

Library code raises these; only `cli.py` turns them into output and exit codes,
so nothing below the CLI calls `sys.exit`.
"""

from __future__ import annotations

__all__ = ["AnnexaError", "UsageError", "UsageErrors", "StoreError", "ConcurrentRunError", "VerifyError"]


class AnnexaError(Exception):
    """Base class: `str(err)` is the whole user-facing message; `exit_code` is returned."""

    exit_code = 2


class UsageError(AnnexaError):
    """Bad arguments, configuration or mappings (exit 2, nothing written)."""


class UsageErrors(UsageError):
    """Every problem found in one pass over input files (exit 2), so a user fixes them all at once
    instead of one per run; `lines` has one line per problem, at most `limit`, then how many more."""

    limit = 20

    def __init__(self, problems: list[str]) -> None:
        shown = problems[: self.limit]
        more = len(problems) - len(shown)
        self.lines = [*shown, *([f"... and {more} more problems"] if more else [])]
        super().__init__("\n".join(self.lines))


class StoreError(AnnexaError):
    """The evidence store cannot be read or written as asked (exit 2)."""


class ConcurrentRunError(StoreError):
    """Another run holds or took the store's next place in the chain."""


class VerifyError(AnnexaError):
    """Integrity verification found a problem (exit 4)."""

    exit_code = 4
