"""annexa.yaml: loading and validation.

Every key is optional except `targets`; unknown keys are errors, so a misspelt
setting fails loudly (`annexa.yaml:7: unknown key 'stor'`) instead of being ignored.
Relative paths are resolved against the config file's folder.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from annexa.collectors.base import Target
from annexa.collectors.registry import Registry
from annexa.errors import UsageError, UsageErrors
from annexa.evidence_store.backend import Retention
from annexa.inputfiles import KEY_LIMIT, InputFileError, read_input
from annexa.mappings.catalog import Catalog
from annexa.mappings.legacy_ids import unknown_control
from annexa.mappings.policy import POLICY_DEFAULTS, parse_policy, policy_record
from annexa.mappings.risks import load_risks
from annexa.mappings.scope import (
    DEFAULT_MAX_AGE,
    DEFAULT_VERIFY_AFTER,
    AttestationPolicy,
    Attester,
    Risk,
    ScopeDecision,
    ScopeError,
    SoaApproval,
    parse_attestation_policy,
    parse_attesters,
    parse_decision,
    parse_nc_policy,
    parse_soa_approval,
)
from annexa.model import parse_duration
from annexa.notify.settings import NotifySettings, parse_notify, redact_notify
from annexa.reports.sampling import FREQUENCIES
from annexa.store_settings import DEFAULT_STORE, ConfigFile, parse_signing, parse_store, parse_trust
from annexa.words import did_you_mean
from annexa.yamlio import line_of

__all__ = ["Config", "DEFAULT_STORE", "load_config", "parse_duration"]


@dataclass(frozen=True)
class Config:
    path: Path | None
    store: str
    targets: tuple[Target, ...]
    mappings: tuple[Path, ...] = ()
    scope: Mapping[str, ScopeDecision] = field(default_factory=dict)
    max_age: timedelta = DEFAULT_MAX_AGE
    raw: Mapping[str, Any] = field(default_factory=dict)
    notify: NotifySettings | None = None  # alerts after collect (see notify/settings.py)
    signing_key: Path | None = None  # Ed25519 private key (`signing: {private_key: F}`); manifests are signed
    # `signing: {timestamp_url: URL, tsa_certificate: F}`: an RFC 3161 token for every manifest, from
    # that TSA, whose certificate (DER) is pinned (evidence_store/timestamps.py)
    timestamp_url: str | None = None
    tsa_certificate: bytes | None = None
    retention: Retention | None = None  # `store: {object_lock: ...}`: S3 Object Lock for every object written
    trusted_keys: tuple[str, ...] = ()  # `trusted_keys:` fingerprints whose signatures are trusted
    require_signatures: bool | None = None  # None: on when a key is pinned or `signing:` is set
    risks: Mapping[str, Risk] = field(default_factory=dict)  # `risks:` file, by id
    attesters: Mapping[str, Attester] = field(default_factory=dict)  # who may attest, by name
    attestation_policy: AttestationPolicy = field(default_factory=AttestationPolicy)
    soa: SoaApproval | None = None  # `soa: {version, approved_by, approved_at}` (clause 6.1.3 f)
    verify_after: int = DEFAULT_VERIFY_AFTER  # `nonconformities: {verify_after: N}`: runs a fix must hold
    # `pack: {sample_sizes: {daily: 40}}`: audit-pack sample sizes by frequency (reports/sampling.py)
    sample_sizes: Mapping[str, int] = field(default_factory=dict)
    # `policy: {password_max_age_days: none | N}`: the organisation's decisions rules judge against
    # (mappings/policy.py); defaults filled in, `none` as None.
    policy: Mapping[str, Any] = field(default_factory=lambda: dict(POLICY_DEFAULTS))


def _plain(value: Any) -> Any:
    """Strip the line-tracking containers, for storing the config in a bundle."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, date):  # YAML dates (`reviewed: 2026-09-01`) must stay JSON-serialisable
        return value.isoformat()
    return value


