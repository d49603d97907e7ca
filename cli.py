"""The `annexa` command: parses arguments, dispatches to `annexa.commands.*` and
turns domain errors into one line on stderr and an exit code (`EXIT_CODES`, a
contract for cron and CI).
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import threading
from collections.abc import Sequence
from types import ModuleType
from typing import NoReturn

from annexa.commands.crash import EXIT_INTERNAL, report_crash
from annexa.commands.signals import EXIT_INTERRUPTED, EXIT_TERMINATED, Interrupted, Terminated, handling_signals
from annexa.commands.terminal import TerminalText, terminal_safe
from annexa.errors import AnnexaError, UsageErrors

__all__ = ["COMMANDS", "EXIT_CODES", "build_parser", "main"]  # noqa: F822 (COMMANDS: see __getattr__)

EXIT_CODES = {
    0: "done",
    1: "done, but some collection failed: the bundle is written and marked partial",
    2: "usage, configuration, mapping, input file or store error (or the system refused a file): one line "
    "naming the file and line or the argument; nothing written",
    3: "`drift` found regressions",
    4: "`verify` (or a report reading tampered data) found a problem",
    5: "`verify` found no complete run to check (none finished yet, e.g. the only one was "
    "interrupted): not tampering, but nothing is proven",
    EXIT_INTERNAL: "internal error (a bug): one line and the path of a crash log",
    EXIT_INTERRUPTED: "interrupted (SIGINT, Ctrl-C): logged; nothing unfinished is published",
    EXIT_TERMINATED: "terminated (SIGTERM): logged, the run lock released; nothing unfinished is published",
}

# Each command module has NAME, HELP, add_arguments(parser) and run(args) -> exit code. Only the
# command being run is imported (a short command such as `verify` must not pay for every report's
# imports); `annexa --help` and an unknown command import them all. In the order help lists them.
_COMMAND_MODULES = {  # command name -> module under annexa.commands
    "collect": "collect",
    "seal": "seal",
    "runs": "runs",
    "findings": "findings",
    "soa": "soa",
    "drift": "drift",
    "controls": "controls",
    "check": "check",
    "reindex": "reindex",
    "attest": "attest",
    "demo": "demo",
    "keygen": "keygen",
    "verify": "verify",
    "head": "head",
    "nonconformities": "nonconformities",
    "nc": "nc",
    "pack": "pack",
    "import": "imports",
    "export": "export",
}
_GLOBAL_OPTIONS_WITH_VALUE = ("--log-level", "--log-format")


def _command(name: str) -> ModuleType:
    return importlib.import_module(f"annexa.commands.{_COMMAND_MODULES[name]}")


def __getattr__(name: str) -> object:
    """`COMMANDS`: every command module, imported on first use (tests and help walk them)."""
    if name == "COMMANDS":
        return tuple(_command(n) for n in _COMMAND_MODULES)
    raise AttributeError(name)


def _chosen(argv: Sequence[str]) -> str | None:
    """The command named on the command line (the first argument that is not a global option)."""
    skip = False
    for arg in argv:
        if skip:
            skip = False
        elif arg in ("-h", "--help"):
            return None  # `annexa --help verify`: the whole help, every command listed
        elif arg in _GLOBAL_OPTIONS_WITH_VALUE:
            skip = True
        elif not arg.startswith("-"):
            return arg
        elif arg == "--":
            return None
    return None


class _Version(argparse.Action):
    """--version, the version looked up only when asked for (see annexa.__getattr__)."""

    def __call__(self, parser: argparse.ArgumentParser, *_args: object, **_options: object) -> NoReturn:
        from annexa import __version__

        parser.exit(0, f"annexa {__version__}\n")


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        """One line naming the bad argument, then exit 2 (argparse would print a whole usage block)."""
        self.exit(2, f"{self.prog}: error: {terminal_safe(message)} (see `{self.prog} --help`)\n")


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The parser; given `argv` that names a command, only that command's module is imported
    (the others are listed by name, enough to parse and to refuse a misspelt one)."""
    chosen = _chosen(argv) if argv is not None else None
    if chosen not in _COMMAND_MODULES:
        chosen = None
    parser = _Parser(
        prog="annexa",
        description="Read-only evidence collection for ISO/IEC 27001:2022 Annex A.",
        epilog="exit codes:\n" + "\n".join(f"  {code:<4} {meaning}" for code, meaning in EXIT_CODES.items()),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action=_Version, nargs=0, help="show the version and exit")
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
    for name in _COMMAND_MODULES:
        if chosen is not None and name != chosen:
            subparsers.add_parser(name)
            continue
        command = _command(name)
        sub = subparsers.add_parser(command.NAME, help=command.HELP, description=command.HELP)
        command.add_arguments(sub)
        sub.set_defaults(
            handler=command.run,
            default_log_level=getattr(command, "DEFAULT_LOG_LEVEL", "info"),
            logs=getattr(command, "LOGS", True),
        )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = build_parser(argv).parse_args(argv)
    if args.logs:  # a command that never logs (`verify`) does not load structlog; see _stopped
        _configure_logging(args)
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
        return _stopped(EXIT_INTERRUPTED, "SIGINT", isinstance(stop, Interrupted), args)
    except Terminated:
        return _stopped(EXIT_TERMINATED, "SIGTERM", True, args)
    except BrokenPipeError:
        return 0
    except OSError as err:  # the environment, not a bug: a path too long, a permission, a full disk
        where = f"{err.filename}: " if err.filename else ""
        print(f"annexa: error: {terminal_safe(f'{where}{err.strerror or err}')[:500]}", file=sys.stderr)
        return 2
    except Exception as err:  # a bug: one line and a crash log, never a traceback on stderr
        if not _sqlite_environment(err):
            return report_crash(err, argv)
        import tempfile

        # SQLite's own words for a full disk: the store's index, or a scratch table (reports keep
        # what grows with a period in temporary files) in the temporary folder
        print(
            f"annexa: error: {err} (the store's index, or a scratch file in {terminal_safe(tempfile.gettempdir())}: "
            "free space there, or set TMPDIR to a folder with room)",
            file=sys.stderr,
        )
        return 2


def _sqlite_environment(err: Exception) -> bool:
    """Whether `err` is SQLite saying the disk is full or a file cannot be made: the environment,
    exit 2. Looked up, not imported: a command that never loads sqlite3 (`verify`) must not."""
    sqlite3 = sys.modules.get("sqlite3")
    return (
        sqlite3 is not None
        and isinstance(err, sqlite3.OperationalError)
        and str(err) in ("database or disk is full", "unable to open database file")
    )


def _configure_logging(args: argparse.Namespace) -> None:
    from annexa.commands.logging_setup import configure_logging

    configure_logging(
        args.log_level or args.default_log_level,
        json_logs={"auto": None, "json": True, "console": False}[args.log_format],
    )


def _stopped(code: int, signal_name: str, by_signal: bool, args: argparse.Namespace) -> int:
    """One log line; then, after a real signal, leave at once (worker threads may be mid-call)."""
    import structlog

    if not args.logs:
        _configure_logging(args)

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
