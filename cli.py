"""The `annexa` command: parses arguments, dispatches to `annexa.commands.*` and
turns domain errors into one line on stderr and an exit code (`EXIT_CODES`, a
contract for cron and CI).
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
from collections.abc import Sequence
from types import ModuleType
from typing import NoReturn

from annexa import __version__
from annexa.commands import (
    attest,
    check,
    collect,
    controls,
    demo,
    drift,
    export,
    findings,
    head,
    imports,
    keygen,
    nonconformities,
    pack,
    reindex,
    runs,
    seal,
    soa,
    verify,
)
from annexa.commands.crash import EXIT_INTERNAL, report_crash
from annexa.commands.logging_setup import configure_logging
from annexa.commands.signals import EXIT_INTERRUPTED, EXIT_TERMINATED, Interrupted, Terminated, handling_signals
from annexa.commands.terminal import TerminalText, terminal_safe
from annexa.errors import AnnexaError, UsageErrors

__all__ = ["COMMANDS", "EXIT_CODES", "build_parser", "main"]

EXIT_CODES = {
    0: "done",
    1: "done, but some collection failed: the bundle is written and marked partial",
    2: "usage, configuration, mapping, input file or store error (or the system refused a file): one line "
    "naming the file and line or the argument; nothing written",
    3: "`drift` found regressions",
    4: "`verify` (or a report reading tampered data) found a problem",
    verify.EXIT_NO_COMPLETE_RUN: "`verify` found no complete run to check (none finished yet, e.g. the only one was "
    "interrupted): not tampering, but nothing is proven",
    EXIT_INTERNAL: "internal error (a bug): one line and the path of a crash log",
    EXIT_INTERRUPTED: "interrupted (SIGINT, Ctrl-C): logged; nothing unfinished is published",
    EXIT_TERMINATED: "terminated (SIGTERM): logged, the run lock released; nothing unfinished is published",
}

# Each command module has NAME, HELP, add_arguments(parser) and run(args) -> exit code.
COMMANDS: tuple[ModuleType, ...] = (
    collect,
    seal,
    runs,
    findings,
    soa,
    drift,
    controls,
    check,
    reindex,
    attest,
    demo,
    keygen,
    verify,
    head,
    nonconformities,
    pack,
    imports,
    export,
)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        """One line naming the bad argument, then exit 2 (argparse would print a whole usage block)."""
        self.exit(2, f"{self.prog}: error: {terminal_safe(message)} (see `{self.prog} --help`)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="annexa",
        description="Read-only evidence collection for ISO/IEC 27001:2022 Annex A.",
        epilog="exit codes:\n" + "\n".join(f"  {code:<4} {meaning}" for code, meaning in EXIT_CODES.items()),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"annexa {__version__}")
    parser.add_argument(
        "--log-level",
        choices=["debug", "info", "warning", "error"],
        help="default: info (warning for `demo`, whose summary is the point)",
    )
    parser.add_argument(
        "--log-format",
        default="auto",
        choices=["auto", "json", "console"],
        help="auto: JSON lines unless standard error is a terminal",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    subparsers.required = True
    for command in COMMANDS:
        sub = subparsers.add_parser(command.NAME, help=command.HELP, description=command.HELP)
        command.add_arguments(sub)
        sub.set_defaults(handler=command.run, default_log_level=getattr(command, "DEFAULT_LOG_LEVEL", "info"))
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = build_parser().parse_args(argv)
    configure_logging(
        args.log_level or args.default_log_level,
        json_logs={"auto": None, "json": True, "console": False}[args.log_format],
    )
    stdout = sys.stdout
    if stdout.isatty():  # names from the systems read must not drive the reader's terminal
        sys.stdout = TerminalText(stdout)  # type: ignore[assignment]
    try:
        with handling_signals():
            return _dispatch(args, argv)
    finally:
        sys.stdout = stdout


def _dispatch(args: argparse.Namespace, argv: list[str]) -> int:
    try:
        return int(args.handler(args))
    except AnnexaError as err:
        for line in err.lines if isinstance(err, UsageErrors) else [str(err)]:
            print(f"annexa: error: {terminal_safe(' '.join(line.split()))}", file=sys.stderr)
        return err.exit_code
    except KeyboardInterrupt as stop:
        return _stopped(EXIT_INTERRUPTED, "SIGINT", isinstance(stop, Interrupted))
    except Terminated:
        return _stopped(EXIT_TERMINATED, "SIGTERM", True)
    except BrokenPipeError:
        return 0
    except OSError as err:  # the environment, not a bug: a path too long, a permission, a full disk
        where = f"{err.filename}: " if err.filename else ""
        print(f"annexa: error: {terminal_safe(f'{where}{err.strerror or err}')[:500]}", file=sys.stderr)
        return 2
    except Exception as err:  # a bug: one line and a crash log, never a traceback on stderr
        return report_crash(err, argv)


def _stopped(code: int, signal_name: str, by_signal: bool) -> int:
    """One log line; then, after a real signal, leave at once (worker threads may be mid-call)."""
    import structlog

    structlog.get_logger().error(
        "interrupted" if code == EXIT_INTERRUPTED else "terminated",
        signal=signal_name,
        exit_code=code,
        detail="stopped before the end: nothing unfinished was published and the run lock is released",
    )
    if by_signal and threading.active_count() > 1:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    return code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
