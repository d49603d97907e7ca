"""A reader for APT's configuration syntax (apt.conf(5)).

`A::B "v";` and nested `A { B "v"; };` both set `a::b` (names are
case-insensitive); a bare quoted value inside a block appends to that block's
list (`Unattended-Upgrade::Origins-Pattern { "origin=Debian"; };`). Files are
applied in order, so later files override scalars, as APT does for apt.conf.d.
`//`, `/* */` and `#` comments are skipped (so are `#include`/`#clear`).
"""

from __future__ import annotations

import re

__all__ = ["AptConfig"]

_TOKEN = re.compile(
    r'"(?P<string>[^"]*)"|(?P<comment>//[^\n]*|/\*.*?\*/|#[^\n]*)|(?P<punct>[{};])|(?P<word>[^\s{};"]+)',
    re.DOTALL,
)


class AptConfig:
    def __init__(self) -> None:
        self.values: dict[str, str] = {}
        self.lists: dict[str, list[str]] = {}

    def feed(self, text: str) -> None:
        stack: list[str] = []
        pending: list[tuple[str, str]] = []  # (kind, text) of the current statement
        for match in _TOKEN.finditer(text):
            kind = match.lastgroup or ""
            if kind == "comment":
                continue
            token = match.group(kind)
            if kind != "punct":
                pending.append((kind, token))
            elif token == "{":
                if pending:
                    stack.append(pending[0][1])
                pending = []
            else:  # ";" or "}"
                self._statement(stack, pending)
                pending = []
                if token == "}" and stack:
                    stack.pop()

    def _statement(self, stack: list[str], pending: list[tuple[str, str]]) -> None:
        if len(pending) == 1 and pending[0][0] == "string" and stack:
            self.lists.setdefault(_key(stack), []).append(pending[0][1])
        elif len(pending) >= 2:
            self.values[_key([*stack, pending[0][1]])] = pending[1][1]

    def get(self, key: str) -> str | None:
        return self.values.get(key.lower())

    def get_list(self, key: str) -> list[str]:
        return self.lists.get(key.lower(), [])


def _key(parts: list[str]) -> str:
    return "::".join(part.strip(":") for part in parts).lower()
