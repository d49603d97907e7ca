"""Drift: what changed between two runs, and whether anything got worse.

Three views, worst first:
- controls whose status changed (a control regressed when its status got worse:
  implemented < attested < documented < partial < not_implemented, error, stale, no_evidence),
  each with the evidence class that decided its status before and after;
- rule x resource results that regressed (pass/not_applicable -> fail/error), were
  fixed, changed otherwise (fail <-> error), appeared or disappeared; a result that
  appears already failing (a new unencrypted bucket) is a regression too;
- facts that changed, with the exact fields as RFC 6901 JSON Pointers into the
  stored fact object (`/data/encryption_rules`), old and new values.

The building blocks are pure; `drift_between` reads the two runs through the index,
which keeps facts and results as intervals, so only what changed is loaded.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from annexa.evidence_store.batches import batch_collector
from annexa.evidence_store.store import RunInfo, Store
from annexa.mappings.catalog import Catalog
from annexa.mappings.rollup import ControlStatus
from annexa.model import Result
from annexa.reports import render
from annexa.reports.soa import soa_statuses
from annexa.words import plural

__all__ = [
    "ControlChange",
    "Drift",
    "FactChange",
    "FieldChange",
    "ResultChange",
    "RunRef",
    "build_drift",
    "control_regressed",
    "diff_fields",
    "drift_between",
    "json_pointer",
    "previous_collection",
    "render_drift",
    "result_change",
]

MAX_FIELDS_PER_FACT = 50
_BAD = ("fail", "error")
_GOOD = ("pass", "not_applicable")
# How bad a control status is; `excluded` is a scope decision, never a regression. Losing
# operating evidence (implemented -> attested or documented) is a regression.
_CONTROL_RANK = {
    "implemented": 0,
    "attested": 1,
    "documented": 2,
    "partial": 3,
    "not_implemented": 4,
    "error": 4,
    "stale": 4,
    "no_evidence": 4,
}
_ABSENT: Any = object()


def json_pointer(parts: Iterable[str | int]) -> str:
    """RFC 6901: `~` -> `~0`, `/` -> `~1`, each part prefixed by `/`."""
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in parts)


@dataclass(frozen=True)
class FieldChange:
    """One changed field; `op` as in RFC 6902 (add, remove, replace)."""

    op: str
    path: str
    old: Any = _ABSENT
    new: Any = _ABSENT

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"op": self.op, "path": self.path}
        if self.old is not _ABSENT:
            out["old"] = self.old
        if self.new is not _ABSENT:
            out["new"] = self.new
        return out


def diff_fields(old: Any, new: Any, path: tuple[str | int, ...] = ()) -> list[FieldChange]:
    """The leaf-most fields where `old` and `new` differ (objects by key, lists by position)."""
    if isinstance(old, dict) and isinstance(new, dict):
        out: list[FieldChange] = []
        for key in sorted({*old, *new}):
            if key not in new:
                out.append(FieldChange("remove", json_pointer((*path, key)), old=old[key]))
            elif key not in old:
                out.append(FieldChange("add", json_pointer((*path, key)), new=new[key]))
            else:
                out.extend(diff_fields(old[key], new[key], (*path, key)))
        return out
    if isinstance(old, list) and isinstance(new, list):
        out = []
        for index in range(max(len(old), len(new))):
            if index >= len(new):
                out.append(FieldChange("remove", json_pointer((*path, index)), old=old[index]))
            elif index >= len(old):
                out.append(FieldChange("add", json_pointer((*path, index)), new=new[index]))
            else:
                out.extend(diff_fields(old[index], new[index], (*path, index)))
        return out
    if old == new and type(old) is type(new):
        return []
    return [FieldChange("replace", json_pointer(path), old=old, new=new)]


@dataclass(frozen=True)
class FactChange:
    kind: str
    resource: str
    change: str  # changed | appeared | disappeared
    fields: tuple[FieldChange, ...] = ()
    more_fields: int = 0  # changed fields left out beyond MAX_FIELDS_PER_FACT

    def to_dict(self) -> dict[str, Any]:
        out = {
            "kind": self.kind,
            "resource": self.resource,
            "change": self.change,
            "fields": [f.to_dict() for f in self.fields],
        }
        if self.more_fields:
            out["more_fields"] = self.more_fields
        return out


@dataclass(frozen=True)
class ResultChange:
    rule: str
    resource: str
    kind: str
    controls: tuple[str, ...]
    severity: str
    old_status: str | None
    new_status: str | None
    change: str  # regressed | fixed | changed | appeared | disappeared
    regression: bool
    message: str
    evidence_class: str = "automated"

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "resource": self.resource,
            "kind": self.kind,
            "evidence_class": self.evidence_class,
            "controls": list(self.controls),
            "severity": self.severity,
            "old_status": self.old_status,
            "new_status": self.new_status,
            "change": self.change,
            "regression": self.regression,
            "message": self.message,
        }


def result_change(old: str | None, new: str | None) -> tuple[str, bool] | None:
    """(change, is_regression) for a status transition; None when the status is the same."""
    if old == new:
        return None
    if old is None:
        return "appeared", new in _BAD
    if new is None:
        return "disappeared", False
    if old in _GOOD and new in _BAD:
        return "regressed", True
    if old in _BAD and new in _GOOD:
        return "fixed", False
    return "changed", False


@dataclass(frozen=True)
class ControlChange:
    control: str
    title: str
    old_status: str
    new_status: str
    regression: bool
    old_class: str | None = None  # the evidence class that decided each status
    new_class: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "control": self.control,
            "title": self.title,
            "old_status": self.old_status,
            "new_status": self.new_status,
            "old_evidence_class": self.old_class,
            "new_evidence_class": self.new_class,
            "regression": self.regression,
        }


def control_regressed(old: str, new: str) -> bool:
    if old not in _CONTROL_RANK or new not in _CONTROL_RANK:
        return False
    return _CONTROL_RANK[new] > _CONTROL_RANK[old]


@dataclass(frozen=True)
class RunRef:
    sequence: int
    run_id: str
    status: str
    finished_at: str
    errors: int

    @classmethod
    def of(cls, run: RunInfo) -> RunRef:
        return cls(run.seq, run.run_id, run.status, run.finished_at, run.errors)

    def label(self) -> str:
        return f"#{self.sequence} {self.run_id} ({self.status}, finished {self.finished_at})"


@dataclass(frozen=True)
class Drift:
    from_run: RunRef
    to_run: RunRef
    controls: tuple[ControlChange, ...]
    results: tuple[ResultChange, ...]
    facts: tuple[FactChange, ...]
    notes: tuple[str, ...] = field(default=())

    @property
    def regressions(self) -> int:
        return sum(c.regression for c in self.controls) + sum(r.regression for r in self.results)

    @property
    def exit_code(self) -> int:
        """3 when anything regressed (the CLI contract for cron and CI), else 0."""
        return 3 if self.regressions else 0

    def counts(self) -> dict[str, int]:
        out = {"regressions": self.regressions, "controls_changed": len(self.controls)}
        for change in ("regressed", "fixed", "changed", "appeared", "disappeared"):
            out[f"results_{change}"] = sum(r.change == change for r in self.results)
        out["facts_changed"] = len(self.facts)
        return out

    def has_changes(self) -> bool:
        return bool(self.controls or self.results)

    def to_dict(self) -> dict[str, Any]:
        return {
            "from": self.from_run.__dict__,
            "to": self.to_run.__dict__,
            "summary": self.counts(),
            "notes": list(self.notes),
            "controls": [c.to_dict() for c in self.controls],
            "results": [r.to_dict() for r in self.results],
            "facts": [f.to_dict() for f in self.facts],
        }


def build_drift(
    from_run: RunRef,
    to_run: RunRef,
    result_pairs: Iterable[tuple[Result | None, Result | None]],
    controls_before: Sequence[ControlStatus],
    controls_after: Sequence[ControlStatus],
    fact_bodies: Mapping[tuple[str, str], tuple[Any, Any]],
    notes: Sequence[str] = (),
) -> Drift:
    """Pure: assemble a Drift from result pairs, two rollups and fact bodies (None = absent)."""
    before = {c.control: c for c in controls_before}
    controls = [
        ControlChange(
            c.control,
            c.title,
            before[c.control].status,
            c.status,
            control_regressed(before[c.control].status, c.status),
            before[c.control].evidence_class,
            c.evidence_class,
        )
        for c in controls_after
        if c.control in before and before[c.control].status != c.status
    ]
    results = []
    for old, new in result_pairs:
        verdict = result_change(old.status if old else None, new.status if new else None)
        if verdict is None:
            continue
        either = new or old
        assert either is not None
        results.append(
            ResultChange(
                either.rule,
                either.resource,
                either.kind,
                tuple(either.controls),
                either.severity,
                old.status if old else None,
                new.status if new else None,
                verdict[0],
                verdict[1],
                either.message,
                either.evidence_class,
            )
        )
    facts = []
    for (kind, resource), (old_body, new_body) in sorted(fact_bodies.items()):
        if old_body is None:
            facts.append(FactChange(kind, resource, "appeared"))
        elif new_body is None:
            facts.append(FactChange(kind, resource, "disappeared"))
        else:
            changed = diff_fields(_comparable(old_body), _comparable(new_body))
            if changed:
                facts.append(
                    FactChange(
                        kind,
                        resource,
                        "changed",
                        tuple(changed[:MAX_FIELDS_PER_FACT]),
                        max(0, len(changed) - MAX_FIELDS_PER_FACT),
                    )
                )
    controls.sort(key=lambda c: (not c.regression, c.control))
    results.sort(key=lambda r: (not r.regression, r.change, r.rule, r.resource))
    return Drift(from_run, to_run, tuple(controls), tuple(results), tuple(facts), tuple(notes))


def _comparable(body: Mapping[str, Any]) -> dict[str, Any]:
    """The stored fact object minus its identity, so pointers stay valid against the object."""
    return {k: v for k, v in body.items() if k not in ("kind", "resource")}


def _run_notes(store: Store, run: RunInfo) -> list[str]:
    notes = []
    if run.status != "complete":
        notes.append(
            f"run #{run.seq} is {run.status} ({run.errors} collection errors): "
            "what could not be read shows as `error`, never as a pass"
        )
    for key, batch in store.manifest(run.seq).get("batches", {}).items():
        if batch.get("carried_from"):
            notes.append(
                f"run #{run.seq}: {batch_collector(key)} did not run; its evidence from run #{batch['carried_from']} "
                f"(collected {batch['collected_at']}) was carried forward and goes stale after its max_age"
            )
    return notes


def previous_collection(store: Store, run: RunInfo) -> RunInfo | None:
    """The collection run chained before `run` (attestation runs in between hold no results)."""
    return store.previous_collection(run)


def drift_between(
    store: Store,
    before: RunInfo,
    after: RunInfo,
    catalog: Catalog,
    fallback_max_age_by_kind: Mapping[str, timedelta] | None = None,
) -> Drift:
    """Drift from run `before` to run `after`; each run's controls are rolled up as of its end,
    with its own stored settings (settings.py), as `annexa soa --run` shows them."""
    fact_bodies = {
        key: (store.get_json(old) if old else None, store.get_json(new) if new else None)
        for key, (old, new) in store.iter_fact_changes(before, after)
    }

    def controls(run: RunInfo) -> list[ControlStatus]:
        return soa_statuses(store, run, catalog, fallback_max_age_by_kind=fallback_max_age_by_kind)

    notes = _run_notes(store, before) + _run_notes(store, after)
    return build_drift(
        RunRef.of(before),
        RunRef.of(after),
        store.iter_result_changes(before, after),
        controls(before),
        controls(after),
        fact_bodies,
        notes,
    )


# -- rendering ---------------------------------------------------------------------


def _value(value: Any) -> str:
    return "" if value is _ABSENT else json.dumps(value, sort_keys=True, ensure_ascii=False)


def _sections(drift: Drift) -> list[tuple[str, list[dict[str, Any]], tuple[str, ...]]]:
    controls = [{**c.to_dict(), "change": "REGRESSED" if c.regression else "changed"} for c in drift.controls]
    results = [{**r.to_dict(), "change": r.change.upper() if r.regression else r.change} for r in drift.results]
    fields = [
        {
            "kind": f.kind,
            "resource": f.resource,
            "change": f.change,
            "path": fc.path,
            "old": _value(fc.old),
            "new": _value(fc.new),
        }
        for f in drift.facts
        for fc in (f.fields or (FieldChange(f.change, ""),))
    ]
    return [
        (
            "Controls",
            controls,
            ("change", "control", "old_status", "new_status", "old_evidence_class", "new_evidence_class", "title"),
        ),
        ("Results", results, ("change", "old_status", "new_status", "evidence_class", "severity", "rule", "resource")),
        ("Facts", fields, ("change", "kind", "resource", "path", "old", "new")),
    ]


def _headline(drift: Drift) -> str:
    counts = drift.counts()
    return (
        f"{plural(counts['regressions'], 'regression')}; {plural(counts['controls_changed'], 'control')} changed; "
        "results: "
        + ", ".join(
            f"{counts['results_' + c]} {c}" for c in ("regressed", "fixed", "changed", "appeared", "disappeared")
        )
        + f"; {plural(counts['facts_changed'], 'fact')} changed"
    )


def render_drift(drift: Drift, fmt: str) -> str:
    if fmt == "json":
        return json.dumps(drift.to_dict(), indent=2, ensure_ascii=False) + "\n"
    markdown = fmt == "md"
    lines = [
        ("# Drift" if markdown else "drift") + f" from run {drift.from_run.label()} to run {drift.to_run.label()}",
        "",
        _headline(drift),
    ]
    lines += [f"{'- ' if markdown else 'note: '}{note}" for note in drift.notes]
    for title, rows, columns in _sections(drift):
        if not rows:
            continue
        lines += ["", f"## {title}" if markdown else title.upper()]
        table = render.to_markdown(rows, columns) if markdown else render.to_table(rows, columns)
        lines.append(table.rstrip("\n"))
    return "\n".join(lines) + "\n"
