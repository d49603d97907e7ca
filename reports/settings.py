"""The settings a run's reports are judged with, read from the run itself.

A run stores the configuration it was collected with (its `config` object) and its mappings
(`kinds`: each fact kind's evidence class, collector and freshness default). The SoA, drift,
the audit pack and the OSCAL export of a run use these, never the annexa.yaml of the folder
they are run from: the same run gives the same verdicts from any folder on any day, and a
change of scope, reasons or attesters takes effect from the next run.

Runs stored before this existed: a run without a stored configuration is judged with the
defaults (every control applicable, `max_age` 7 days); a run whose mappings hold no `kinds`
uses the freshness defaults of the collectors installed now (`fallback_max_age_by_kind`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from annexa.errors import StoreError
from annexa.evidence_store.store import RunInfo, Store
from annexa.mappings.policy import parse_policy, policy_record
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
    parse_risk,
    parse_soa_approval,
)
from annexa.model import parse_duration

__all__ = ["RunSettings", "run_settings", "settings_from"]


@dataclass(frozen=True)
class RunSettings:
    decisions: Mapping[str, ScopeDecision] = field(default_factory=dict)
    default_max_age: timedelta = DEFAULT_MAX_AGE
    max_age_by_kind: Mapping[str, timedelta] = field(default_factory=dict)
    attesters: Mapping[str, Attester] = field(default_factory=dict)
    attestation_policy: AttestationPolicy = field(default_factory=AttestationPolicy)
    soa: SoaApproval | None = None
    risks: Mapping[str, Risk] = field(default_factory=dict)
    targets: tuple[Mapping[str, Any], ...] = ()  # the run's `targets:` as stored ({provider: options})
    collectors_by_kind: Mapping[str, str] = field(default_factory=dict)
    verify_after: int = DEFAULT_VERIFY_AFTER  # collection runs a passing result holds before a fix is verified
    # The organisation policy the run's rules judged against (`policy:`, as recorded: `none` spelled
    # out); None for a run that recorded none (stored before policy settings existed).
    policy: Mapping[str, Any] | None = None
    stored: bool = False  # False: the run stored no configuration; defaults apply


def settings_from(
    config: Mapping[str, Any] | None,
    mappings: Mapping[str, Any],
    fallback_max_age_by_kind: Mapping[str, timedelta] | None = None,
) -> RunSettings:
    """Settings from a stored configuration object and mappings object (pure); ScopeError when invalid."""
    kinds = mappings.get("kinds")
    if kinds:
        by_kind = {k: timedelta(seconds=v["max_age_seconds"]) for k, v in kinds.items() if v.get("max_age_seconds")}
        producers = {k: v["collector"] for k, v in kinds.items() if v.get("collector")}
    else:
        by_kind, producers = dict(fallback_max_age_by_kind or {}), {}
    if config is None:
        return RunSettings(max_age_by_kind=by_kind, collectors_by_kind=producers)
    risks: dict[str, Risk] | None = None
    if isinstance(config.get("risks"), Mapping):
        risks = {}
        for entry in config["risks"].get("entries", []):
            risk = parse_risk(entry)
            risks[risk.id] = risk
    scope = config.get("scope") or {}
    if not isinstance(scope, Mapping):
        raise ScopeError("`scope` is not a mapping")
    try:
        default_max_age = parse_duration(config["max_age"]) if "max_age" in config else DEFAULT_MAX_AGE
    except ValueError as err:
        raise ScopeError(f"max_age: {err}") from None
    return RunSettings(
        decisions={control: parse_decision(control, node, risks) for control, node in scope.items()},
        default_max_age=default_max_age,
        # An explicit top-level max_age beats the collectors' defaults (a control's own beats both).
        max_age_by_kind={} if "max_age" in config else by_kind,
        attesters=parse_attesters(config["attesters"]) if "attesters" in config else {},
        attestation_policy=(
            parse_attestation_policy(config["attestations"]) if "attestations" in config else AttestationPolicy()
        ),
        soa=parse_soa_approval(config["soa"]) if "soa" in config else None,
        risks=risks or {},
        targets=tuple(t for t in config.get("targets") or () if isinstance(t, Mapping)),
        collectors_by_kind=producers,
        verify_after=parse_nc_policy(config["nonconformities"])
        if "nonconformities" in config
        else DEFAULT_VERIFY_AFTER,
        policy=_stored_policy(config["policy"]) if "policy" in config else None,
        stored=True,
    )


def run_settings(
    store: Store, run: RunInfo, fallback_max_age_by_kind: Mapping[str, timedelta] | None = None
) -> RunSettings:
    """The settings `run` was collected with (see the module docstring for older runs)."""
    manifest = store.manifest(run.seq)
    config = store.get_json(manifest["config"]["object"]) if "config" in manifest else None
    try:
        return settings_from(config, store.mappings(run), fallback_max_age_by_kind)
    except (ScopeError, KeyError, TypeError, ValueError) as err:
        raise StoreError(f"{store.url}: run #{run.seq}: its stored configuration cannot be read: {err}") from None


def _stored_policy(stored: Any) -> dict[str, Any]:
    """The policy a run recorded, checked, and only the keys it recorded: a run stored before a setting
    existed (the tag keys) was not judged with that setting's default."""
    parsed = parse_policy(stored)
    return policy_record({key: value for key, value in parsed.items() if key in stored})
