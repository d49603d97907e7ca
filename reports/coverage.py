"""The period night by night: every run in it, every night without a complete collection, and
per night the scope the run was configured to cover against the scope that produced evidence.

Expected scope comes from the run's own recorded settings (its `targets:`): each option that
enumerates scope (`regions`, `accounts`, `subscriptions`, `repos`, `hosts`, `org`) names values
that must each have produced evidence. Where a target does not enumerate a dimension (AWS
accounts from the organisation listing, `regions: all`), the values the previous collection run
produced are expected again, so an account or region that silently drops out is listed as
missing rather than shrinking the population unnoticed. A batch with errors or carried forward
from an earlier run did not produce fresh evidence and counts as missing too.

Populations are numbers, not claims: for HR targets the headcount (people active on the collection
date) and the current staff with a managed device, for endpoint targets the devices each source
reported, with one line setting the devices reporting against the headcount. The run recorded them
in its manifest when it was committed (pipeline/population.py), so no night's facts are read.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from annexa.evidence_store.signing import fingerprint, load_public_key
from annexa.evidence_store.store import RunInfo, Store
from annexa.model import parse_timestamp
from annexa.reports.period import Period
from annexa.reports.settings import run_settings

__all__ = ["Night", "RunRow", "SCOPE_OPTIONS", "night_rows", "population", "run_rows", "scope_check"]

# Target option -> the scope dimension its values name (collectors' Fact.scope keys).
SCOPE_OPTIONS = {
    "regions": "region",
    "accounts": "account",
    "subscriptions": "subscription",
    "repos": "repo",
    "repositories": "repo",
    "hosts": "host",
    "org": "org",
    "orgs": "org",
}
_DIMENSIONS = ("account", "subscription", "tenant", "org", "repo", "host", "region")


@dataclass(frozen=True)
class RunRow:
    seq: int
    run_id: str
    type: str
    status: str
    started_at: str
    finished_at: str
    operator: str
    targets: str
    signature: str
    problems: tuple[str, ...]  # collectors that did not finish cleanly, errors
    backwards: bool  # started before the run chained before it (a skewed clock)


@dataclass(frozen=True)
class ScopeCheck:
    expected: tuple[str, ...]  # `fake region r1`, one per expected value
    produced: tuple[str, ...]
    missing: tuple[str, ...]  # each with the reason
    population: tuple[str, ...] = ()  # headcount and device counts (see `population`)


@dataclass(frozen=True)
class Night:
    day: date
    runs: tuple[int, ...]  # every run that started that day (UTC)
    collection: int | None  # the day's last collection run
    state: str  # complete | partial | gap
    note: str
    scope: ScopeCheck | None = None
    carried_from: int | None = None  # a gap: the run whose evidence the day carries


def _targets_text(config: Mapping[str, Any] | None) -> str:
    out = []
    for index, target in enumerate((config or {}).get("targets") or ()):
        if not isinstance(target, Mapping):
            continue
        for provider, options in target.items():
            described = ", ".join(
                f"{key} {','.join(map(str, value)) if isinstance(value, list) else value}"
                for key, value in sorted((options or {}).items())
                if key in SCOPE_OPTIONS
            )
            out.append(f"targets[{index}] {provider}" + (f" ({described})" if described else ""))
    return "; ".join(out)


def _signed_by(signature: Any) -> str:
    """`signed by sha256:...` (the key's fingerprint, computed; `annexa verify` checks the signature)."""
    if not isinstance(signature, Mapping):
        return "not signed"
    try:
        return f"signed by {fingerprint(load_public_key(str(signature['public_key']).encode('ascii')))}"
    except (KeyError, ValueError, UnicodeEncodeError):
        return "signature unreadable (see `annexa verify`)"


def run_rows(store: Store, runs: Sequence[RunInfo]) -> list[RunRow]:
    """One row per run: who ran it, on what, how it ended, whether it is signed."""
    rows = []
    previous: RunInfo | None = None
    for run in runs:
        manifest = store.manifest(run.seq)
        config = store.get_json(manifest["config"]["object"]) if "config" in manifest else None
        signed = _signed_by(manifest.get("signature"))
        problems = [
            f"{c.get('collector')} on {c.get('target')}: {c.get('status')}"
            for c in manifest.get("collectors", [])
            if c.get("status") != "ok"
        ]
        if manifest.get("errors"):
            problems.append(f"{len(manifest['errors'])} collection errors")
        rows.append(
            RunRow(
                seq=run.seq,
                run_id=run.run_id,
                type=run.type,
                status=run.status,
                started_at=run.started_at,
                finished_at=run.finished_at,
                operator=str(manifest.get("operator") or "(not recorded)"),
                targets=_targets_text(config) if run.type == "collection" else "",
                signature=signed,
                problems=tuple(problems),
                backwards=previous is not None
                and previous.seq == run.seq - 1
                and parse_timestamp(run.started_at) < parse_timestamp(previous.started_at),
            )
        )
        previous = run
    return rows


def _expected_values(config_targets: Iterable[Mapping[str, Any]]) -> dict[str, dict[str, set[str]]]:
    """provider -> dimension -> values the targets enumerate."""
    out: dict[str, dict[str, set[str]]] = {}
    for target in config_targets:
        for provider, options in target.items():
            dims = out.setdefault(str(provider), {})
            for key, value in (options or {}).items() if isinstance(options, Mapping) else ():
                dim = SCOPE_OPTIONS.get(key)
                if dim is None:
                    continue
                values = value if isinstance(value, list) else [value]
                if values == ["all"] or value == "all":
                    continue  # every enabled region: expected from what the previous run produced
                dims.setdefault(dim, set()).update(str(v) for v in values)
    return out


def _produced(batches: Mapping[str, Mapping[str, Any]]) -> tuple[dict[str, dict[str, set[str]]], list[str]]:
    """provider -> dimension -> values that produced fresh evidence; and the batches that did not."""
    produced: dict[str, dict[str, set[str]]] = {}
    failed = []
    for key, batch in sorted(batches.items()):
        scope = batch.get("scope") or {}
        provider = str(scope.get("provider", "?"))
        if batch.get("carried_from"):
            failed.append(f"{key}: carried from run {batch['carried_from']}, not collected")
            continue
        if batch.get("errors"):
            failed.append(f"{key}: {batch['errors']} errors")
            continue
        dims = produced.setdefault(provider, {})
        for dim in _DIMENSIONS:
            if scope.get(dim):
                dims.setdefault(dim, set()).add(str(scope[dim]))
    return produced, failed


def scope_check(
    config_targets: Sequence[Mapping[str, Any]],
    batches: Mapping[str, Mapping[str, Any]],
    previous: Mapping[str, dict[str, set[str]]] | None,
) -> tuple[ScopeCheck, dict[str, dict[str, set[str]]]]:
    """Expected against produced scope of one collection run (pure); also what it produced, for the next."""
    enumerated = _expected_values(config_targets)
    produced, failed = _produced(batches)
    expected: dict[str, dict[str, set[str]]] = {}
    for provider, dims in enumerated.items():
        expected[provider] = {dim: set(values) for dim, values in dims.items()}
        for dim, values in ((previous or {}).get(provider) or {}).items():
            if dim not in dims:  # not enumerated by the configuration: expect what was there last night
                expected[provider].setdefault(dim, set()).update(values)
    lines_expected, lines_produced, missing = [], [], []
    for provider in sorted(expected):
        got = produced.get(provider, {})
        if not got:
            missing.append(f"{provider}: no evidence from this target")
        for dim in sorted(expected[provider]):
            for value in sorted(expected[provider][dim]):
                lines_expected.append(f"{provider} {dim} {value}")
                if value not in got.get(dim, set()) and got:
                    source = "configured" if value in enumerated[provider].get(dim, set()) else "seen the night before"
                    missing.append(f"{provider} {dim} {value} ({source}): no evidence")
    for provider in sorted(produced):
        for dim in sorted(produced[provider]):
            lines_produced += [f"{provider} {dim} {value}" for value in sorted(produced[provider][dim])]
    missing += failed
    return ScopeCheck(tuple(lines_expected), tuple(lines_produced), tuple(missing)), produced


def population(manifest: Mapping[str, Any]) -> tuple[str, ...]:
    """Headcount and device counts of one collection run, as its manifest records them
    (pipeline/population.py); nothing for runs without HR or endpoint targets."""
    recorded = manifest.get("population")
    if not isinstance(recorded, Mapping):
        return ()
    lines: list[str] = []
    headcount = devices = reporting = 0
    sources: list[str] = []
    for count in recorded.get("counts") or ():
        kind, resource, data = count.get("kind"), count.get("resource"), count.get("data") or {}
        if kind == "people.headcount":
            if not data.get("maps_end_date"):
                lines.append(f"{resource}: {data.get('listed')} people listed (the export has no leave dates)")
                continue
            headcount += int(data.get("active") or 0)
            lines.append(
                f"{resource}: headcount {data.get('active')} on {data.get('as_of')} "
                f"({data.get('listed')} listed, {data.get('leavers')} left, {data.get('not_started')} not started)"
            )
        else:
            devices += int(data.get("devices") or 0)
            reporting += int(data.get("reporting") or 0)
            sources.append(str(resource))
            lines.append(
                f"{resource}: {data.get('devices')} devices, {data.get('with_owner')} with an owner, "
                f"{data.get('reporting')} reporting in the last {data.get('reporting_days')} days"
            )
    if sources:
        lines.append(
            f"devices reporting {reporting} of {devices} ({', '.join(sources)}) against a headcount of {headcount}"
        )
    staff = recorded.get("staff_with_device")
    if isinstance(staff, Mapping):
        lines.append(f"current staff with a managed device: {staff.get('covered')} of {staff.get('judged')}")
    return tuple(lines)


def night_rows(store: Store, period: Period, collections: Sequence[RunInfo]) -> list[Night]:
    """Each day of the period: its runs, its state (complete, partial or gap) and its scope check."""
    by_day: dict[date, list[RunInfo]] = {}
    for run in period.runs:
        by_day.setdefault(date.fromisoformat(run.started_at[:10]), []).append(run)
    checks: dict[int, ScopeCheck] = {}
    previous: dict[str, dict[str, set[str]]] | None = None
    before = store.previous_collection(collections[0]) if collections else None
    if before is not None:  # the night before the period sets the expectation for its first night
        previous = _produced(store.manifest(before.seq).get("batches", {}))[0]
    for run in collections:
        manifest = store.manifest(run.seq)
        settings = run_settings(store, run)
        check, produced = scope_check(settings.targets, manifest.get("batches", {}), previous)
        checks[run.seq] = replace(check, population=population(manifest))
        previous = produced
    nights = []
    last_collection: int | None = None
    for day in period.days():
        runs = by_day.get(day, [])
        day_collections = [r for r in runs if r.type == "collection"]
        if not day_collections:
            note = "no collection run" + (f"; evidence carried from run {last_collection}" if last_collection else "")
            nights.append(Night(day, tuple(r.seq for r in runs), None, "gap", note, carried_from=last_collection))
            continue
        run = day_collections[-1]
        last_collection = run.seq
        check = checks[run.seq]
        complete = run.status == "complete" and not check.missing
        state = "complete" if complete else "partial"
        note = "" if complete else f"run {run.seq} is {run.status}; {len(check.missing)} scope items missing"
        nights.append(Night(day, tuple(r.seq for r in runs), run.seq, state, note, check))
    return nights
