"""annexa controls: the Annex A 2022 control catalog."""

from __future__ import annotations

import argparse

from annexa.commands.common import add_output, emit, render_rows
from annexa.mappings.catalog import load_catalog

NAME = "controls"
HELP = "the Annex A 2022 control catalog"
_COLUMNS = ("control", "title", "theme", "control_type", "security_properties", "cybersecurity_concepts")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_output(parser, ("table", "json", "csv", "md"), "table")


def run(args: argparse.Namespace) -> int:
    rows = [{"control": c.id, "title": c.title, "theme": c.theme, **dict(c.attributes)} for c in load_catalog()]
    emit(render_rows(rows, args.format, _COLUMNS, ("control", "theme", "title")), args.output)
    return 0
