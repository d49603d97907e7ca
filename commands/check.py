"""annexa check: validate the configuration and all mappings without collecting."""

from __future__ import annotations

import argparse
import sys

from annexa.commands.common import add_config_option, workspace
from annexa.commands.terminal import terminal_safe
from annexa.pipeline.runner import selected_collectors

NAME = "check"
HELP = "validate the configuration and all mappings without collecting"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_config_option(parser)


def run(args: argparse.Namespace) -> int:
    ws = workspace(args)
    for target, collector_cls in selected_collectors(ws.config, ws.registry):
        collector_cls.preflight(target)
    for problem in ws.registry.problems:
        print(f"warning: {terminal_safe(problem)}", file=sys.stderr)
    kinds = {rule.fact for rule in ws.rules}
    controls = {c for rule in ws.rules for c in rule.controls}
    print(
        f"ok: {args.config}: {len(ws.config.targets)} targets, {len(ws.registry.collectors)} collectors, "
        f"{len(ws.rules)} rules over {len(kinds)} fact kinds covering {len(controls)} of {len(ws.catalog)} controls"
    )
    return 0
