"""The core types every layer may import: what was collected, what was judged, and time.

Collectors yield `Fact`s and `CollectionError`s; the evaluator turns them into
`Result`s; the evidence store persists all three; reports read them back. Keeping
them here (not in `collectors/` or `mappings/`) lets the store and the mappings
stay free of any collector code, so the flow runs one way:
collectors -> evidence_store -> reports.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import InitVar, dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

__all__ = [
    "ANNEX_A_2022_IDS",
    "MAX_DURATION",
    "EVIDENCE_CLASSES",
    "RESULT_STATUSES",
    "CollectionError",
    "Fact",
    "Result",
    "Source",
    "evidence_class_for_kind",
    "parse_duration",
    "parse_timestamp",
    "scope_key",
    "utc_now",
]

# ISO/IEC 27001:2022 Annex A numbers its 93 controls A.5.1-A.5.37, A.6.1-A.6.8, A.7.1-A.7.14 and
# A.8.1-A.8.34. Any layer may check an id against them; the catalog (mappings/annex_a_2022.yaml)
# adds each control's title and attributes, and a test holds the two equal.
ANNEX_A_2022_IDS = tuple(
    f"A.{clause}.{number}" for clause, count in ((5, 37), (6, 8), (7, 14), (8, 34)) for number in range(1, count + 1)
)

# A rule's verdict on one resource: pass, fail, error (could not be read or judged),
# not_applicable (the kind was collected but nothing of it matched the rule).
RESULT_STATUSES = ("pass", "fail", "error", "not_applicable")

# What kind of evidence a result is, strongest first (the order the SoA names a control's basis in):
# `automated`: a collector read a system's configuration or state;
# `record`: operational records exported from a system of record (HR and training exports,
#   tickets, access reviews, registers, other scanners' findings);
# `document`: a policy, procedure or plan (design, not operation);
# `attestation`: a named, allowed person's statement with an outcome and a bounded validity.
EVIDENCE_CLASSES = ("automated", "record", "document", "attestation")

# Runs stored before evidence classes existed recorded no class: it is derived from the fact
# kind's provider, as annexa's own collectors declare it (plugins were all `automated` then).
_CLASS_BY_PROVIDER = {"documents": "document", "people": "record", "import": "record", "attestation": "attestation"}

_DURATION = re.compile(r"^\s*(\d+)\s*([smhdw])\s*$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
MAX_DURATION = timedelta(days=36500)  # a century: longer is a typo, and would overflow date arithmetic
_MAX_AMOUNT = {unit: int(MAX_DURATION / timedelta(**{name: 1})) for unit, name in _UNITS.items()}


def parse_timestamp(value: str) -> datetime:
    """Parse RFC 3339 / ISO 8601 (with `Z` or offset, or naive meaning UTC)."""
    parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def parse_duration(text: Any) -> timedelta:
    """`90m`, `36h`, `7d`, `2w` -> timedelta, from one second to `MAX_DURATION`; ValueError otherwise."""
    match = _DURATION.match(str(text)[:64])
    if not match or int(match.group(1)) == 0:
        raise ValueError(f"{str(text)[:64]!r} is not a duration like 36h, 7d or 2w")
    amount = int(match.group(1))
    if amount > _MAX_AMOUNT[match.group(2)]:
        raise ValueError(f"{text!r} is longer than {MAX_DURATION.days} days")
    return timedelta(**{_UNITS[match.group(2)]: amount})


def evidence_class_for_kind(kind: str) -> str:
    """The evidence class of a fact kind when nothing recorded it (runs stored before classes
    existed): `documents.*` -> document, `people.*` and `import.*` -> record, `attestation.*` ->
    attestation, anything else automated."""
    return _CLASS_BY_PROVIDER.get(kind.split(".", 1)[0], "automated")


def utc_now() -> str:
    """The current time as RFC 3339 UTC with second precision (`2026-11-22T19:40:58Z`)."""
    return datetime.now(timezone.utc).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def scope_key(scope: Mapping[str, Any]) -> str:
    """A stable, readable label for a scope, e.g. `aws/123456789012/eu-west-1`."""
    parts = [
        str(scope[k])
        for k in ("provider", "account", "subscription", "project", "org", "tenant", "host", "region")
        if scope.get(k)
    ]
    return "/".join(parts) or "-"


@dataclass(frozen=True)
class Source:
    """How a fact was obtained, so an auditor can judge completeness and accuracy.

    `operations` are the API calls made (`s3:GetBucketEncryption`, `GET /orgs/{org}`,
    `read /etc/ssh/sshd_config`); `principal` is who made them (an ARN, an object id,
    a user on a host); `pages` counts list pages read where paging applies.
    `imported` is set only for evidence read from another tool's output file
    (`tool`, `version`, `file`, `sha256`), so it is never mistaken for collected evidence.
    """

    operations: tuple[str, ...]
    principal: str
    pages: int | None = None
    endpoint: str | None = None
    imported: Mapping[str, str] | None = None
    # (requested URL, URL that answered) of each read the source redirected, e.g. a renamed repository:
    # the evidence names where it really came from.
    redirects: tuple[tuple[str, str], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"operations": list(self.operations), "principal": self.principal}
        if self.pages is not None:
            out["pages"] = self.pages
        if self.endpoint is not None:
            out["endpoint"] = self.endpoint
        if self.imported is not None:
            out["imported"] = dict(self.imported)
        if self.redirects:
            out["redirects"] = [list(pair) for pair in self.redirects]
        return out

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> Source:
        return cls(
            operations=tuple(raw.get("operations", ())),
            principal=str(raw.get("principal", "")),
            pages=raw.get("pages"),
            endpoint=raw.get("endpoint"),
            imported=raw.get("imported"),
            redirects=tuple((str(a), str(b)) for a, b in raw.get("redirects", ())),
        )


@dataclass(frozen=True)
class Fact:
    """One configuration fact about one resource, as the system reported it.

    `kind` names the shape of `data` (`aws.s3.bucket`); `resource` is a stable id
    (an ARN, a resource id, or `account:region` for account-level settings);
    `scope` says where it lives (provider, account/subscription/org/host, region).
    """

    kind: str
    resource: str
    scope: Mapping[str, str]
    data: Any
    source: Source
    collected_at: str = field(default_factory=utc_now)


@dataclass(frozen=True)
class CollectionError:
    """Evidence that something could not be read.

    Every rule over one of `kinds` evaluates to `error` for `resource` (or, when
    `resource` is None, for the whole `scope`), never to `pass`.
    """

    kinds: tuple[str, ...]
    scope: Mapping[str, str]
    message: str
    operation: str | None = None
    code: str | None = None
    resource: str | None = None
    collected_at: str = field(default_factory=utc_now)
    stored: InitVar[bool] = False  # read back from a bundle: redacted when it was written

    def __post_init__(self, stored: bool) -> None:
        # Messages are built from API answers (a malformed body, an echoed request): redacted here,
        # once, so the manifest, the index, the results, the logs and the pack all hold the same text.
        if not stored:
            from annexa.evidence_store.redact import redact_text  # the store's rules; late, model stays a leaf

            object.__setattr__(self, "message", redact_text(self.message))

    def to_dict(self) -> dict[str, Any]:
        return {
            "kinds": list(self.kinds),
            "scope": dict(self.scope),
            "message": self.message,
            "operation": self.operation,
            "code": self.code,
            "resource": self.resource,
            "collected_at": self.collected_at,
        }

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> CollectionError:
        return cls(
            kinds=tuple(raw["kinds"]),
            scope=dict(raw.get("scope") or {}),
            message=str(raw.get("message", "")),
            operation=raw.get("operation"),
            code=raw.get("code"),
            resource=raw.get("resource"),
            collected_at=str(raw.get("collected_at", "")),
            stored=True,
        )


@dataclass(frozen=True, slots=True)  # slots: a run holds every result until it is committed
class Result:
    """A rule's verdict on one resource. `evidence_class` is the class of the collector that
    produced the fact kind (one of EVIDENCE_CLASSES); the evaluator stamps it."""

    rule: str
    controls: tuple[str, ...]
    kind: str
    resource: str
    scope: Mapping[str, str]
    status: str
    severity: str
    message: str
    collected_at: str
    evidence_class: str = "automated"

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "controls": list(self.controls),
            "kind": self.kind,
            "resource": self.resource,
            "scope": dict(self.scope),
            "status": self.status,
            "severity": self.severity,
            "message": self.message,
            "collected_at": self.collected_at,
            "evidence_class": self.evidence_class,
        }

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> Result:
        return cls(
            rule=raw["rule"],
            controls=tuple(raw["controls"]),
            kind=raw["kind"],
            resource=raw["resource"],
            scope=dict(raw.get("scope") or {}),
            status=raw["status"],
            severity=raw["severity"],
            message=raw.get("message", ""),
            collected_at=raw.get("collected_at", ""),
            evidence_class=raw.get("evidence_class") or evidence_class_for_kind(raw["kind"]),
        )
