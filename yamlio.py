"""YAML loading that rejects duplicate keys and remembers where each node came from.

Every mapping is loaded as a `LineDict`, whose `.line` is the 1-based line of the
mapping and `.lines[key]` the line of each key, so validators can report
`file:line: message` like a compiler.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from annexa.errors import UsageError
from annexa.inputfiles import YAML_LIMIT, read_input_text

__all__ = ["LineDict", "LineList", "load_yaml", "line_of", "parse_yaml"]


class LineDict(dict):  # type: ignore[type-arg]
    line: int = 0
    lines: dict[Any, int]


class LineList(list):  # type: ignore[type-arg]
    line: int = 0
    lines: list[int]


class _Loader(yaml.SafeLoader):
    """The pure-Python loader: the reference for what is valid and for every error's words and line."""


# libyaml's parser, where PyYAML was built with it, with the same constructors (below): ten times
# faster, and the built-in rules alone are 250 KB, parsed on every command's start. It is used only
# for annexa's own files under _SHIPPED: on odd input (a bare `!`, a byte-order mark inside a
# document) libyaml and PyYAML disagree, so a user's file is always read by the reference, and
# tests/test_yamlio.py proves the two agree, value and line, on every shipped file.
_SHIPPED = Path(__file__).resolve().parent / "mappings"
_FastLoader: type[yaml.CSafeLoader] | None = (
    type("_FastLoader", (yaml.CSafeLoader,), {}) if getattr(yaml, "__with_libyaml__", False) else None
)


def _construct_mapping(loader: _Loader, node: yaml.MappingNode) -> LineDict:
    own = sum(1 for key_node, _ in node.value if key_node.tag != "tag:yaml.org,2002:merge")
    loader.flatten_mapping(node)  # puts the keys merged in with `<<: *anchor` before the mapping's own
    merged = len(node.value) - own
    result = LineDict()
    result.line = node.start_mark.line + 1
    result.lines = {}
    own_keys: set[Any] = set()
    for index, (key_node, value_node) in enumerate(node.value):
        key = loader.construct_object(key_node, deep=True)
        try:
            hash(key)
        except TypeError:
            raise yaml.constructor.ConstructorError(
                None, None, "a mapping key must be a plain value", key_node.start_mark
            ) from None
        if index >= merged:  # the mapping's own key: it overrides a merged one, but never repeats
            if key in own_keys:
                raise yaml.constructor.ConstructorError(None, None, f"duplicate key {key!r}", key_node.start_mark)
            own_keys.add(key)
        result[key] = loader.construct_object(value_node, deep=True)
        result.lines[key] = key_node.start_mark.line + 1
    return result


def _construct_sequence(loader: _Loader, node: yaml.SequenceNode) -> LineList:
    result = LineList(loader.construct_object(child, deep=True) for child in node.value)
    result.line = node.start_mark.line + 1
    result.lines = [child.start_mark.line + 1 for child in node.value]
    return result


def _construct_timestamp(loader: _Loader, node: yaml.ScalarNode) -> Any:
    """YAML reads `2026-13-45` as a date: an impossible one is an error at its line, not a crash."""
    try:
        return yaml.SafeLoader.construct_yaml_timestamp(loader, node)
    except (ValueError, OverflowError) as err:
        raise yaml.constructor.ConstructorError(
            None, None, f"{node.value!r} is not a valid date or time ({err})", node.start_mark
        ) from None


for _loader in (_Loader, _FastLoader):
    if _loader is not None:
        _loader.add_constructor("tag:yaml.org,2002:timestamp", _construct_timestamp)
        _loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
        _loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)


def line_of(node: Any, key: Any = None, default: int = 1) -> int:
    """The line of `node` (or of `key` inside it), falling back to `default`."""
    if key is not None and isinstance(node, LineDict):
        return node.lines.get(key, node.line or default)
    if key is not None and isinstance(node, LineList) and isinstance(key, int) and key < len(node.lines):
        return node.lines[key]
    return getattr(node, "line", 0) or default


def load_yaml(path: Path, option: str | None = None) -> Any:
    """Parse `path` (a regular file of at most `YAML_LIMIT` bytes) or raise UsageError(`path:line: message`)."""
    text = read_input_text(path, YAML_LIMIT, option, expected="a YAML file")
    return parse_yaml(text, str(path), shipped=path.resolve().is_relative_to(_SHIPPED))


def parse_yaml(text: str, origin: str, first_line: int = 1, shipped: bool = False) -> Any:
    """Parse YAML text from `origin` (a file name), whose first line is `first_line` of that
    file (front matter inside a document), or raise UsageError(`origin:line: message`).
    `shipped`: one of annexa's own files, which libyaml may parse (see _SHIPPED)."""
    offset = first_line - 1
    try:
        return _shifted(_load(text, shipped), offset)
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        line = mark.line + 1 if mark else 1
        problem = " ".join((err.problem or err.context or "invalid YAML").split())
        raise UsageError(f"{origin}:{line + offset}: {problem}") from None
    except yaml.reader.ReaderError as err:
        line = text[: err.position].count("\n") + 1
        raise UsageError(
            f"{origin}:{line + offset}: invalid YAML: unacceptable character #x{err.character:04x}"
        ) from None
    except yaml.YAMLError as err:
        raise UsageError(f"{origin}:{first_line}: invalid YAML: {' '.join(str(err).split())}") from None
    except RecursionError:
        raise UsageError(f"{origin}:{first_line}: YAML nested too deeply") from None


def _load(text: str, shipped: bool) -> Any:
    """`text` parsed by the reference loader, or by libyaml for a shipped file; a shipped file
    libyaml rejects is parsed again by the reference, whose error parse_yaml reports."""
    if shipped and _FastLoader is not None:
        try:
            return yaml.load(text, Loader=_FastLoader)  # noqa: S506 - a CSafeLoader subclass
        except (yaml.YAMLError, RecursionError):
            pass
    return yaml.load(text, Loader=_Loader)  # noqa: S506 - a SafeLoader subclass


def _shifted(node: Any, offset: int) -> Any:
    """Move recorded line numbers by `offset` (no-op for a whole file)."""
    if offset and isinstance(node, (LineDict, LineList)):
        node.line += offset
        if isinstance(node, LineDict):
            node.lines = {k: v + offset for k, v in node.lines.items()}
        else:
            node.lines = [v + offset for v in node.lines]
        for child in node.values() if isinstance(node, LineDict) else node:
            _shifted(child, offset)
    return node
