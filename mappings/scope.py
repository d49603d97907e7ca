"""The user's SoA decisions and who may attest: parsed once, the same way from annexa.yaml and
from the configuration a run stored (so an SoA is judged with the settings of its own run).

`config.py` validates the YAML and turns a `ScopeError` into `file:line: message`; reports
call the same parsers on the plain configuration object stored in the run.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from annexa.evidence_store.canonical import canonical_bytes
from annexa.model import parse_duration

__all__ = [
    "ATTESTATION_RESULTS",
    "DEFAULT_MAX_AGE",
    "DEFAULT_MAX_VALIDITY",
    "DEFAULT_REQUIRE_FILE",
    "DEFAULT_VERIFY_AFTER",
    "MAX_VALIDITY_LIMIT",
    "REASON_KINDS",
    "RISK_TREATMENTS",
    "AttestationPolicy",
    "Attester",
    "Reasons",
    "Risk",
    "ScopeDecision",
    "ScopeError",
    "SoaApproval",
    "parse_attestation_policy",
    "parse_attesters",
    "parse_decision",
    "parse_nc_policy",
    "parse_reasons",
    "parse_risk",
    "parse_soa_approval",
    "requires_file",
    "statement_bytes",
]

# The outcome an attester states: it works; it does not; it is a documented exception until expiry.
ATTESTATION_RESULTS = ("effective", "not-effective", "exception")
# ISO/IEC 27001:2022 clause 6.1.3 d: why a control is included.
REASON_KINDS = ("risk", "legal", "regulatory", "contractual", "business", "best-practice")
# ISO/IEC 27005 treatment options and their common names.
RISK_TREATMENTS = ("modify", "mitigate", "reduce", "retain", "accept", "avoid", "share", "transfer")
DEFAULT_MAX_AGE = timedelta(days=7)  # evidence freshness when neither the control, the config nor the collector says
DEFAULT_MAX_VALIDITY = timedelta(days=365)
# A fix is `verified` once its passing result held for this many collection runs in a row
# (`nonconformities: {verify_after: N}`): three nights by default, long enough to see that a
# fix survived the next deployments, short enough to close items within the week.
DEFAULT_VERIFY_AFTER = 3
MAX_VERIFY_AFTER = 366
# An attestation is a point-in-time statement: never valid beyond one certification cycle.
MAX_VALIDITY_LIMIT = timedelta(days=3 * 365)
DEFAULT_REQUIRE_FILE = ("A.7.*",)  # physical controls: a statement alone is not enough
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class ScopeError(ValueError):
    """A bad setting; `key` names the offending key inside the node given to the parser (None: the node)."""

    def __init__(self, message: str, key: Any = None, node: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.key = key
        self.node = node


@dataclass(frozen=True)
class Reasons:
    """Why a control is in the SoA: risk ids and/or legal, regulatory, contractual, business,
    best-practice (each `true` or a short text naming the requirement), and a note."""

    risks: tuple[str, ...] = ()
    grounds: Mapping[str, str] = field(default_factory=dict)  # kind -> "" (just true) or its text
    note: str = ""

    def __bool__(self) -> bool:
        return bool(self.risks or self.grounds)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.risks:
            out["risk"] = list(self.risks)
        for kind in REASON_KINDS[1:]:
            if kind in self.grounds:
                out[kind] = self.grounds[kind] or True
        if self.note:
            out["note"] = self.note
        return out

    def text(self, risks: Mapping[str, Risk] | None = None) -> str:
        """One line for tables: `risk R-1 (Ransomware), contractual: DPA clause 7; note`."""
        parts = []
        if self.risks:
            named = [f"{r} ({risks[r].title})" if risks and r in risks else r for r in self.risks]
            parts.append("risk " + ", ".join(named))
        parts += [f"{k}: {v}" if v else k for k, v in ((k, self.grounds[k]) for k in REASON_KINDS if k in self.grounds)]
        text = ", ".join(parts)
        return f"{text}; {self.note}" if self.note else text


@dataclass(frozen=True)
class ScopeDecision:
    """The user's SoA decision for one control (from `scope:` in annexa.yaml)."""

    applicable: bool = True
    justification: str = ""
    owner: str = ""
    max_age: timedelta | None = None
    reviewed: str | None = None  # when the owner last reviewed this SoA entry (YYYY-MM-DD)
    reasons: Reasons = field(default_factory=Reasons)


