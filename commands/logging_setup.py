"""structlog configuration: JSON lines for cron and log pipelines, readable on a terminal.

Logs go to stderr so stdout carries only a command's output (JSON, CSV, tables).
"""

from __future__ import annotations

import logging
import sys
from typing import TextIO

import structlog
from structlog.tracebacks import ExceptionDictTransformer

__all__ = ["configure_logging"]


class _CurrentStderr:
    """Writes to whatever `sys.stderr` is at the time, so the live progress display
    (which redirects stderr while it runs) prints log lines above itself."""

    def write(self, text: str) -> int:
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()


def configure_logging(level: str = "info", stream: TextIO | None = None, json_logs: bool | None = None) -> None:
    if json_logs is None:
        json_logs = not (stream or sys.stderr).isatty()
    renderer: structlog.typing.Processor
    if json_logs:
        renderer = structlog.processors.JSONRenderer(sort_keys=True)
    else:
        renderer = structlog.dev.ConsoleRenderer(colors=False, exception_formatter=structlog.dev.plain_traceback)
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            # Tracebacks without local variables: locals can hold credentials or fact data.
            structlog.processors.ExceptionRenderer(ExceptionDictTransformer(show_locals=False))
            if json_logs
            else structlog.dev.set_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        logger_factory=structlog.PrintLoggerFactory(file=stream or _CurrentStderr()),
        cache_logger_on_first_use=False,
    )
