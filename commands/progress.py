"""Live progress on a terminal; silent in cron and pipes.

While a command works, the bottom of the terminal shows what it is doing (`phase`) and the collectors
still running, each with its fact count and clock. A collector that ends leaves one permanent line
above it, marked done (✓), failed (✗, with its error count: some or all of what it reads is `error`
evidence) or skipped (–, with the reason), and no spinner or clock. On exit the live part is erased
and one line sums up: so what stays on the screen is a plain record, whatever the terminal's size.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, TextIO

from annexa.collectors.base import Progress
from annexa.commands.terminal import terminal_safe

__all__ = ["ProgressDisplay", "progress_display"]


class ProgressDisplay(Progress):
    """The runner's `Progress`, drawn with rich on a terminal; `phase` names what is happening."""

    def __init__(self, stream: TextIO | None = None, force_terminal: bool | None = None) -> None:
        from rich.console import Console
        from rich.live import Live

        self.console = Console(file=stream or sys.stderr, force_terminal=force_terminal, highlight=False)
        self._phase = ""
        self._running: dict[tuple[str, str], tuple[float, int]] = {}  # (collector, target) -> (began, facts)
        self.counts = {"done": 0, "failed": 0, "skipped": 0}
        self.facts = 0
        self.errors = 0
        self._live = Live(console=self.console, transient=True, refresh_per_second=8, get_renderable=self._render)

    # -- the runner's Progress --------------------------------------------------------------

    def phase(self, text: str) -> None:
        self._phase = text

    def started(self, collector: str, target: str) -> None:
        self._running[(collector, target)] = (time.monotonic(), 0)

    def counted(self, collector: str, target: str, facts: int) -> None:
        began, _ = self._running.get((collector, target), (time.monotonic(), 0))
        self._running[(collector, target)] = (began, facts)

    def finished(self, collector: str, target: str, facts: int, errors: int) -> None:
        self._running.pop((collector, target), None)
        self.facts += facts
        self.errors += errors
        if errors:
            self.counts["failed"] += 1
            self._line("[red]✗[/]", collector, target, f"{facts} facts, [red]{errors} errors[/]")
        else:
            self.counts["done"] += 1
            self._line("[green]✓[/]", collector, target, f"{facts} facts")

    def skipped(self, collector: str, target: str, reason: str) -> None:
        self.counts["skipped"] += 1
        self._line("[dim]–[/]", collector, target, f"[dim]skipped: {_safe(reason)}[/]")

    # -- drawing ---------------------------------------------------------------------------

    def _line(self, mark: str, collector: str, target: str, detail: str) -> None:
        self.console.print(f"{mark} {_safe(collector)} {_safe(target)}: {detail}")

    def summary(self) -> str:
        """`12 done, 1 failed, 3 skipped; 1234 facts, 2 errors` (counts that are 0 are left out)."""
        parts = [f"{n} {what}" for what, n in self.counts.items() if n]
        totals = f"{self.facts} facts" + (f", {self.errors} errors" if self.errors else "")
        return f"collectors: {', '.join(parts)}; {totals}" if parts else ""

    def _render(self) -> Any:
        from rich.console import Group
        from rich.spinner import Spinner
        from rich.table import Table

        now = time.monotonic()
        rows: list[Any] = []
        if self._running:
            table = Table.grid(padding=(0, 1))
            for (collector, target), (began, facts) in list(self._running.items()):
                table.add_row(
                    Spinner("dots"), f"{_safe(collector)} {_safe(target)}", f"{facts} facts", f"{now - began:4.0f}s"
                )
            rows.append(table)
        status = "; ".join(part for part in (_safe(self._phase), self.summary()) if part)
        rows.append(Spinner("dots", text=status or "working"))
        return Group(*rows)

    def __enter__(self) -> ProgressDisplay:
        self._live.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._live.stop()  # transient: the live part is erased, the permanent lines stay
        if self.summary():
            self.console.print(self.summary())


def _safe(text: str) -> str:
    """Names come from the systems read: no rich markup, no control characters."""
    from rich.markup import escape

    return escape(terminal_safe(text))


@contextmanager
def progress_display(enabled: bool | None = None) -> Iterator[Progress]:
    """A live display on a terminal (standard error), else the silent `Progress`."""
    if enabled is None:
        enabled = sys.stderr.isatty()
    if not enabled:
        yield Progress()
        return
    with ProgressDisplay() as display:
        yield display