def load_config(path: Path, registry: Registry, catalog: Catalog, required: bool = True) -> Config:
    """Load and validate `path`. A missing file is an error only when `required`."""
    if not path.exists() and not required:
        return Config(path=None, store=DEFAULT_STORE, targets=())
    file = ConfigFile(path)
    doc, at, attempt, problems = file.doc, file.at, file.attempt, file.problems
    base = path.parent

    store, retention = attempt(lambda: parse_store(doc, path, at), (DEFAULT_STORE, None))

    targets: tuple[Target, ...] = ()
    if "targets" not in doc:
        problems.append(f"{path}:{line_of(doc)}: `targets` is required (e.g. `targets: [{{host: {{}}}}]`)")
    else:
        targets = attempt(lambda: _targets(doc["targets"], registry, lambda k=None, n=doc: at(n, k), path, base), ())

    mapping_paths = attempt(lambda: _mapping_paths(doc, base, at), [])
    max_age = attempt(lambda: _max_age(doc, at), DEFAULT_MAX_AGE)
    notify = attempt(lambda: parse_notify(doc["notify"], path, parse_duration) if "notify" in doc else None)
    raw = _plain(doc)
    if notify is not None:
        raw["notify"] = redact_notify(raw["notify"])  # webhook URLs embed credentials

    trusted_keys, require_signatures = attempt(lambda: parse_trust(doc, at), ((), None))

    def parsed(key: str, parse: Any) -> Any:
        try:
            return parse(doc[key])
        except ScopeError as err:
            node = err.node if err.node is not None else doc[key]
            raise UsageError(f"{path}:{line_of(node, err.key, line_of(doc, key))}: {key}: {err.message}") from None

    risks: dict[str, Risk] | None = None
    if "risks" in doc:
        risks = attempt(lambda: load_risks(_input_file(doc, "risks", base, at)))
        if risks is not None:
            # The run keeps the register itself: its SoA must not change when the file does.
            raw["risks"] = {"file": doc["risks"], "entries": [r.to_dict() for r in risks.values()]}
    attesters = (
        attempt(lambda: parsed("attesters", lambda n: parse_attesters(n, lambda k: _public_key(base, k))), {})
        if "attesters" in doc
        else {}
    )
    if attesters:
        # The run keeps each attester's key itself (not its path), so its SoA can check signatures.
        raw["attesters"] = [
            {"name": a.name, "role": a.role, **({"public_key": a.public_key} if a.public_key else {})}
            for a in attesters.values()
        ]
    policy = (
        attempt(lambda: parsed("attestations", lambda n: parse_attestation_policy(n, catalog.ids())), None)
        if "attestations" in doc
        else None
    ) or AttestationPolicy()
    signing_key, timestamp_url, tsa_certificate = attempt(
        lambda: parse_signing(doc.get("signing"), base, at), (None, None, None)
    )
    scope = attempt(lambda: _scope(doc.get("scope", {}), catalog, path, risks), {})
    soa = attempt(lambda: parsed("soa", parse_soa_approval)) if "soa" in doc else None
    verify_after = (
        attempt(lambda: parsed("nonconformities", parse_nc_policy), DEFAULT_VERIFY_AFTER)
        if "nonconformities" in doc
        else DEFAULT_VERIFY_AFTER
    )
    sample_sizes = attempt(lambda: _pack(doc.get("pack"), at), {}) if "pack" in doc else {}
    organisation_policy = dict(POLICY_DEFAULTS)
    if "policy" in doc:
        organisation_policy = attempt(lambda: parsed("policy", parse_policy), organisation_policy)
    # The run records the policy its rules judged against, defaults included (`none` spelled out).
    raw["policy"] = policy_record(organisation_policy)
    file.raise_problems()

    return Config(
        trusted_keys=trusted_keys,
        require_signatures=require_signatures,
        signing_key=signing_key,
        timestamp_url=timestamp_url,
        tsa_certificate=tsa_certificate,
        path=path,
        store=store,
        targets=targets,
        mappings=tuple(mapping_paths),
        scope=scope,
        max_age=max_age,
        raw=raw,
        notify=notify,
        retention=retention,
        risks=risks or {},
        attesters=attesters,
        attestation_policy=policy,
        soa=soa,
        verify_after=verify_after,
        sample_sizes=sample_sizes,
        policy=organisation_policy,
    )


def _mapping_paths(doc: Any, base: Path, at: Any) -> list[Path]:
    mappings = doc.get("mappings", [])
    if isinstance(mappings, str):
        mappings = [mappings]
    if not isinstance(mappings, list) or not all(isinstance(m, str) for m in mappings):
        raise UsageError(f"{at(doc, 'mappings')}: `mappings` must be a list of rule files or folders")
    mapping_paths = []
    for index, item in enumerate(mappings):
        mapping_path = (base / item) if not Path(item).is_absolute() else Path(item)
        if not mapping_path.exists():
            raise UsageError(f"{at(mappings, index)}: mapping path {item!r} does not exist")
        mapping_paths.append(mapping_path)
    return mapping_paths


def _max_age(doc: Any, at: Any) -> timedelta:
    try:
        return parse_duration(doc["max_age"]) if "max_age" in doc else DEFAULT_MAX_AGE
    except ValueError as err:
        raise UsageError(f"{at(doc, 'max_age')}: max_age: {err}") from None


def _pack(node: Any, at: Any) -> dict[str, int]:
    """`pack: {sample_sizes: {daily: 25, weekly: 5, monthly: 2, quarterly: 2, annual: 1}}`."""
    if not isinstance(node, dict):
        raise UsageError(f"{at(node)}: `pack` must be a mapping such as {{sample_sizes: {{daily: 40}}}}")
    for key in node:
        if key != "sample_sizes":
            raise UsageError(f"{at(node, key)}: unknown pack key {key!r} (allowed: sample_sizes)")
    sizes = node.get("sample_sizes") or {}
    if not isinstance(sizes, dict):
        raise UsageError(f"{at(node, 'sample_sizes')}: `sample_sizes` must map a frequency to a number")
    out = {}
    for key, value in sizes.items():
        if key not in FREQUENCIES:
            raise UsageError(f"{at(sizes, key)}: unknown frequency {key!r} (allowed: {', '.join(FREQUENCIES)})")
        if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 10000:
            raise UsageError(f"{at(sizes, key)}: {key}: {value!r} is not a sample size from 1 to 10000")
        out[str(key)] = value
    return out


