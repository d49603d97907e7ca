"""The progress display on a fake terminal: each collector ends as one plain line marked done, failed
or skipped with its counts; nothing of the live part (spinners, clocks) is left; the first frame is
drawn at once."""

from __future__ import annotations

import io
import re
import time

import pytest

from annexa.commands.progress import ProgressDisplay, progress_display

_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
_SPINNER = set("⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏")


def _screen(raw: str) -> list[str]:
    """What a terminal shows at the end: a small emulator of what rich writes (newline, carriage
    return, erase line, cursor up; styles ignored)."""
    lines: list[list[str]] = [[]]
    row = col = 0
    for token in re.split(r"(\x1b\[[0-9;?]*[A-Za-z]|\r|\n)", raw):
        if token == "\n":
            row, col = row + 1, 0
            while len(lines) <= row:
                lines.append([])
        elif token == "\r":
            col = 0
        elif token == "\x1b[2K":
            lines[row] = []
        elif token.startswith("\x1b[") and token.endswith("A"):
            row = max(0, row - int(token[2:-1] or 1))
        elif token and not _ANSI.fullmatch(token):
            for char in token:
                line = lines[row]
                line.extend(" " * (col - len(line)))
                if col < len(line):
                    line[col] = char
                else:
                    line.append(char)
                col += 1
    return ["".join(line).rstrip() for line in lines if "".join(line).strip()]


def _display(stream: io.StringIO) -> ProgressDisplay:
    return ProgressDisplay(stream=stream, force_terminal=True)


def test_each_collector_ends_marked_with_its_counts_and_nothing_live_remains() -> None:
    stream = io.StringIO()
    with _display(stream) as display:
        display.phase("collecting")
        display.skipped("aws.ssm", "targets[0] (aws)", "not in the target's collectors:")
        display.started("aws.s3", "targets[0] (aws)")
        display.started("aws.iam", "targets[0] (aws)")
        display.counted("aws.s3", "targets[0] (aws)", 3)
        time.sleep(0.3)  # a few frames with spinners and clocks are drawn meanwhile
        display.finished("aws.s3", "targets[0] (aws)", 4, 0)
        display.counted("aws.iam", "targets[0] (aws)", 2)
        display.finished("aws.iam", "targets[0] (aws)", 2, 3)
        time.sleep(0.2)
    raw = stream.getvalue()
    assert set(raw) & _SPINNER  # the live part was drawn while working ...
    assert _screen(raw) == [
        "– aws.ssm targets[0] (aws): skipped: not in the target's collectors:",
        "✓ aws.s3 targets[0] (aws): 4 facts",
        "✗ aws.iam targets[0] (aws): 2 facts, 3 errors",
        "collectors: 1 done, 1 failed, 1 skipped; 6 facts, 3 errors",
    ]  # ... and erased: no spinner, no clock, no phase left


def test_the_first_frame_is_drawn_at_once() -> None:
    stream = io.StringIO()
    began = time.monotonic()
    with _display(stream) as display:
        display.phase("starting the demo")
        deadline = time.monotonic() + 1.0
        while "starting the demo" not in stream.getvalue() and time.monotonic() < deadline:
            time.sleep(0.01)
        shown = time.monotonic() - began
    assert "starting the demo" in stream.getvalue()
    assert shown < 1.0


def test_names_from_the_systems_read_are_shown_not_obeyed() -> None:
    stream = io.StringIO()
    with _display(stream) as display:
        display.started("x", "targets[0] ([red]aws\x1b]52;c;Zm9v\x07)")
        display.finished("x", "targets[0] ([red]aws\x1b]52;c;Zm9v\x07)", 1, 0)
    assert "\x1b]52" not in stream.getvalue()
    assert "✓ x targets[0] ([red]aws\\x1b]52;c;Zm9v\\x07): 1 facts" in _screen(stream.getvalue())


def test_off_a_terminal_it_is_silent(capsys: pytest.CaptureFixture[str]) -> None:
    with progress_display(enabled=False) as progress:
        progress.phase("working")
        progress.started("aws.s3", "t")
        progress.finished("aws.s3", "t", 1, 0)
    assert capsys.readouterr() == ("", "")
