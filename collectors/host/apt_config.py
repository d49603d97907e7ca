"""APT's configuration, read the way apt-pkg reads it (apt.conf(5)).

A port of apt-pkg/contrib/configuration.cc ReadConfigFile() and Configuration::Set/Lookup
(Debian/apt 2.x-3.x): `//`, `#` and `/* */` comments outside double quotes (`#clear`,
`#include` are directives), statements ended by `;`, blocks by `{ }`, a tag then a value
of one or more quoted strings, names compared case-insensitively, a name ending in `::`
(or a bare value inside a block) appending a list item, and the syntax errors APT stops
at ("Extra junk after value", "Block starts with no name", ...). `files_read` follows
ReadConfigDir()/GetListOfFilesInDir(): in /etc/apt/apt.conf.d only names without an
extension or ending in `.conf`, made of letters, digits, `_`, `-`, `:` and `.`, not
starting or ending with a period, in byte order; then /etc/apt/apt.conf.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

__all__ = ["AptConfig", "AptSyntaxError", "apt_reads"]

_SPACE = " \t\n\v\f\r"
_MAGIC_COMMENTS = ("clear", "include", "x-apt-configure-index")
_NAME_CHARS = re.compile(r"[A-Za-z0-9_\-:.]+")


class AptSyntaxError(ValueError):
    """Where APT would stop reading its configuration ("E: Syntax error ...")."""


def apt_reads(name: str) -> bool:
    """Whether apt-pkg's GetListOfFilesInDir(dir, "conf", AllowNoExt=true) reads this file name."""
    if name.startswith(".") or name.endswith(".") or not _NAME_CHARS.fullmatch(name):
        return False
    return "." not in name or name.rsplit(".", 1)[1] == "conf"


@dataclass
class _Node:
    tag: str
    value: str = ""
    children: list[_Node] = field(default_factory=list)


def _parse_quote_word(text: str, pos: int) -> tuple[str, int] | None:
    """strutl.cc ParseQuoteWord(): a word up to a blank, `"..."` and `[...]` kept whole,
    quotes dropped and %xx decoded."""
    while pos < len(text) and text[pos] == " ":
        pos += 1
    if pos >= len(text):
        return None
    end = pos
    while end < len(text) and text[end] not in _SPACE:
        if text[end] in '"[':
            close = text.find('"' if text[end] == '"' else "]", end + 1)
            if close < 0:
                return None
            end = close
        end += 1
    raw, word, i = text[pos:end], [], 0
    while i < len(raw):
        if raw[i] == "%" and i + 2 < len(raw) and all(c in "0123456789abcdefABCDEF" for c in raw[i + 1 : i + 3]):
            word.append(chr(int(raw[i + 1 : i + 3], 16)))
            i += 3
            continue
        if raw[i] != '"':
            word.append(raw[i])
        i += 1
    while end < len(text) and text[end] in _SPACE:
        end += 1
    return "".join(word), end


def _parse_c_word(text: str, pos: int) -> tuple[str, int] | None:
    """strutl.cc ParseCWord(): only quoted strings (blanks between them become one space)."""
    start = pos
    while pos < len(text) and text[pos] == " ":
        pos += 1
    if pos >= len(text):
        return None
    word: list[str] = []
    while pos < len(text):
        char = text[pos]
        if char == '"':
            close = text.find('"', pos + 1)
            if close < 0:
                return None
            word.append(text[pos + 1 : close])
            pos = close + 1
            continue
        if pos != start and char in _SPACE and text[pos - 1] in _SPACE:
            pos += 1
            continue
        if char not in _SPACE:
            return None
        word.append(" ")
        pos += 1
    return "".join(word), pos


