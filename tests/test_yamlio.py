"""YAML loading: merge keys (`<<: *anchor`) may be overridden by a mapping's own keys; a repeated own key is refused;
libyaml reads only annexa's own files, and only as the pure-Python reference would."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from annexa import yamlio
from annexa.errors import UsageError
from annexa.yamlio import LineDict, LineList, load_yaml, parse_yaml


def test_a_mapping_overrides_what_it_merges() -> None:
    data = parse_yaml("a: &base {id: one, fact: x}\nb:\n  <<: *base\n  id: two\n", "rules.yaml")
    assert data["b"] == {"id": "two", "fact": "x"}
    assert data["b"].lines["id"] == 4


def test_a_repeated_own_key_is_still_refused_with_a_merge() -> None:
    with pytest.raises(UsageError, match="rules.yaml:5: duplicate key 'id'"):
        parse_yaml("a: &base {id: one}\nb:\n  <<: *base\n  id: two\n  id: three\n", "rules.yaml")


def _shape(node: Any) -> Any:
    """A parsed document with every recorded line: what two loaders must agree on."""
    if isinstance(node, LineDict):
        return ("map", node.line, dict(node.lines), {key: _shape(value) for key, value in node.items()})
    if isinstance(node, LineList):
        return ("seq", node.line, list(node.lines), [_shape(value) for value in node])
    return (type(node).__name__, node)


SHIPPED_FILES = sorted(yamlio._SHIPPED.rglob("*.y*ml"))


@pytest.mark.skipif(yamlio._FastLoader is None, reason="PyYAML built without libyaml")
@pytest.mark.parametrize("path", SHIPPED_FILES, ids=lambda path: path.name)
def test_libyaml_reads_every_shipped_file_as_the_reference_does(path: Path) -> None:
    """libyaml parses annexa's own files (the built-in rules and the catalog) only because it
    gives them the same values at the same lines as the pure-Python reference."""
    text = path.read_text(encoding="utf-8")
    assert _shape(yaml.load(text, Loader=yamlio._FastLoader)) == _shape(yaml.load(text, Loader=yamlio._Loader))


def test_the_shipped_files_are_the_rules_and_the_catalog() -> None:
    names = {path.name for path in SHIPPED_FILES}
    assert {"annex_a_2022.yaml", "aws.yaml"} <= names and len(names) >= 15


def test_a_users_file_is_read_by_the_reference_loader(tmp_path: Path) -> None:
    """libyaml reads a bare `!` as an empty string, PyYAML as null: a user's file gets PyYAML's."""
    path = tmp_path / "annexa.yaml"
    path.write_text("a: !\n")
    assert load_yaml(path) == {"a": None}


def test_a_shipped_file_that_libyaml_rejects_gets_the_reference_message(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(yamlio, "_SHIPPED", tmp_path.resolve())
    path = tmp_path / "rules.yaml"
    path.write_text("rules:\n  - id: x\n    controls: [A.5.1, \n")
    with pytest.raises(UsageError) as shipped:
        load_yaml(path)
    monkeypatch.setattr(yamlio, "_FastLoader", None)
    with pytest.raises(UsageError) as reference:
        load_yaml(path)
    assert str(shipped.value) == str(reference.value)
    assert "expected the node content, but found '<stream end>'" in str(shipped.value)  # PyYAML's words