@dataclass(frozen=True)
class Risk:
    id: str
    title: str
    owner: str
    treatment: str

    def to_dict(self) -> dict[str, str]:
        return {"id": self.id, "title": self.title, "owner": self.owner, "treatment": self.treatment}


@dataclass(frozen=True)
class Attester:
    """Someone allowed to attest; with `public_key` (an Ed25519 PEM) their statements must be signed."""

    name: str
    role: str
    public_key: str | None = None


@dataclass(frozen=True)
class AttestationPolicy:
    max_validity: timedelta = DEFAULT_MAX_VALIDITY
    require_file: tuple[str, ...] = DEFAULT_REQUIRE_FILE  # control patterns whose attestations need a file


@dataclass(frozen=True)
class SoaApproval:
    """Clause 6.1.3 f: which SoA this is and who approved it when."""

    version: str
    approved_by: str
    approved_at: str

    def to_dict(self) -> dict[str, str]:
        return {"version": self.version, "approved_by": self.approved_by, "approved_at": self.approved_at}


def _text(node: Mapping[str, Any], key: str, required: bool = False) -> str:
    value = node.get(key, "")
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise ScopeError(f"`{key}` must be text", key, node)
    if required and not value.strip():
        raise ScopeError(f"`{key}` is required", key if key in node else None, node)
    return value.strip()


def _date(node: Mapping[str, Any], key: str) -> str | None:
    value = node.get(key)
    if value is None:
        return None
    text = str(value)  # YAML reads 2026-09-01 as a date
    try:
        if _DATE.match(text) and date.fromisoformat(text):  # a day that exists: not 2026-13-45
            return text
    except ValueError:
        pass
    raise ScopeError(f"`{key}` must be a date like 2026-09-01", key, node)


def parse_reasons(node: Any, known_risks: Mapping[str, Risk] | None) -> Reasons:
    """`reasons: {risk: [R-1], contractual: "DPA clause 7", legal: true, note: "..."}`.
    `known_risks` None: risk ids are not checked (no `risks:` file configured)."""
    if not isinstance(node, dict):
        raise ScopeError(
            "`reasons` must be a mapping such as {risk: [R-001], contractual: true, note: ...}", None, node
        )
    risks: tuple[str, ...] = ()
    grounds: dict[str, str] = {}
    for key, value in node.items():
        if key == "note":
            continue
        if key not in REASON_KINDS:
            raise ScopeError(
                f"unknown reason {key!r} (allowed: {', '.join(REASON_KINDS)}, note)",
                key,
                node,
            )
        if key == "risk":
            items = [value] if isinstance(value, str) else value
            if not isinstance(items, list) or not items or not all(isinstance(r, str) and r.strip() for r in items):
                raise ScopeError("`risk` must be a list of risk ids such as [R-001]", key, node)
            risks = tuple(dict.fromkeys(r.strip() for r in items))
            if known_risks is not None:
                unknown = [r for r in risks if r not in known_risks]
                if unknown:
                    raise ScopeError(f"unknown risk id {unknown[0]!r} (not in the `risks:` file)", key, node)
        elif value is True:
            grounds[key] = ""
        elif isinstance(value, str) and value.strip():
            grounds[key] = " ".join(value.split())
        else:
            raise ScopeError(f"`{key}` must be true or a short text naming the requirement", key, node)
    note = _text(node, "note")
    if not risks and not grounds:
        raise ScopeError(f"`reasons` needs at least one of {', '.join(REASON_KINDS)} (a note alone is no reason)")
    return Reasons(risks, grounds, note)


_SCOPE_KEYS = ("applicable", "justification", "owner", "max_age", "reviewed", "reasons")