class AptConfig:
    """One APT configuration tree, fed file by file in the order APT reads them."""

    def __init__(self) -> None:
        self._root = _Node("")

    # -- the tree (Configuration::Lookup/Set/Find/FindVector/Clear) -------------------

    def _lookup(self, name: str, create: bool) -> _Node | None:
        node = self._root
        parts = name.split("::")
        for part in parts:
            found = None
            if part:
                found = next((c for c in node.children if c.tag.lower() == part.lower()), None)
            if found is None:
                if not create:
                    return None
                found = _Node(part)
                node.children.append(found)
            node = found
        return node

    def set(self, name: str, value: str) -> None:
        node = self._lookup(name, create=True)
        assert node is not None
        node.value = value

    def get(self, name: str) -> str | None:
        node = self._lookup(name, create=False) if name else None
        return node.value if node is not None else None

    def get_list(self, name: str) -> list[str]:
        """python-apt's value_list(): the values of the node's children."""
        node = self._lookup(name, create=False)
        return [child.value for child in node.children] if node is not None else []

    def clear(self, name: str) -> None:
        parent_name, _, tag = name.rpartition("::")
        parent = self._lookup(parent_name, create=False) if parent_name else self._root
        if parent is not None:
            parent.children = [c for c in parent.children if c.tag.lower() != tag.lower()]

    # -- ReadConfigFile() ---------------------------------------------------------------

    def feed(self, text: str, path: str = "apt.conf") -> list[str]:
        """Apply one file; returns the `#include` targets it names (annexa does not follow them).
        Raises AptSyntaxError where APT would."""
        stack: list[str] = []
        parent = ""
        buffer = ""
        in_comment = False
        includes: list[str] = []
        number = 0
        for raw in text.split("\n"):
            number += 1
            line = raw.replace("\t", "        ").strip(_SPACE)
            if in_comment:
                end = line.find("*/")
                if end < 0:
                    continue
                line, in_comment = line[end + 2 :], False
            line = _strip_line_comments(line)
            fragment, in_comment = _strip_block_comments(line)
            if not fragment:
                continue
            in_quote, start = False, 0
            for index, char in enumerate(fragment):
                if char == '"':
                    in_quote = not in_quote
                if in_quote or char not in "{;}":
                    continue
                piece = fragment[start:index].strip(_SPACE)
                if buffer and piece:
                    buffer += " "
                buffer += piece
                start = index + 1
                if char == "{" and not buffer:
                    raise AptSyntaxError(f"Syntax error {path}:{number}: Block starts with no name.")
                if not buffer:
                    if char == "}":
                        parent = stack.pop() if stack else ""
                    continue
                parent = self._statement(buffer, char, parent, stack, path, number, includes)
                buffer = ""
                if char == "}":
                    parent = stack.pop() if stack else ""
            rest = fragment[start:].strip(_SPACE)
            if rest and buffer:
                buffer += " "
            buffer += rest
        if buffer:
            raise AptSyntaxError(f"Syntax error {path}:{number}: Extra junk at end of file")
        return includes

    def _statement(
        self, buffer: str, term: str, parent: str, stack: list[str], path: str, number: int, includes: list[str]
    ) -> str:
        parsed = _parse_quote_word(buffer, 0)
        if parsed is None:
            raise AptSyntaxError(f"Syntax error {path}:{number}: Malformed tag")
        tag, pos = parsed
        word_parsed = _parse_c_word(buffer, pos) or _parse_quote_word(buffer, pos)
        no_word = False
        if word_parsed is None:
            if term != "{":
                word, tag = tag, ""
            else:
                word, no_word = "", True
        else:
            word, pos = word_parsed
        if pos != len(buffer):
            raise AptSyntaxError(f"Syntax error {path}:{number}: Extra junk after value")
        if term == "{":
            stack.append(parent)
            parent = tag if not parent else f"{parent}::{tag}"
            tag = ""
        if not parent:
            item = tag
        else:
            item = f"{parent}::{tag}" if (term != "{" or tag) else parent
        if tag.startswith("#"):
            if parent:
                raise AptSyntaxError(f"Syntax error {path}:{number}: Directives can only be done at the top level")
            directive = tag[1:]
            if directive == "clear":
                self.clear(word)
            elif directive == "include":
                includes.append(word)
            elif directive != "x-apt-configure-index":
                raise AptSyntaxError(f"Syntax error {path}:{number}: Unsupported directive '{directive}'")
        elif not tag and not no_word and word == "#clear":
            raise AptSyntaxError(f"Syntax error {path}:{number}: clear directive requires an option tree as argument")
        elif not no_word:
            self.set(item, word)
        return parent


def _outside_quotes(line: str, index: int) -> bool:
    return line.count('"', 0, index) % 2 == 0


def _strip_line_comments(line: str) -> str:
    start = 0
    while (start := line.find("//", start)) >= 0:
        if _outside_quotes(line, start):
            line = line[:start]
            break
        start += 1
    start = 0
    while (start := line.find("#", start)) >= 0:
        if _outside_quotes(line, start) and not any(line.startswith(m, start + 1) for m in _MAGIC_COMMENTS):
            return line[:start]
        start += 1
    return line


def _strip_block_comments(line: str) -> tuple[str, bool]:
    fragment, start = "", 0
    while (start := line.find("/*", start)) >= 0:
        if not _outside_quotes(line, start):
            start += 2
            continue
        fragment += line[:start]
        end = line.find("*/", start + 2)
        if end < 0:
            return fragment, True
        line, start = line[end + 2 :], 0
    return fragment + line, False
