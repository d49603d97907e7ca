"""Errors that end a command with a one-line message and a documented exit code.

Library code raises these; only `cli.py` turns them into output and exit codes,
so nothing below the CLI calls `sys.exit`.
"""

from __future__ import annotations

__all__ = ["AnnexaError", "UsageError", "StoreError", "ConcurrentRunError", "VerifyError"]


class AnnexaError(Exception):
    """Base class: `str(err)` is the whole user-facing message; `exit_code` is returned."""

    exit_code = 2


class UsageError(AnnexaError):
    """Bad arguments, configuration or mappings (exit 2, nothing written)."""


class StoreError(AnnexaError):
    """The evidence store cannot be read or written as asked (exit 2)."""


class ConcurrentRunError(StoreError):
    """Another run holds or took the store's next place in the chain."""


class VerifyError(AnnexaError):
    """Integrity verification found a problem (exit 4)."""

    exit_code = 4
