"""YAML loading: merge keys (`<<: *anchor`) may be overridden by a mapping's own keys; a repeated own key is refused."""

from __future__ import annotations

import pytest

from annexa.errors import UsageError
from annexa.yamlio import parse_yaml


def test_a_mapping_overrides_what_it_merges() -> None:
    data = parse_yaml("a: &base {id: one, fact: x}\nb:\n  <<: *base\n  id: two\n", "rules.yaml")
    assert data["b"] == {"id": "two", "fact": "x"}
    assert data["b"].lines["id"] == 4


def test_a_repeated_own_key_is_still_refused_with_a_merge() -> None:
    with pytest.raises(UsageError, match="rules.yaml:5: duplicate key 'id'"):
        parse_yaml("a: &base {id: one}\nb:\n  <<: *base\n  id: two\n  id: three\n", "rules.yaml")
