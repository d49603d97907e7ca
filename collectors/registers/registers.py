"""Registers kept as files (CSV, JSON or YAML: a list of records), read through a declared column mapping.

annexa's field names are mapped to the file's own columns in the target's `columns:` option, as
for people exports (collectors/people), so a register keeps its own headings:

    register: suppliers
    columns: {id: Supplier, tier: Risk tier, security_clauses: Security clauses, last_reviewed: Last review}

Each kind of register has its fields (`REGISTERS`); only `id` is required, and a rule about a field
the mapping leaves out does not apply (`mapped`). Structural problems (a declared column missing, an
empty or duplicate id, a yes/no field that is neither, a supplier tier with no review interval) are
configuration errors naming file and line (exit 2). A date that cannot be read is not guessed: that
row becomes a collection error naming file and line, and every rule about it says `error`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from annexa.collectors.userfiles import column_mapping, normalise_date, table_rows
from annexa.errors import UsageError
from annexa.inputfiles import read_input
from annexa.model import parse_duration

__all__ = ["DEFAULT_REVIEW_INTERVAL", "REGISTERS", "Register", "Row", "load_register"]

MAX_REGISTER_BYTES = 16 * 1024 * 1024
# ISO/IEC 27001:2022 asks for reviews "at planned intervals" (5.1, 9.2, 9.3) without a number; a year
# is annexa's documented default, the longest interval certification bodies' annual surveillance allows.
DEFAULT_REVIEW_INTERVAL = "365d"
DATE_FIELDS = frozenset({"last_reviewed", "planned", "held"})
FLAG_FIELDS = frozenset({"security_clauses", "ict", "independent", "labelled"})
CONTACT_CATEGORIES = ("authority", "interest-group")  # A.5.5 and A.5.6
_YES = frozenset({"yes", "y", "true", "1", "x"})
_NO = frozenset({"no", "n", "false", "0"})


@dataclass(frozen=True)
class Register:
    """One kind of register: its fact kind and the fields a file may map (besides `id` and `title`)."""

    kind: str
    fields: tuple[str, ...]
    what: str
    options: tuple[str, ...] = field(default=())


REGISTERS: Mapping[str, Register] = {
    "assets": Register(
        "register.asset",
        ("owner", "classification", "labelled", "last_reviewed"),
        "an asset inventory",
        ("classification_levels",),
    ),
    "suppliers": Register(
        "register.supplier",
        ("tier", "security_clauses", "ict", "owner", "last_reviewed"),
        "a supplier register",
        ("review_intervals",),
    ),
    "risks": Register("register.risk", ("owner", "treatment", "last_reviewed"), "a risk register"),
    "audits": Register("register.audit", ("planned", "held", "independent", "scope"), "an internal audit programme"),
    "management-reviews": Register("register.management_review", ("planned", "held"), "a management review log"),
    "legal": Register("register.legal_requirement", ("owner", "last_reviewed"), "a legal and regulatory register"),
    "contacts": Register("register.contact", ("category", "owner", "last_reviewed"), "a register of contacts"),
    "continuity-tests": Register(
        "register.continuity_test", ("planned", "held", "outcome"), "a business-continuity exercise log"
    ),
}


@dataclass(frozen=True)
class Row:
    """One record: where it is (`file:line`), its id, and either its data or why a date could not be read."""

    where: str
    id: str
    data: dict[str, Any]
    error: str | None = None


def _interval_days(label: str, key: str, value: Any) -> float:
    try:
        return parse_duration(value).total_seconds() / 86400
    except (TypeError, ValueError) as err:
        raise UsageError(f"{label}: {key}: {err}") from None


def _flag(where: str, column: str, name: str, value: Any) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if not text:
        return None
    if text in _YES or text in _NO:
        return text in _YES
    raise UsageError(f"{where}: {column} ({name}): {value!r} is not yes or no")


def _text(value: Any) -> str | None:
    if value is None:
        return None
    return " ".join(str(value).split()) or None


def register_of(label: str, options: Mapping[str, Any]) -> Register:
    name = options.get("register")
    if name not in REGISTERS:
        raise UsageError(f"{label}: `register` must be one of {', '.join(REGISTERS)}, not {name!r}")
    register = REGISTERS[name]
    for key in ("classification_levels", "review_intervals"):
        if key in options and key not in register.options:
            raise UsageError(f"{label}: `{key}` applies only to a register of {_owner_of(key)}")
    return register


def _owner_of(option: str) -> str:
    return next(name for name, register in REGISTERS.items() if option in register.options)


def _tier_intervals(label: str, value: Any) -> dict[str, float]:
    if value is None:
        return {}
    if not isinstance(value, Mapping) or not value:
        raise UsageError(f"{label}: review_intervals must map each risk tier to an interval, e.g. {{high: 180d}}")
    return {
        str(tier).strip().lower(): _interval_days(label, f"review_intervals: {tier}", v) for tier, v in value.items()
    }


def _levels(label: str, value: Any) -> list[str] | None:
    if value is None:
        return None
    if not isinstance(value, list) or not value or not all(isinstance(v, str) and v.strip() for v in value):
        raise UsageError(f"{label}: classification_levels must be a list such as [public, internal, confidential]")
    return [v.strip().lower() for v in value]


def load_register(label: str, options: Mapping[str, Any]) -> tuple[Register, list[Row], float]:
    """The register a `register` target points at, its records and its review interval in days;
    UsageError on the first structural problem."""
    register = register_of(label, options)
    if "path" not in options:
        raise UsageError(f"{label}: a register target needs `path:` (the CSV, JSON or YAML file)")
    path = Path(options["path"])
    columns = column_mapping(label, options.get("columns"), ("id", "title", *register.fields), what="register")
    interval = _interval_days(label, "review_interval", options.get("review_interval", DEFAULT_REVIEW_INTERVAL))
    tiers = _tier_intervals(label, options.get("review_intervals"))
    levels = _levels(label, options.get("classification_levels"))
    raw = read_input(path, MAX_REGISTER_BYTES, expected=f"{register.what} (CSV, JSON or YAML)")
    rows: list[Row] = []
    seen: dict[str, str] = {}
    for where, record in table_rows(path, raw, columns):
        data: dict[str, Any] = {"mapped": sorted(columns), "review_interval_days": interval}
        error = None
        for name, column in columns.items():
            value = record.get(column)
            if name in DATE_FIELDS:
                try:
                    data[name] = normalise_date(value)
                except ValueError as err:
                    data[name] = None
                    error = error or f"{where}: {column} ({name}): {err}"
            elif name in FLAG_FIELDS:
                data[name] = _flag(where, column, name, value)
            else:
                data[name] = _text(value)
                if name in ("outcome", "category") and data[name] is not None:
                    data[name] = data[name].lower()  # matched by rules: `passed`, `authority`
        if not data["id"]:
            raise UsageError(f"{where}: {columns['id']} (id) is empty")
        if data["id"] in seen:
            raise UsageError(f"{where}: duplicate id {data['id']!r} (first at {seen[data['id']]})")
        seen[data["id"]] = where
        if "tier" in data and tiers:
            tier = (data["tier"] or "").lower()
            if tier not in tiers:
                raise UsageError(
                    f"{where}: {columns['tier']} (tier): {data['tier']!r} has no interval in review_intervals"
                    f" (known: {', '.join(tiers)})"
                )
            data["review_interval_days"] = tiers[tier]
        if "classification" in data:  # null: no scheme declared, only presence is judged
            known = (data["classification"] or "").lower() in levels if levels is not None else None
            data["classification_known"] = known
        if data.get("category") is not None and data["category"] not in CONTACT_CATEGORIES:
            raise UsageError(
                f"{where}: {columns['category']} (category): {data['category']!r} is not one of"
                f" {', '.join(CONTACT_CATEGORIES)}"
            )
        rows.append(Row(where, data["id"], data, error))
    return register, rows, interval
