"""The `annexa` command: parses arguments, dispatches to `annexa.commands.*` and
turns domain errors into one line on stderr and an exit code.

Exit codes (a contract for cron and CI): 0 done; 1 done but some collection failed
(bundle written, marked partial); 2 usage, configuration, mapping or store error
(nothing written); 3 `drift` found regressions; 4 `verify` found a problem.
"""

from __future__ import annotations

import argparse
import sys
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
from annexa.commands.logging_setup import configure_logging
from annexa.errors import AnnexaError

__all__ = ["COMMANDS", "build_parser", "main"]

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
        self.exit(2, f"{self.prog}: error: {message} (see `{self.prog} --help`)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="annexa", description="Read-only evidence collection for ISO/IEC 27001:2022 Annex A.")
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
    args = build_parser().parse_args(argv)
    configure_logging(
        args.log_level or args.default_log_level,
        json_logs={"auto": None, "json": True, "console": False}[args.log_format],
    )
    try:
        return int(args.handler(args))
    except AnnexaError as err:
        print(f"annexa: error: {err}", file=sys.stderr)
        return err.exit_code
    except KeyboardInterrupt:
        print("annexa: interrupted; an unfinished run is never published", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
