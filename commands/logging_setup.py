"""structlog configuration: JSON lines for cron and log pipelines, readable on a terminal.

Logs go to stderr so stdout carries only a command's output (JSON, CSV, tables). Every
value of every line is redacted like stored evidence (an error message may quote a
response body), and on a terminal control characters are shown, never obeyed.
"""

from __future__ import annotations

import logging
import sys
from typing import TextIO

import structlog
from structlog.tracebacks import ExceptionDictTransformer
from structlog.typing import EventDict

from annexa.commands.terminal import terminal_safe
from annexa.evidence_store.redact import redact, redact_text

__all__ = ["configure_logging"]


class _CurrentStderr:
    """Writes to whatever `sys.stderr` is at the time, so the live progress display
    (which redirects stderr while it runs) prints log lines above itself."""

    def write(self, text: str) -> int:
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()


def _redact_value(value: object) -> object:
    if isinstance(value, str):
        return redact_text(value)
    return redact(value) if isinstance(value, (dict, list)) else value


def _redact_event(_logger: object, _method: str, event: EventDict) -> EventDict:
    return {key: _redact_value(value) for key, value in event.items()}


def _terminal_safe_event(_logger: object, _method: str, event: EventDict) -> EventDict:
    return {key: terminal_safe(value) if isinstance(value, str) else value for key, value in event.items()}


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
            else structlog.processors.format_exc_info,
            _redact_event,
            *(() if json_logs else (_terminal_safe_event,)),  # JSON escapes control characters itself
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        logger_factory=structlog.PrintLoggerFactory(file=stream or _CurrentStderr()),
        cache_logger_on_first_use=False,
    )
