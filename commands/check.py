"""annexa check: validate the configuration and all mappings without collecting."""

from __future__ import annotations

import argparse
import sys

from annexa.commands.common import add_config_option, workspace
from annexa.commands.terminal import terminal_safe
from annexa.pipeline.runner import selected_collectors
from annexa.pipeline.workspace import Workspace
from annexa.words import plural

NAME = "check"
HELP = "validate the configuration and all mappings without collecting"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_config_option(parser)


def soa_warnings(ws: Workspace) -> list[str]:
    """ISO/IEC 27001:2022 clause 6.1.3 d and f: every applicable control says why it is included
    (`reasons:`), and the SoA records its approval (`soa:`). Warnings, not errors: an SoA is
    written up over time, and collection must not wait for it."""
    where = ws.config.path or "annexa.yaml"
    out = []
    for control in ws.catalog.ids():
        decision = ws.config.scope.get(control)
        if decision is None or (decision.applicable and not decision.reasons):
            out.append(
                f"{where}: {control} is applicable but has no `reasons:` for its inclusion "
                "(risk, legal, regulatory, contractual, business or best-practice; clause 6.1.3 d)"
            )
    if ws.config.soa is None:
        out.append(f"{where}: no `soa: {{version, approved_by, approved_at}}`: the SoA records no approval (6.1.3 f)")
    return out


def run(args: argparse.Namespace) -> int:
    ws = workspace(args)
    selected = list(selected_collectors(ws.config, ws.registry))
    for target, collector_cls in selected:
        collector_cls.preflight(target)
    for problem in ws.registry.problems:
        print(f"warning: {terminal_safe(problem)}", file=sys.stderr)
    for warning in soa_warnings(ws):
        print(f"warning: {terminal_safe(warning)}", file=sys.stderr)
    kinds = {rule.fact for rule in ws.rules}
    controls = {c for rule in ws.rules for c in rule.controls}
    print(
        f"ok: {args.config}: {plural(len(ws.config.targets), 'target')}, "
        f"{plural(len(selected), 'collector')} will run, "
        f"{plural(len(ws.rules), 'rule')} over {plural(len(kinds), 'fact kind')} covering {len(controls)} of "
        f"{len(ws.catalog)} controls"
    )
    for target in ws.config.targets:
        names = [c.name for t, c in selected if t.index == target.index]
        print(f"  {target.label}: {plural(len(names), 'collector')}: {', '.join(names) or 'none'}")
    return 0
