"""Which properties of a fact a rule's expression reads, so an absent one is `error`, never a guess.

JMESPath reads an absent key as null, so `encryption.enabled != \\`false\\`` passes on a response
that simply left `encryption` out. Rules must not guess: before `where` and `expect` are
evaluated, every property they read on the fact's own object must be present, unless the rule
declares its documented API default (`defaults:`). The properties come from the expression's
syntax tree (jmespath's parsed AST), by these rules:

- A field chain from the fact's object (`a`, `a.b.c`, `"x-y".z`) requires each step: `a` must be
  a key of the object, then `b` a key of `a`'s value, and so on. A step whose parent value is
  present but is null, a list, a string or a number ends the check there: the source said what
  it is, and JMESPath's null is then the true reading.
- `a || b` and `not_null(a, b, ...)` are alternatives: the properties of *one* side must all be
  present (whichever); with both sides absent, every alternative is named. A side that reads
  no property (a literal: `password_policies || ''`) is a fallback for a null value, not an
  alternative: `password_policies` must still be present (null is fine).
- `a && b` requires what `a` reads, and what `b` reads only where `a` holds (is truthy): when `a`
  is falsy the result is `a` whatever `b` says, so nothing is guessed
  (`contains(mapped, 'start_date') && start_date != null` reads `start_date` only when mapped).
- Every other operator and function (`!`, comparisons, `length()`, `contains()`, multi-selects)
  requires all the properties its operands read.
- Inside a projection or filter (`a[]`, `a[*].b`, `a[?x == 'y']`, `a.*`, `a[0].b`, `&b` in
  `sort_by`) only the list or object projected (`a`) is required: the properties of its
  elements are not, because lists legitimately hold items of different shapes (an
  all-traffic security group rule has no port) and JMESPath skips or nulls them by design.
- `@` and `keys(@)` read the object as a whole and require nothing; `contains(keys(@), 'x')`
  is how a rule tests for a key on purpose.
- A bare `null`, `true` or `false` (`owner != null`) is, to JMESPath, a field of that name that
  no source returns, so it reads as null: rule authors mean the literal, and it requires nothing.

A requirement is a clause of alternative paths (conjunctive normal form), guarded by the left
sides of the `&&`s it sits behind: the expression can be judged when every clause whose guards
hold has at least one present path.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import jmespath

__all__ = [
    "Guard",
    "Path",
    "Requirement",
    "apply_defaults",
    "guard_node",
    "missing",
    "parse_path",
    "path_text",
    "required_paths",
]

Path = tuple[str, ...]
# The left side of an `&&`, as (the path of the object it runs on, its syntax tree as JSON).
Guard = tuple[Path, str]
# Decides whether a guard holds on the fact's data (the evaluator's JMESPath, with days_since()).
Judge = Callable[[Mapping[str, Any], Any], bool]

_MAX_CLAUSES = 256  # `a || b || ...` multiplies clauses; beyond this the rule is refused at load
_ALTERNATIVES = ("not_null",)
_BARE_LITERALS = ("null", "true", "false")  # `x != null` means the literal (the field does not exist)


@dataclass(frozen=True)
class Requirement:
    """At least one of `paths` must be present, when every guard holds (no guard: always)."""

    paths: frozenset[Path]
    guards: frozenset[Guard] = frozenset()

    def key(self) -> tuple[list[Path], list[Guard]]:
        return sorted(self.paths), sorted(self.guards)


@lru_cache(maxsize=1024)
def guard_node(guard: Guard) -> Mapping[str, Any]:
    return json.loads(guard[1])  # type: ignore[no-any-return]


class _Walk:
    def __init__(self) -> None:
        self.size = 0

    def clauses(self, node: Mapping[str, Any], base: Path | None) -> tuple[list[Requirement], Path | None]:
        """(requirements, the path of the node's value when it is a plain field chain from the fact)."""
        kind = node["type"]
        children = node.get("children", [])
        if kind == "field":
            if base is None or (base == () and node["value"] in _BARE_LITERALS):
                return [], None
            path = (*base, node["value"])
            return [Requirement(frozenset({path}))], path
        if kind in ("current", "identity"):
            return [], base
        if kind in ("subexpression", "pipe"):
            out: list[Requirement] = []
            current = base
            for child in children:
                found, current = self.clauses(child, current)
                out += found
            return out, current
        if kind in ("projection", "filter_projection", "value_projection", "index_expression", "flatten"):
            # The left side is read from the current object; the rest runs on its elements.
            found, _ = self.clauses(children[0], base) if children else ([], None)
            return found, None
        if kind == "and_expression" and base is not None:
            # `a && b` is `a` whenever `a` is falsy: `b` is read only where `a` holds.
            left, _ = self.clauses(children[0], base)
            right, _ = self.clauses(children[1], base)
            guard = (base, json.dumps(children[0], sort_keys=True))
            return [*left, *(Requirement(r.paths, r.guards | {guard}) for r in right)], None
        if kind == "or_expression":
            return self._either([self.clauses(child, base)[0] for child in children]), None
        if kind == "function_expression" and node["value"] in _ALTERNATIVES:
            return self._either([self.clauses(child, base)[0] for child in children]), None
        if kind == "expref":
            return [], None  # evaluated on each element of the function's list
        out = []
        for child in children:
            out += self.clauses(child, base)[0]
        return out, None

    def _either(self, sides: list[list[Requirement]]) -> list[Requirement]:
        """CNF of (all of side 1) or (all of side 2) ...: one clause per choice of a clause from each side
        (it applies where the guards of all its parts hold). Sides that read nothing (literals) are
        fallbacks for null, not alternatives to a property."""
        sides = [side for side in sides if side]
        if not sides:
            return []
        combined = [Requirement(frozenset())]
        for side in sides:
            combined = [Requirement(a.paths | b.paths, a.guards | b.guards) for a in combined for b in side]
            self.size += len(combined)
            if self.size > _MAX_CLAUSES:
                raise ValueError("too many alternatives (`||`, not_null) to check which properties it reads")
        return combined


def required_paths(expression: str) -> list[Requirement]:
    """The requirement clauses of a JMESPath expression, deduplicated, in a stable order.
    ValueError for an expression with too many alternatives."""
    found, _ = _Walk().clauses(jmespath.compile(expression).parsed, ())
    unique = list(dict.fromkeys(found))
    # A clause is implied by an unguarded single-path clause it contains (`a` implies `a || b`).
    singles = {next(iter(c.paths)) for c in unique if len(c.paths) == 1 and not c.guards}
    kept = [c for c in unique if (len(c.paths) == 1 and not c.guards) or not (c.paths & singles)]
    return sorted(kept, key=Requirement.key)


def parse_path(text: str) -> Path:
    """`a.b."c-d"` -> ("a", "b", "c-d"); ValueError when it is not a plain field chain."""
    try:
        parsed = jmespath.compile(text).parsed
    except jmespath.exceptions.JMESPathError as err:
        raise ValueError(" ".join(str(err).split())) from None
    nodes = parsed["children"] if parsed["type"] == "subexpression" else [parsed]
    if not all(n["type"] == "field" for n in nodes):
        raise ValueError(f"{text!r} is not a property path such as properties.networkAccessPolicy")
    return tuple(n["value"] for n in nodes)


def path_text(path: Path) -> str:
    return ".".join(p if p.replace("_", "a").isalnum() and not p[0].isdigit() else f'"{p}"' for p in path)


def _absent(data: Any, path: Path) -> Path | None:
    """The first step of `path` that is absent from `data` (None when present or cut short by a non-object)."""
    node = data
    for depth, key in enumerate(path):
        if not isinstance(node, dict):
            return None
        if key not in node:
            return path[: depth + 1]
        node = node[key]
    return None


def _at(data: Any, path: Path) -> Any:
    for key in path:
        data = data.get(key) if isinstance(data, dict) else None
    return data


def _applies(clause: Requirement, data: Any, judge: Judge | None) -> bool:
    """Whether a guarded clause applies: each guard (an `&&`'s left side) holds on the data. Without
    a judge, or when a guard cannot be evaluated, the clause applies (the strict reading)."""
    for guard in clause.guards:
        if judge is None:
            return True
        try:
            if not judge(guard_node(guard), _at(data, guard[0])):
                return False
        except Exception:  # noqa: BLE001 - a guard that cannot be judged leaves the requirement in force
            return True
    return True


def missing(data: Any, requirements: Iterable[Requirement], judge: Judge | None = None) -> list[list[Path]]:
    """For each unmet requirement, the absent step of each of its alternatives (each once:
    `a.b.c` on `{}` is one missing `a`)."""
    out: dict[tuple[Path, ...], None] = {}
    for clause in requirements:
        absent = [_absent(data, path) for path in sorted(clause.paths)]
        if all(a is not None for a in absent) and _applies(clause, data, judge):
            out[tuple(dict.fromkeys(a for a in absent if a is not None))] = None
    return [list(paths) for paths in out]


def apply_defaults(
    data: Any, requirements: list[Requirement], defaults: Mapping[Path, Any], judge: Judge | None = None
) -> tuple[Any, list[Path], list[list[Path]]]:
    """(data with declared defaults put where the source left a property out, the defaults applied,
    the requirements still unmet). The input is never modified."""
    applied: list[Path] = []
    for _round in range(len(defaults) + 1):
        unmet = missing(data, requirements, judge)
        todo = [p for alternatives in unmet for p in alternatives if p in defaults and p not in applied]
        if not todo:
            return data, applied, unmet
        for path in dict.fromkeys(todo):
            data = _with(data, path, defaults[path])
            applied.append(path)
    return data, applied, missing(data, requirements, judge)


def _with(data: Any, path: Path, value: Any) -> Any:
    """A copy of `data` with `value` at `path` (whose parent is an object; copies only along the path)."""
    if len(path) == 1:
        return {**data, path[0]: value}
    return {**data, path[0]: _with(data[path[0]], path[1:], value)}