def parse_decision(control: str, node: Any, known_risks: Mapping[str, Risk] | None) -> ScopeDecision:
    if not isinstance(node, dict):
        raise ScopeError(f"the scope of {control} must be a mapping ({', '.join(_SCOPE_KEYS)})", None, node)
    for key in node:
        if key not in _SCOPE_KEYS:
            raise ScopeError(f"unknown scope key {key!r} (allowed: {', '.join(_SCOPE_KEYS)})", key, node)
    applicable = node.get("applicable", True)
    if not isinstance(applicable, bool):
        raise ScopeError("`applicable` must be true or false", "applicable", node)
    justification = _text(node, "justification")
    owner = _text(node, "owner")
    if not applicable and not justification:
        raise ScopeError(f"{control} is excluded but has no `justification` (auditors require one)", None, node)
    max_age = None
    if "max_age" in node:
        try:
            max_age = parse_duration(node["max_age"])
        except ValueError as err:
            raise ScopeError(f"max_age: {err}", "max_age", node) from None
    reasons = Reasons()
    if "reasons" in node:
        if not applicable:
            raise ScopeError(f"{control} is excluded: give a `justification`, not `reasons`", "reasons", node)
        try:
            reasons = parse_reasons(node["reasons"], known_risks)
        except ScopeError as err:
            if err.node is None or err.key is None:
                err.node, err.key = node, "reasons"
            raise
    return ScopeDecision(applicable, justification, owner, max_age, _date(node, "reviewed"), reasons)


_RISK_KEYS = ("id", "title", "owner", "treatment")


def parse_risk(node: Any) -> Risk:
    if not isinstance(node, dict):
        raise ScopeError(f"each risk must be a mapping with {', '.join(_RISK_KEYS)}", None, node)
    for key in node:
        if key not in _RISK_KEYS:
            raise ScopeError(f"unknown risk field {key!r} (allowed: {', '.join(_RISK_KEYS)})", key, node)
    values = {}
    for key in _RISK_KEYS:
        value = node.get(key)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str) or not value.strip():
            raise ScopeError(f"risk `{key}` is required", key if key in node else None, node)
        values[key] = " ".join(value.split())
    treatment = values["treatment"].lower()
    if treatment not in RISK_TREATMENTS:
        raise ScopeError(
            f"risk treatment {values['treatment']!r} is not one of {', '.join(RISK_TREATMENTS)}", "treatment", node
        )
    return Risk(values["id"], values["title"], values["owner"], treatment)


_ATTESTER_KEYS = ("name", "role", "public_key")


def parse_attesters(items: Any, read_key: Callable[[str], str] | None = None) -> dict[str, Attester]:
    """`attesters: [{name, role, public_key?}]`, by name. `read_key` turns a `public_key` path into
    PEM text (at config load); the stored configuration already holds the PEM."""
    if not isinstance(items, list):
        raise ScopeError("`attesters` must be a list such as [{name: Jo Park, role: Office Manager}]", None, items)
    out: dict[str, Attester] = {}
    for index, node in enumerate(items):
        if not isinstance(node, dict):
            raise ScopeError("each attester must be a mapping with name, role and optionally public_key", index, items)
        for key in node:
            if key not in _ATTESTER_KEYS:
                raise ScopeError(f"unknown attester key {key!r} (allowed: {', '.join(_ATTESTER_KEYS)})", key, node)
        name, role = _text(node, "name", required=True), _text(node, "role", required=True)
        if name.casefold() in {n.casefold() for n in out}:
            raise ScopeError(f"attester {name!r} is listed twice", "name", node)
        key = node.get("public_key")
        if key is not None:
            if not isinstance(key, str) or not key.strip():
                raise ScopeError("`public_key` must be the path of an Ed25519 public key (PEM)", "public_key", node)
            if "-----BEGIN PUBLIC KEY-----" not in key:
                if read_key is None:
                    raise ScopeError("`public_key` must be an Ed25519 public key (PEM)", "public_key", node)
                try:
                    key = read_key(key)
                except ValueError as err:
                    raise ScopeError(f"public_key: {err}", "public_key", node) from None
        out[name] = Attester(name, role, key)
    return out


