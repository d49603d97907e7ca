"""The ISO/IEC 27001:2022 Annex A control catalog (`annex_a_2022.yaml`), typed.

Rules, scope decisions and reports all name controls by id; this module is the one
place that knows which ids exist, their short titles, themes and ISO/IEC 27002:2022
attributes. The packaged file is trusted data, but it is still validated on load so
a bad edit fails loudly instead of quietly dropping a control from the SoA.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from pathlib import Path
from types import MappingProxyType
from typing import Any

from annexa.errors import UsageError
from annexa.yamlio import load_yaml

__all__ = [
    "ATTRIBUTE_VOCABULARIES",
    "DEFAULT_CATALOG_PATH",
    "THEMES",
    "Catalog",
    "Control",
    "control_sort_key",
    "load_catalog",
]

DEFAULT_CATALOG_PATH = Path(__file__).parent / "annex_a_2022.yaml"

# Annex A clause number -> theme; the theme of a control follows from its id.
THEMES: Mapping[str, str] = MappingProxyType(
    {"5": "organizational", "6": "people", "7": "physical", "8": "technological"}
)

# ISO/IEC 27002:2022 clause 4.2 attribute values, snake_cased.
ATTRIBUTE_VOCABULARIES: Mapping[str, frozenset[str]] = MappingProxyType(
    {
        "control_type": frozenset({"preventive", "detective", "corrective"}),
        "security_properties": frozenset({"confidentiality", "integrity", "availability"}),
        "cybersecurity_concepts": frozenset({"identify", "protect", "detect", "respond", "recover"}),
        "operational_capabilities": frozenset(
            {
                "governance",
                "asset_management",
                "information_protection",
                "human_resource_security",
                "physical_security",
                "system_and_network_security",
                "application_security",
                "secure_configuration",
                "identity_and_access_management",
                "threat_and_vulnerability_management",
                "continuity",
                "supplier_relationships_security",
                "legal_and_compliance",
                "information_security_event_management",
                "information_security_assurance",
            }
        ),
        "security_domains": frozenset({"governance_and_ecosystem", "protection", "defence", "resilience"}),
    }
)

_CONTROL_ID = re.compile(r"A\.([1-9][0-9]*)\.([1-9][0-9]*)")
_CONTROL_KEYS = frozenset({"id", "title", "theme", *ATTRIBUTE_VOCABULARIES})
_TOP_LEVEL_KEYS = frozenset({"catalog", "version", "controls"})


def control_sort_key(control_id: str) -> tuple[int, int]:
    """Numeric order for ids, so `A.5.2` sorts before `A.5.10`."""
    found = _CONTROL_ID.fullmatch(control_id)
    if found is None:
        raise ValueError(f"not an Annex A control id: {control_id!r} (expected e.g. 'A.8.24')")
    return int(found.group(1)), int(found.group(2))


@dataclass(frozen=True)
class Control:
    """One Annex A control: id, short title, theme and its 27002 attributes.

    `attributes` holds only the attributes the catalog states (e.g. `control_type`
    -> `("preventive",)`); a missing key means "not recorded", not "none".
    """

    id: str
    title: str
    theme: str
    attributes: Mapping[str, tuple[str, ...]] = field(default_factory=dict, hash=False)


class Catalog:
    """The controls in document order, looked up by id. Immutable, so it can be cached and shared."""

    __slots__ = ("name", "version", "_controls", "_by_id")

    def __init__(self, controls: Iterable[Control], *, name: str = "", version: str = "") -> None:
        self.name = name
        self.version = version
        self._controls: tuple[Control, ...] = tuple(controls)
        by_id: dict[str, Control] = {}
        for control in self._controls:
            if control.id in by_id:
                raise ValueError(f"duplicate control id {control.id!r}")
            by_id[control.id] = control
        self._by_id: Mapping[str, Control] = MappingProxyType(by_id)

    def get(self, control_id: str) -> Control | None:
        return self._by_id.get(control_id)

    def __getitem__(self, control_id: str) -> Control:
        try:
            return self._by_id[control_id]
        except KeyError:
            raise KeyError(f"unknown Annex A control id {control_id!r}") from None

    def __contains__(self, control_id: object) -> bool:
        return control_id in self._by_id

    def __iter__(self) -> Iterator[Control]:
        return iter(self._controls)

    def __len__(self) -> int:
        return len(self._controls)

    def ids(self) -> list[str]:
        return [control.id for control in self._controls]

    def match(self, pattern: str) -> list[str]:
        """Ids matching a glob-like pattern (`A.8.*`, `A.5.1?`) or an exact id, in catalog order.

        An empty list means nothing matched; callers that expect a hit (rule loading)
        report that as an unknown control.
        """
        if pattern in self._by_id:  # exact ids are the common case: skip the scan
            return [pattern]
        return [control.id for control in self._controls if fnmatchcase(control.id, pattern)]

    def __repr__(self) -> str:
        return f"Catalog({self.name!r}, version={self.version!r}, controls={len(self)})"


def load_catalog(path: Path | None = None) -> Catalog:
    """Load a catalog file; the packaged Annex A 2022 catalog (cached) when `path` is None."""
    if path is None:
        return _load_default_catalog()
    return _load_catalog_file(Path(path))


@functools.lru_cache(maxsize=1)
def _load_default_catalog() -> Catalog:
    return _load_catalog_file(DEFAULT_CATALOG_PATH)


def _load_catalog_file(path: Path) -> Catalog:
    try:
        document = load_yaml(path)  # duplicate keys are errors too
    except UsageError as exc:
        raise ValueError(f"invalid YAML: {exc}") from None
    try:
        return _parse_catalog(document)
    except ValueError as exc:
        raise ValueError(f"{path}: {exc}") from None


def _parse_catalog(document: Any) -> Catalog:
    if not isinstance(document, dict):
        raise ValueError("expected a mapping with keys 'catalog', 'version' and 'controls'")
    _reject_unknown_keys(document, _TOP_LEVEL_KEYS, "top level")
    name = _required_string(document, "catalog", "top level")
    version = _required_string(document, "version", "top level")
    entries = document.get("controls")
    if not isinstance(entries, list) or not entries:
        raise ValueError("'controls' must be a non-empty list")
    controls = [_parse_control(entry, index) for index, entry in enumerate(entries, start=1)]
    return Catalog(controls, name=name, version=version)


def _parse_control(entry: Any, index: int) -> Control:
    where = f"control #{index}"
    if not isinstance(entry, dict):
        raise ValueError(f"{where}: expected a mapping, got {type(entry).__name__}")
    control_id = _required_string(entry, "id", where)
    where = f"control #{index} ({control_id})"
    clause = control_sort_key(control_id)[0]
    _reject_unknown_keys(entry, _CONTROL_KEYS, where)
    title = _required_string(entry, "title", where)
    theme = _required_string(entry, "theme", where)
    expected_theme = THEMES.get(str(clause))
    if expected_theme is None:
        raise ValueError(f"{where}: clause A.{clause} is not an Annex A theme (A.5 to A.8)")
    if theme != expected_theme:
        raise ValueError(f"{where}: theme {theme!r} does not match clause A.{clause} ({expected_theme!r})")
    attributes = {
        name: _parse_attribute(entry[name], name, vocabulary, where)
        for name, vocabulary in ATTRIBUTE_VOCABULARIES.items()
        if name in entry
    }
    return Control(id=control_id, title=title, theme=theme, attributes=MappingProxyType(attributes))


def _parse_attribute(values: Any, name: str, vocabulary: frozenset[str], where: str) -> tuple[str, ...]:
    if not isinstance(values, list) or not values:
        raise ValueError(f"{where}: {name!r} must be a non-empty list (omit it when unknown)")
    if not all(isinstance(value, str) for value in values):
        raise ValueError(f"{where}: {name!r} must list strings, got {values!r}")
    unknown = [value for value in values if value not in vocabulary]
    if unknown:
        raise ValueError(f"{where}: {name!r} has unknown values {unknown}; allowed: {sorted(vocabulary)}")
    if len(set(values)) != len(values):
        raise ValueError(f"{where}: {name!r} lists a value twice: {values}")
    return tuple(values)


def _required_string(mapping: dict[str, Any], key: str, where: str) -> str:
    value = mapping.get(key)
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{where}: {key!r} must be a non-empty string, got {value!r}")
    return value


def _reject_unknown_keys(mapping: dict[Any, Any], allowed: frozenset[str], where: str) -> None:
    unknown = sorted(str(key) for key in mapping.keys() - allowed)
    if unknown:
        raise ValueError(f"{where}: unknown keys {unknown}; allowed: {sorted(allowed)}")
