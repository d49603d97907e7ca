"""What reaches a terminal shows control characters, never obeys them.

Names, tags and messages come from the systems annexa reads and from files users
hand it. A resource named `x\\x1b]52;c;...\\x07` would, printed raw, write the
reader's clipboard (OSC 52); `\\x1b[8m` hides text; `\\r` and bidirectional overrides
make a line read differently from what it holds. On a terminal each such character
is shown as an escape (`\\x1b`, `\\u202e`): the reader sees that something odd is in
the name, and the terminal does nothing. Output to files and pipes keeps its bytes.
"""

from __future__ import annotations

import re
from typing import Any, TextIO

__all__ = ["TerminalText", "terminal_safe"]

# C0 controls but tab and newline, DEL, C1 controls, and the invisible formatting characters that
# reorder or hide text (bidirectional embeddings, overrides and isolates, zero-width characters).
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def terminal_safe(text: str) -> str:
    """`text` with every control and invisible formatting character shown as an escape."""
    return _UNSAFE.sub(_escape, text)


class TerminalText:
    """A text stream for a terminal: writes go through `terminal_safe`."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        self._stream.write(terminal_safe(text))
        return len(text)

    def __getattr__(self, name: str) -> Any:  # flush, fileno, isatty, encoding, ...
        return getattr(self._stream, name)