def parse_attestation_policy(node: Any, control_ids: Sequence[str] | None = None) -> AttestationPolicy:
    """`attestations: {max_validity: 365d, require_file: [A.7.*]}`."""
    if not isinstance(node, dict):
        raise ScopeError("`attestations` must be a mapping with max_validity and/or require_file", None, node)
    for key in node:
        if key not in ("max_validity", "require_file"):
            raise ScopeError(f"unknown attestations key {key!r} (allowed: max_validity, require_file)", key, node)
    max_validity = DEFAULT_MAX_VALIDITY
    if "max_validity" in node:
        try:
            max_validity = parse_duration(node["max_validity"])
        except ValueError as err:
            raise ScopeError(f"max_validity: {err}", "max_validity", node) from None
        if max_validity > MAX_VALIDITY_LIMIT:
            raise ScopeError(
                f"max_validity may be at most {MAX_VALIDITY_LIMIT.days}d (one certification cycle); "
                "an attestation must be renewed",
                "max_validity",
                node,
            )
    patterns = node.get("require_file", list(DEFAULT_REQUIRE_FILE))
    if not isinstance(patterns, list) or not all(isinstance(p, str) and p.strip() for p in patterns):
        raise ScopeError("`require_file` must be a list of control ids or patterns such as A.7.*", "require_file", node)
    if control_ids is not None:
        for pattern in patterns:
            if not any(_matches(pattern, c) for c in control_ids):
                raise ScopeError(f"require_file: no Annex A 2022 control matches {pattern!r}", "require_file", node)
    return AttestationPolicy(max_validity, tuple(p.strip() for p in patterns))


def parse_nc_policy(node: Any) -> int:
    """`nonconformities: {verify_after: 3}`: collection runs a passing result must hold before a fix is verified."""
    if not isinstance(node, dict):
        raise ScopeError("`nonconformities` must be a mapping with verify_after", None, node)
    for key in node:
        if key != "verify_after":
            raise ScopeError(f"unknown nonconformities key {key!r} (allowed: verify_after)", key, node)
    value = node.get("verify_after", DEFAULT_VERIFY_AFTER)
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_VERIFY_AFTER:
        raise ScopeError(
            f"verify_after must be a whole number of collection runs from 1 to {MAX_VERIFY_AFTER}, not {value!r}",
            "verify_after",
            node,
        )
    return value


def _matches(pattern: str, control: str) -> bool:
    return fnmatch.fnmatchcase(control, pattern.strip())


def requires_file(policy: AttestationPolicy, control: str) -> bool:
    return any(_matches(p, control) for p in policy.require_file)


_STATEMENT_KEYS = ("control", "result", "note", "attested_by", "attested_at", "expires_at", "file_sha256")


def statement_bytes(record: Mapping[str, Any]) -> bytes:
    """The exact bytes an attester signs (`--sign-key`) and the SoA checks: the statement's
    canonical JSON, with the file by its sha256."""
    file = record.get("file") or {}
    fields = {**record, "file_sha256": file.get("sha256")}
    return canonical_bytes({key: fields.get(key) for key in _STATEMENT_KEYS})


def parse_soa_approval(node: Any) -> SoaApproval:
    """`soa: {version, approved_by, approved_at}` (clause 6.1.3 f)."""
    if not isinstance(node, dict):
        raise ScopeError("`soa` must be a mapping with version, approved_by and approved_at", None, node)
    for key in node:
        if key not in ("version", "approved_by", "approved_at"):
            raise ScopeError(f"unknown soa key {key!r} (allowed: version, approved_by, approved_at)", key, node)
    version = node.get("version")
    if isinstance(version, (int, float)) and not isinstance(version, bool):
        version = str(version)
    if not isinstance(version, str) or not version.strip():
        raise ScopeError(
            'soa `version` is required (text such as "1.3")', "version" if "version" in node else None, node
        )
    approved_at = _date(node, "approved_at")
    if approved_at is None:
        raise ScopeError("soa `approved_at` is required (a date like 2026-09-01)", None, node)
    return SoaApproval(version.strip(), _text(node, "approved_by", required=True), approved_at)
