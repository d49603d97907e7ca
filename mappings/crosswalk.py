"""Crosswalks: another framework's ids for each Annex A control, from a YAML file.

    framework: NIST SP 800-53 Rev. 5        # shown as the column's meaning
    source: where the mapping was taken from  # required: a crosswalk without a source is an opinion
    mappings:
      A.5.1: [PL-1, PM-1]
      A.8.24: [SC-12, SC-13]

Every key must be an Annex A 2022 id and every value a non-empty list of strings;
anything else is `file:line: message`. Reports show the ids in a `crosswalk` column.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from annexa.errors import UsageError
from annexa.mappings.legacy_ids import unknown_control
from annexa.yamlio import line_of, load_yaml

__all__ = ["Crosswalk", "load_crosswalk"]

_KEYS = ("framework", "source", "mappings")


@dataclass(frozen=True)
class Crosswalk:
    framework: str
    source: str
    mappings: Mapping[str, tuple[str, ...]]

    def ids(self, controls: Iterable[str]) -> list[str]:
        """The other framework's ids for these controls, in order, without repeats."""
        return list(dict.fromkeys(other for control in controls for other in self.mappings.get(control, ())))


def load_crosswalk(path: Path, control_ids: set[str]) -> Crosswalk:
    doc = load_yaml(path)
    if not isinstance(doc, dict):
        raise UsageError(f"{path}:{line_of(doc)}: a crosswalk is a mapping with {', '.join(_KEYS)}")
    for key in doc:
        if key not in _KEYS:
            raise UsageError(f"{path}:{line_of(doc, key)}: unknown key {key!r} (allowed: {', '.join(_KEYS)})")
    for key in ("framework", "source"):
        if not isinstance(doc.get(key), str) or not doc[key].strip():
            raise UsageError(f"{path}:{line_of(doc, key)}: `{key}` must be non-empty text")
    items = doc.get("mappings")
    if not isinstance(items, dict) or not items:
        raise UsageError(f"{path}:{line_of(doc, 'mappings')}: `mappings` must map Annex A ids to lists of ids")
    mappings = {}
    for control, others in items.items():
        where = f"{path}:{line_of(items, control)}"
        if control not in control_ids:
            raise UsageError(f"{where}: {unknown_control(str(control), control_ids)}")
        if not isinstance(others, list) or not others or not all(isinstance(o, str) and o.strip() for o in others):
            raise UsageError(f"{where}: the ids mapped to {control} must be a non-empty list of text")
        mappings[control] = tuple(o.strip() for o in others)
    return Crosswalk(doc["framework"].strip(), doc["source"].strip(), mappings)
