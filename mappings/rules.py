"""Rule files: schema, loading and validation.

A rule file is YAML with one key, `rules`, a list of rules. Everything is checked
at load (shape, unknown control ids and fact kinds, JMESPath syntax, duplicate rule
ids across all files) and reported as `file:line: message`, so a typo in a rule
fails `annexa check` instead of silently never matching.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from annexa.errors import UsageError, UsageErrors
from annexa.mappings.jmes import Expression, compile_expression
from annexa.mappings.legacy_ids import unknown_control
from annexa.mappings.properties import Path as PropertyPath
from annexa.mappings.properties import Requirement, parse_path, path_text, required_paths
from annexa.words import did_you_mean
from annexa.yamlio import LineDict, line_of, load_yaml

__all__ = ["Join", "Rule", "SEVERITIES", "builtin_rule_files", "expand_rule_paths", "load_rules", "rules_digest"]

SEVERITIES = ("low", "medium", "high", "critical")
_RULE_ID = re.compile(r"^[a-z0-9][a-z0-9_.\-]*$")
_REQUIRED = ("id", "title", "controls", "fact", "expect", "severity", "remediation")
_OPTIONAL = ("where", "observe", "controls_from", "join", "rationale", "defaults", "clauses")
# An ISO/IEC 27001:2022 management-system clause (4 to 10, e.g. 6.1.2, 9.2, 9.3): what a register
# of the ISMS's own operation (risk register, audit programme, management reviews) evidences.
_CLAUSE = re.compile(r"^(?:[4-9]|10)(?:\.[1-9]\d?){0,2}$")
_JOIN_KEYS = ("fact", "key", "match")


@dataclass(frozen=True)
class Join:
    """Facts of other kinds matched to the judged fact: `key` (on them) equals `match` (on it).

    The matches are handed to `expect` as the list `joined`; this is how a rule checks
    one source against another (an HR leaver against the identities collected). `kinds` is
    one kind, or several that describe the same things (devices from Fleet and from Intune):
    YAML `fact:` takes a kind or a list of kinds.
    """

    kinds: tuple[str, ...]
    key: Expression
    match: Expression

    def to_dict(self) -> dict[str, Any]:
        fact: Any = self.kinds[0] if len(self.kinds) == 1 else list(self.kinds)
        return {"fact": fact, "key": self.key.text, "match": self.match.text}


@dataclass(frozen=True)
class Rule:
    id: str
    title: str
    controls: tuple[str, ...]
    fact: str
    expect: Expression
    severity: str
    remediation: str
    where: Expression | None = None
    observe: Expression | None = None
    # Controls named by the fact itself (a policy's front matter), added to `controls`;
    # the evaluator checks them against `known_controls` (the catalog at load time).
    controls_from: Expression | None = None
    join: Join | None = None
    known_controls: frozenset[str] = frozenset()
    # ISO/IEC 27001:2022 clauses (not Annex A controls) the rule evidences, shown with its results.
    clauses: tuple[str, ...] = ()
    origin: str = ""  # file:line, for messages
    # Why this check evidences its controls, in words an auditor reads in the SoA and the pack.
    rationale: str = ""
    # Documented API defaults for properties a source may leave out (`networkAccessPolicy: AllowAll`):
    # applied only where the property is absent; any other absent property makes the result `error`.
    defaults: Mapping[PropertyPath, Any] = field(default_factory=dict)
    # The properties `where` and `expect` read on the fact's own object (see properties.py).
    where_reads: tuple[Requirement, ...] = ()
    expect_reads: tuple[Requirement, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """The rule as written, for storing beside the results it produced."""
        out: dict[str, Any] = {
            "id": self.id,
            "title": self.title,
            "controls": list(self.controls),
            "fact": self.fact,
            "expect": self.expect.text,
            "severity": self.severity,
            "remediation": self.remediation,
        }
        if self.where is not None:
            out["where"] = self.where.text
        if self.observe is not None:
            out["observe"] = self.observe.text
        if self.controls_from is not None:
            out["controls_from"] = self.controls_from.text
        if self.join is not None:
            out["join"] = self.join.to_dict()
        if self.clauses:
            out["clauses"] = list(self.clauses)
        if self.rationale:
            out["rationale"] = self.rationale
        if self.defaults:
            out["defaults"] = {path_text(path): value for path, value in self.defaults.items()}
        return out


def builtin_rule_files() -> list[Path]:
    return sorted((Path(__file__).parent / "rules").glob("*.yaml"))


def expand_rule_paths(paths: Iterable[Path]) -> list[Path]:
    """Files as given; folders as their `*.yaml`/`*.yml` files, sorted."""
    out: list[Path] = []
    for path in paths:
        if path.is_dir():
            out.extend(sorted(p for p in path.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file()))
        else:
            out.append(path)
    return out


def rules_digest(rules: Sequence[Rule]) -> str:
    """sha256 over the rules' canonical form: recorded in each run's manifest."""
    payload = json.dumps([r.to_dict() for r in rules], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(payload.encode()).hexdigest()


def load_rules(paths: Iterable[Path], known_kinds: set[str], control_ids: set[str]) -> list[Rule]:
    """Load and validate every rule in `paths` (in order). Every problem is collected, one per
    rule (a rule's later keys may depend on its earlier ones), and all are raised together as
    UsageErrors (up to its limit), so one `annexa check` shows everything to fix."""
    rules: list[Rule] = []
    problems: list[str] = []
    seen: dict[str, str] = {}
    for path in paths:
        try:
            items = _load_file(path)
        except UsageError as err:
            problems.append(str(err))
            continue
        for item in items:
            try:
                rule = _parse_rule(path, item, known_kinds, control_ids)
            except UsageError as err:
                problems.append(str(err))
                continue
            if rule.id in seen:
                problems.append(f"{rule.origin}: duplicate rule id {rule.id!r} (first defined at {seen[rule.id]})")
                continue
            seen[rule.id] = rule.origin
            rules.append(rule)
    if problems:
        raise UsageErrors(problems)
    return rules


def _load_file(path: Path) -> list[Any]:
    doc = load_yaml(path)
    if not isinstance(doc, LineDict) or "rules" not in doc:
        raise UsageError(f"{path}:{line_of(doc)}: a rule file needs a top-level `rules:` list")
    extra = sorted(set(doc) - {"rules"}, key=str)
    if extra:
        hint = did_you_mean(str(extra[0]), ["rules"])
        raise UsageError(
            f"{path}:{line_of(doc, extra[0])}: unknown top-level key {extra[0]!r}{hint} (expected only `rules`)"
        )
    items = doc["rules"]
    if not isinstance(items, list):
        raise UsageError(f"{path}:{line_of(doc, 'rules')}: `rules` must be a list")
    return items


def _parse_rule(path: Path, item: Any, known_kinds: set[str], control_ids: set[str]) -> Rule:
    where = f"{path}:{line_of(item)}"
    if not isinstance(item, dict):
        raise UsageError(f"{where}: each rule must be a mapping with {', '.join(_REQUIRED)}")

    def at(key: str) -> str:
        return f"{path}:{line_of(item, key)}"

    for key in item:
        if key not in _REQUIRED and key not in _OPTIONAL:
            raise UsageError(
                f"{at(key)}: unknown rule key {key!r}{did_you_mean(str(key), _REQUIRED + _OPTIONAL)} "
                f"(allowed: {', '.join(_REQUIRED + _OPTIONAL)})"
            )
    for key in _REQUIRED:
        if key not in item:
            raise UsageError(f"{where}: rule is missing required key {key!r}")
    for key in (
        "id",
        "title",
        "fact",
        "expect",
        "severity",
        "remediation",
        "where",
        "observe",
        "controls_from",
        "rationale",
    ):
        if key in item and (not isinstance(item[key], str) or not item[key].strip()):
            raise UsageError(f"{at(key)}: {key!r} must be a non-empty string")

    rule_id = item["id"]
    if not _RULE_ID.match(rule_id):
        raise UsageError(f"{at('id')}: rule id {rule_id!r} must be lowercase letters, digits, '.', '-' or '_'")
    if item["severity"] not in SEVERITIES:
        raise UsageError(f"{at('severity')}: severity {item['severity']!r} is not one of {', '.join(SEVERITIES)}")
    if item["fact"] not in known_kinds:
        raise UsageError(
            f"{at('fact')}: unknown fact kind {item['fact']!r}{did_you_mean(item['fact'], known_kinds)} "
            "(no registered collector produces it)"
        )

    controls = item["controls"]
    if isinstance(controls, str):
        controls = [controls]
    clauses = item.get("clauses", [])
    if not isinstance(clauses, list) or not all(isinstance(c, str) and _CLAUSE.match(c) for c in clauses):
        raise UsageError(f"{at('clauses')}: `clauses` must be a list of ISO/IEC 27001 clauses such as 9.2 or 6.1.2")
    # `controls: []` only with controls_from: every control comes from the fact (imported findings),
    # or with `clauses`: the rule evidences the management system, not an Annex A control.
    if (
        not isinstance(controls, list)
        or not all(isinstance(c, str) for c in controls)
        or (not controls and "controls_from" not in item and not clauses)
    ):
        raise UsageError(
            f"{at('controls')}: `controls` must be a non-empty list of Annex A ids such as A.8.24"
            " (it may be [] only with `controls_from` or `clauses`)"
        )
    for control in controls:
        if control not in control_ids:
            raise UsageError(f"{at('controls')}: {unknown_control(control, control_ids)}")

    def expression(key: str, node: Any = item, name: str = "") -> Expression | None:
        if key not in node:
            return None
        try:
            return compile_expression(node[key])
        except ValueError as err:
            raise UsageError(f"{path}:{line_of(node, key)}: invalid JMESPath in {name or key!r}: {err}") from None

    expect = expression("expect")
    assert expect is not None  # required key, checked above
    where_expr = expression("where")
    where_reads, expect_reads = _reads(path, item, "where"), _reads(path, item, "expect")
    return Rule(
        id=rule_id,
        title=item["title"].strip(),
        controls=tuple(dict.fromkeys(controls)),
        fact=item["fact"],
        expect=expect,
        severity=item["severity"],
        remediation=item["remediation"].strip(),
        where=where_expr,
        observe=expression("observe"),
        controls_from=expression("controls_from"),
        join=_parse_join(path, item, known_kinds, expression) if "join" in item else None,
        known_controls=frozenset(control_ids) if "controls_from" in item else frozenset(),
        clauses=tuple(dict.fromkeys(clauses)),
        origin=where,
        rationale=" ".join(item["rationale"].split()) if "rationale" in item else "",
        defaults=_parse_defaults(path, item, (*where_reads, *expect_reads)),
        where_reads=where_reads,
        expect_reads=expect_reads,
    )


def _reads(path: Path, item: Any, key: str) -> tuple[Requirement, ...]:
    if key not in item:
        return ()
    try:
        return tuple(required_paths(item[key]))
    except ValueError as err:
        raise UsageError(f"{path}:{line_of(item, key)}: {key}: {err}") from None
    except RecursionError:
        raise UsageError(f"{path}:{line_of(item, key)}: {key}: expression nested too deeply") from None


def _parse_defaults(path: Path, item: Any, reads: tuple[Requirement, ...]) -> dict[PropertyPath, Any]:
    """`defaults: {property.path: value}`: each a property `where` or `expect` reads on the fact itself."""
    if "defaults" not in item:
        return {}
    node = item["defaults"]
    if not isinstance(node, dict) or not node:
        raise UsageError(
            f"{path}:{line_of(item, 'defaults')}: `defaults` must map property paths to their documented "
            "API default, e.g. {networkAccessPolicy: AllowAll}"
        )
    readable = {p[:n] for clause in reads for p in clause.paths for n in range(1, len(p) + 1)}
    out: dict[PropertyPath, Any] = {}
    for key, value in node.items():
        at = f"{path}:{line_of(node, key)}"
        try:
            prop = parse_path(str(key))
        except ValueError as err:
            raise UsageError(f"{at}: defaults: {err}") from None
        if prop not in readable:
            raise UsageError(
                f"{at}: defaults: {key!r} is not a property that `where` or `expect` reads on the fact itself"
            )
        out[prop] = _plain(value)
    return out


def _plain(value: Any) -> Any:
    """YAML values as JSON ones (line-tracking containers and dates stripped)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def _parse_join(path: Path, item: Any, known_kinds: set[str], expression: Any) -> Join:
    node = item["join"]
    where = f"{path}:{line_of(item, 'join')}"
    if not isinstance(node, dict) or set(node) != set(_JOIN_KEYS):
        raise UsageError(f"{where}: `join` must be a mapping with exactly {', '.join(_JOIN_KEYS)}")
    kinds = node["fact"] if isinstance(node["fact"], list) and node["fact"] else [node["fact"]]
    for key, value in [*(("fact", kind) for kind in kinds), ("key", node["key"]), ("match", node["match"])]:
        if not isinstance(value, str) or not value.strip():
            raise UsageError(f"{path}:{line_of(node, key)}: join {key!r} must be a non-empty string")
    for kind in kinds:
        if kind not in known_kinds:
            raise UsageError(f"{path}:{line_of(node, 'fact')}: unknown fact kind {kind!r} in `join`")
        if kind == item["fact"]:
            raise UsageError(f"{path}:{line_of(node, 'fact')}: a rule cannot join its own fact kind")
    return Join(
        kinds=tuple(dict.fromkeys(kinds)),
        key=expression("key", node, "join.key"),
        match=expression("match", node, "join.match"),
    )