def _input_file(doc: Any, key: str, base: Path, at: Any) -> Path:
    value = doc[key]
    if not isinstance(value, str) or not value.strip():
        raise UsageError(f"{at(doc, key)}: `{key}` must be the path of a file")
    file = Path(value) if Path(value).is_absolute() else base / value
    if not file.is_file():
        raise UsageError(f"{at(doc, key)}: {key} file {value!r} does not exist")
    return file


def _public_key(base: Path, value: str) -> str:
    """An attester's Ed25519 public key file (PEM) as text; ValueError naming what is wrong."""
    from annexa.evidence_store.signing import load_public_key, public_pem

    file = Path(value) if Path(value).is_absolute() else base / value
    try:
        pem = read_input(file, KEY_LIMIT, None, "a PEM key")
    except InputFileError as err:
        raise ValueError(f"cannot read {value!r} ({err})") from None
    return public_pem(load_public_key(pem)).decode("ascii")


def _targets(items: Any, registry: Registry, at: Any, path: Path, base: Path) -> tuple[Target, ...]:
    if not isinstance(items, list) or not items:
        raise UsageError(
            f"{at('targets')}: `targets` must be a non-empty list such as `- aws: {{regions: [us-east-1]}}`"
        )
    targets = []
    problems: list[str] = []
    for index, item in enumerate(items):
        try:
            targets.append(_target(item, index, items, registry, path, base))
        except UsageErrors as err:
            problems.extend(err.lines)
        except UsageError as err:
            problems.append(str(err))
    if problems:
        raise UsageErrors(problems)
    return tuple(targets)


def _target(item: Any, index: int, items: Any, registry: Registry, path: Path, base: Path) -> Target:
    providers = sorted(registry.providers())
    where = f"{path}:{line_of(items, index)}"
    if not isinstance(item, dict) or len(item) != 1:
        raise UsageError(f"{where}: each target is one provider with its options, e.g. `- host: {{}}`")
    ((provider, options),) = item.items()
    if provider not in providers:
        raise UsageError(
            f"{where}: unknown target type {provider!r}{did_you_mean(str(provider), providers)} "
            f"(available: {', '.join(providers) or 'none'})"
        )
    if options is None:
        options = {}
    if not isinstance(options, dict):
        raise UsageError(f"{where}: the options of a {provider} target must be a mapping")
    allowed = {"collectors": list, **registry.target_options(provider)}
    problems: list[str] = []  # all of this target's, not just its first
    mistyped = False
    for key, value in options.items():
        line = f"{path}:{line_of(options, key, line_of(items, index))}"
        if key not in allowed:
            problems.append(
                f"{line}: unknown {provider} option {key!r}{did_you_mean(str(key), allowed)} "
                f"(allowed: {', '.join(sorted(allowed))})"
            )
        elif allowed[key] is Path:  # a file or folder, relative to this configuration file
            if not isinstance(value, str) or not value.strip():
                mistyped = True
                problems.append(f"{line}: {provider} option {key!r} must be a path")
            else:
                options[key] = str(base / value) if not Path(value).is_absolute() else value
        elif not isinstance(value, allowed[key]):
            expected = allowed[key] if isinstance(allowed[key], tuple) else (allowed[key],)
            names = " or ".join(t.__name__ for t in expected)
            mistyped = True
            problems.append(f"{line}: {provider} option {key!r} must be a {names}")
    if mistyped:  # the checks below assume options of the right types
        raise UsageErrors(problems)
    for collector in registry.for_provider(provider):
        try:
            collector.check_options(options)
        except ValueError as err:
            if f"{where}: {err}" not in problems:  # collectors of one provider often share a check
                problems.append(f"{where}: {err}")
    known = {c.name for c in registry.for_provider(provider)}
    for name in options.get("collectors", []):
        if name not in known:
            problems.append(
                f"{where}: unknown {provider} collector {name!r}{did_you_mean(str(name), known)} "
                f"(available: {', '.join(sorted(known))})"
            )
    if problems:
        raise UsageErrors(problems)
    return Target(provider=provider, options=_plain(options), index=index)


def _scope(items: Any, catalog: Catalog, path: Path, risks: Mapping[str, Risk] | None) -> dict[str, ScopeDecision]:
    if not isinstance(items, dict):
        raise UsageError(f"{path}:{line_of(items)}: `scope` must map control ids to decisions")
    decisions = {}
    problems = []
    for control, decision in items.items():
        if control not in catalog:
            problems.append(f"{path}:{line_of(items, control)}: {unknown_control(str(control), catalog.ids())}")
            continue
        try:
            decisions[control] = parse_decision(control, decision, risks)
        except ScopeError as err:
            node = err.node if err.node is not None else decision
            problems.append(f"{path}:{line_of(node, err.key, line_of(items, control))}: {err.message}")
    if problems:
        raise UsageErrors(problems)
    return decisions
