"""Live progress on a terminal (per collector and scope, with fact counts); silent in cron."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from annexa.commands.terminal import terminal_safe

__all__ = ["progress_display"]

ProgressFn = Callable[[str, str, int], None]


@contextmanager
def progress_display(enabled: bool | None = None) -> Iterator[ProgressFn]:
    """Yield a `progress(collector, scope, facts)` callback; a live display only on a TTY."""
    if enabled is None:
        enabled = sys.stderr.isatty()
    if not enabled:
        yield lambda collector, scope, facts: None
        return

    from rich.console import Console
    from rich.markup import escape
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    tasks: dict[tuple[str, str], int] = {}
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TextColumn("{task.completed} facts"),
        TimeElapsedColumn(),
        console=Console(file=sys.stderr),
        transient=False,
    ) as display:

        def update(collector: str, scope: str, facts: int) -> None:
            key = (collector, scope)
            if key not in tasks:
                # scope names come from the systems read: no markup, no control characters
                tasks[key] = display.add_task(escape(terminal_safe(f"{collector} {scope}")), total=None)
            display.update(tasks[key], completed=facts)

        yield update
