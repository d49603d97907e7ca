"""The audit pack: one zip an auditor can review and verify offline.

Contents (see evidence_store/packfile.py for the layout): index.html with a
controls x days status chart, one page per control (timeline, share of days with
fresh evidence, findings, non-conformities and the facts behind them), the SoA
workbook, the non-conformity register, the evidence (the manifest chain from run 1
to the period's end, the period's objects, detached signatures, public keys),
VERIFY.md and SHA256SUMS, and (with a signing key) SEAL.json: the signed seal over SHA256SUMS,
the period, the runs and the last run's manifest hash, so no file, period or run can be changed
or dropped without `annexa verify` noticing.

The period day by day: every run in it (who, when, on what, how it ended, signed or not), every
night without a complete collection as a gap, per night the scope expected against the scope that
produced evidence (coverage.py), and per control a timeline whose carried days are marked.
`sample` draws a reproducible sample of (resource, day) pairs across the period (sampling.py),
each shown with the stored evidence of that day.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
import os
import secrets
import tempfile
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from annexa import __version__
from annexa.errors import UsageError
from annexa.evidence_store.canonical import canonical_bytes
from annexa.evidence_store.packfile import (
    PACK_FORMAT,
    PACK_JSON,
    SEAL,
    SUMS,
    check_entry_name,
    seal_body,
    signature_paths,
)
from annexa.evidence_store.signing import fingerprint, load_public_key, public_pem, signed_bytes
from annexa.evidence_store.spans import ResultSpans, ScratchRows, ScratchSet
from annexa.evidence_store.store import RunInfo, Signer, Store
from annexa.mappings.catalog import Catalog
from annexa.mappings.rollup import CONTROL_STATUSES
from annexa.reports.attested import judge_attestation
from annexa.reports.coverage import night_rows, run_rows
from annexa.reports.findings import SEVERITY_ORDER, STATUS_ORDER
from annexa.reports.html import render_page, render_page_chunks, status_words
from annexa.reports.nonconformities import (
    FAILING_STATES,
    NC_COLUMNS,
    Register,
    build_register,
    nonconformity_workbook_chunks,
)
from annexa.reports.packzip import PackZip
from annexa.reports.period import Period, resolve_period
from annexa.reports.render import iter_csv, iter_json
from annexa.reports.sampling import SAMPLE_SIZES, Population, draw, frequency, population
from annexa.reports.settings import RunSettings
from annexa.reports.soa import build_soa, soa_cells, soa_html, soa_workbook
from annexa.reports.timeline import Timeline, daily_statuses, segments
from annexa.reports.verify_doc import verify_markdown

__all__ = ["PackOptions", "PackSummary", "build_pack"]

_CELL_H = 12
_LABEL_W = 64


@dataclass(frozen=True)
class PackOptions:
    start: date
    end: date
    controls: Sequence[str] = ()  # glob patterns (`A.8.*`); empty = every control
    sample: int | None = None  # (resource, day) pairs per control; 0: by frequency (sampling.SAMPLE_SIZES)
    seed: int | None = None
    # Freshness per fact kind for runs stored before they recorded their collectors' defaults.
    fallback_max_age_by_kind: Mapping[str, timedelta] | None = None
    sample_sizes: Mapping[str, int] | None = None  # by frequency, overriding sampling.SAMPLE_SIZES (config)


@dataclass(frozen=True)
class PackSummary:
    path: Path
    first_run: int
    last_run: int
    controls: int
    objects: int
    manifests: int
    bytes: int
    seed: int | None
    sealed: bool = False


class _Zip:
    """Zip entries under one root folder; every name is checked, every file listed in SHA256SUMS.

    The SHA256SUMS lines are spilled to a scratch file as entries are added and the zip is a
    PackZip (packzip.py), so neither grows in memory with the number of files in the pack."""

    def __init__(self, handle: PackZip, root: str) -> None:
        self.handle = handle
        self.root = root
        self.files = 0
        self._sums = tempfile.TemporaryFile()  # noqa: SIM115 - closed by write_sums()

    def add(self, name: str, data: bytes | str, listed: bool = True) -> bytes:
        raw = data.encode("utf-8") if isinstance(data, str) else data
        self.handle.write(self._checked(name), raw)
        if listed:
            self._sums.write(f"{hashlib.sha256(raw).hexdigest()}  {name}\n".encode())
            self.files += 1
        return raw

    def add_chunks(self, name: str, chunks: Iterable[str] | Iterable[bytes]) -> None:
        """A listed file too large to hold whole (a long period's register or control page), streamed:
        text, or bytes (a workbook)."""
        digest = hashlib.sha256()
        pieces = iter(chunks)

        def encoded() -> Iterator[bytes]:
            # the pieces (JSON tokens, template output) are small: joined a few thousand at a time
            while batch := list(itertools.islice(pieces, 4096)):
                raw = b"".join(batch) if isinstance(batch[0], bytes) else "".join(batch).encode("utf-8")
                digest.update(raw)
                yield raw

        self.handle.write_chunks(self._checked(name), encoded())
        self._sums.write(f"{digest.hexdigest()}  {name}\n".encode())
        self.files += 1

    def _checked(self, name: str) -> str:
        problem = check_entry_name(name)
        if problem:  # names come from digests, sequence numbers and catalog ids, never from evidence
            raise ValueError(f"refusing zip entry {name!r}: {problem}")
        return f"{self.root}/{name}"

    def write_sums(self) -> str:
        """SHA256SUMS (one line per listed file, in the order added), streamed; its sha256."""
        digest = hashlib.sha256()

        def chunks() -> Iterator[bytes]:
            self._sums.seek(0)
            while chunk := self._sums.read(1 << 20):
                digest.update(chunk)
                yield chunk

        try:
            self.handle.write_chunks(self._checked(SUMS), chunks())
        finally:
            self._sums.close()
        return digest.hexdigest()


def _select_controls(catalog: Catalog, patterns: Sequence[str]) -> list[str]:
    if not patterns:
        return catalog.ids()
    chosen: set[str] = set()
    for pattern in patterns:
        matched = catalog.match(pattern)
        if not matched:
            raise UsageError(f"--controls: no Annex A 2022 control matches {pattern!r}")
        chosen.update(matched)
    return [c for c in catalog.ids() if c in chosen]


def _chart(timeline: Timeline, controls: Sequence[str], link: bool) -> dict[str, Any]:
    """Geometry for the inline SVG chart: one row per control, one run-length rectangle per status span."""
    cell_w = max(3, min(14, 1000 // max(1, len(timeline.days))))
    rows = []
    for row, control in enumerate(controls):
        carried = timeline.carried.get(control) or [False] * len(timeline.days)
        keys = list(zip(timeline.statuses[control], carried, strict=True))
        rects = [
            {
                "x": _LABEL_W + s.first * cell_w,
                "w": s.length * cell_w,
                "status": s.status[0],
                "carried": s.status[1],
                "label": f"{control} {s.start}"
                + (f" to {s.end}" if s.end != s.start else "")
                + f": {status_words(s.status[0])}"
                + (" (carried, not fresh)" if s.status[1] else ""),
            }
            for s in segments(timeline.days, keys)
        ]
        rows.append(
            {
                "control": control,
                "y": 14 + row * _CELL_H,
                "rects": rects,
                "href": f"controls/{control}.html" if link else None,
            }
        )
    ticks = [
        {"x": _LABEL_W + i * cell_w, "label": d.strftime("%m-%d")} for i, d in enumerate(timeline.days) if i % 7 == 0
    ]
    return {
        "rows": rows,
        "ticks": ticks,
        "width": _LABEL_W + len(timeline.days) * cell_w + 40,
        "height": 16 + len(controls) * _CELL_H,
        "cell_h": _CELL_H - 2,
    }


def build_pack(
    store: Store, catalog: Catalog, options: PackOptions, output: Path, signer: Signer | None = None
) -> PackSummary:
    """Write the pack to `output` atomically (a failure leaves no partial zip); `signer` seals it."""
    if options.sample is not None and options.sample < 0:
        raise UsageError("--sample must be a positive number of (resource, day) pairs per control")
    sampling = options.sample is not None
    seed = options.seed if options.seed is not None else (secrets.randbelow(2**32) if sampling else None)
    period = resolve_period(store, options.start, options.end)
    controls = _select_controls(catalog, options.controls)
    root = f"annexa-pack-{period.start}_{period.end}"
    try:
        fd, tmp = tempfile.mkstemp(dir=output.parent, prefix=f".{output.name}.")
        os.close(fd)
    except OSError as err:
        raise UsageError(f"-o {output}: cannot write: {err.strerror or err}") from None
    try:
        with PackZip(tmp, level=6) as handle:
            archive = _Zip(handle, root)
            counts, meta = _write_pack(archive, store, catalog, period, controls, options, seed, signer is not None)
            files = archive.files
            sums_sha256 = archive.write_sums()
            if signer is not None:
                seal = seal_body(meta, sums_sha256, period.last.manifest_sha256, files)
                seal["signature"] = signer(canonical_bytes(seal))
                archive.add(SEAL, canonical_bytes(seal), listed=False)
        os.replace(tmp, output)
    except OSError as err:
        if err.filename not in (None, tmp, str(output)):
            raise  # another file (a scratch file, the store): the CLI's one line names it
        raise UsageError(f"-o {output}: cannot write: {err.strerror or err}") from None
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return PackSummary(
        output,
        period.first.seq,
        period.last.seq,
        len(controls),
        counts[0],
        counts[1],
        output.stat().st_size,
        seed,
        signer is not None,
    )


def _write_pack(
    archive: _Zip,
    store: Store,
    catalog: Catalog,
    period: Period,
    controls: list[str],
    options: PackOptions,
    seed: int | None,
    sealed: bool,
) -> tuple[tuple[int, int], dict[str, Any]]:
    last = period.last
    collections = [r for r in period.runs if r.type == "collection"]
    if not collections:
        raise UsageError(f"no collection run started between {period.start} and {period.end} (see `annexa runs`)")
    # Status at the period's end is that of its last collection run (statement runs after it hold no
    # results and never mask it), with that run's scope and the attestations recorded before it.
    judged = collections[-1]
    judged_period = Period(period.start, period.end, tuple(r for r in period.runs if r.seq <= judged.seq))
    timeline = daily_statuses(store, period, catalog, controls, options.fallback_max_age_by_kind)
    soa_of_run = build_soa(store, judged, catalog, options.fallback_max_age_by_kind)
    soa = soa_of_run.rows
    built = build_register(store, judged_period)
    cadence = frequency(date.fromisoformat(r.started_at[:10]) for r in collections)
    sizes = {**SAMPLE_SIZES, **(options.sample_sizes or {})}
    size = None if options.sample is None else (options.sample or sizes[cadence])
    # The period's spans (one per change of a result) grow with it: they stay in a scratch file.
    with store.result_span_table(period.first.seq, judged.seq) as table:
        pop = population(_parsed(table.select()), timeline.days, timeline.runs, controls)
        picks = {c: draw(pop, c, size, seed) for c in controls} if size is not None else {}
        sampled = _sampled_evidence(store, period, judged, timeline, table, picks)
    runs = run_rows(store, period.runs)
    nights = night_rows(store, period, collections)
    keys, stamped = _write_evidence_chain(archive, store, period)
    objects = _write_objects(archive, store, period)
    generated = datetime.now(timezone.utc).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")
    meta = {
        "format": PACK_FORMAT,
        "period": {"from": str(period.start), "to": str(period.end)},
        "runs": {"first": period.first.seq, "last": last.seq, "first_id": period.first.run_id, "last_id": last.run_id},
        "head": {"sequence": last.seq, "sha256": last.manifest_sha256},
        # The SoA (soa.xlsx, soa.html, the control pages) is that of this run, as `annexa soa --run` prints it.
        "soa_run": {"sequence": judged.seq, "run_id": judged.run_id, "judged_at": judged.finished_at},
        "soa": soa_of_run.settings.soa.to_dict() if soa_of_run.settings.soa else None,
        "controls": controls,
        "sample": size,
        "frequency": cadence,
        "seed": seed,
        "keys": sorted(keys),
        "timestamped": stamped,  # runs with an RFC 3161 timestamp record in evidence/timestamps/
        "generated_at": generated,
        "tool": {"name": "annexa", "version": __version__},
    }
    archive.add(PACK_JSON, json.dumps(meta, indent=2) + "\n")
    archive.add("soa.xlsx", soa_workbook(soa_of_run, controls=controls))
    archive.add("soa.html", soa_html(soa_of_run, controls=controls))
    register = built.items.having(controls)
    archive.add_chunks("nonconformities.xlsx", nonconformity_workbook_chunks(register, built.gaps.having(controls)))
    archive.add_chunks("nonconformities.csv", iter_csv(register, NC_COLUMNS))
    archive.add_chunks("nonconformities.json", iter_json(register))
    archive.add("VERIFY.md", verify_markdown(meta, root=archive.root, sealed=sealed))
    attestations = _attestation_rows(store, judged, soa_of_run.settings, last)
    results = _control_results(store, judged, controls)
    context = _Context(store, judged, period, controls, timeline, soa, results, built, meta, pop, attestations, sampled)
    _write_pages(archive, context, runs, nights, sizes)
    return (objects, last.seq), meta


def _attestation_rows(store: Store, judged: RunInfo, settings: RunSettings, last: RunInfo) -> list[dict[str, Any]]:
    """Every attestation recorded up to the pack's last run, judged with the SoA run's settings;
    those recorded after the SoA run are listed as counting from the next collection run."""
    rows = []
    for record in store.attestations():
        if record["sequence"] > last.seq:
            continue
        judged_as = judge_attestation(record, settings)
        after = record["sequence"] > judged.seq
        rows.append(
            {
                "sequence": record["sequence"],
                "control": judged_as.control,
                "outcome": judged_as.outcome,
                "attested_by": judged_as.attested_by,
                "role": judged_as.role,
                "attested_at": judged_as.attested_at,
                "expires_at": judged_as.expires_at,
                "note": judged_as.note,
                "file": judged_as.file,
                "counted": (
                    f"no: recorded after run {judged.seq}, counts from the next collection run"
                    if after
                    else ("yes" if judged_as.counted else f"no: {judged_as.reason}")
                ),
            }
        )
    return rows


def _write_evidence_chain(archive: _Zip, store: Store, period: Period) -> tuple[set[str], list[int]]:
    """Manifests 1..last (the whole chain, so it verifies from its start), detached signatures, keys;
    the signing keys and the runs whose timestamp record was packed."""
    keys: set[str] = set()
    stamped: list[int] = []
    for seq in range(1, period.last.seq + 1):
        raw = store.manifest_bytes(seq)
        archive.add(f"evidence/manifests/{seq:08d}.json", raw)
        stamp = store.timestamp_record(seq)
        if stamp is not None:  # verified by `annexa verify PACK` against the manifest's commitment
            archive.add(f"evidence/timestamps/{seq:08d}.json", stamp)
            stamped.append(seq)
        manifest = json.loads(raw)
        signature = manifest.get("signature")
        if not isinstance(signature, dict):
            continue
        try:  # a malformed signature is packed as is; `annexa verify` reports it
            key = load_public_key(str(signature["public_key"]).encode("ascii"))
            value = base64.b64decode(str(signature["value"]), validate=True)
        except (KeyError, ValueError, UnicodeEncodeError):
            continue
        payload, sig = signature_paths(seq)
        archive.add(payload, signed_bytes(manifest))
        archive.add(sig, value)
        fp = fingerprint(key)  # computed, never taken from the manifest: it names a file
        if fp not in keys:
            keys.add(fp)
            archive.add(f"keys/{fp.removeprefix('sha256:')}.pem", public_pem(key))
    return keys, stamped


def _write_objects(archive: _Zip, store: Store, period: Period) -> int:
    """Deltas of every run to the period's end; mappings, config and live facts of the period's runs."""
    with ScratchSet() as digests:  # the period's objects grow with it: collected, sorted on disk
        for seq in range(1, period.last.seq + 1):
            manifest = store.manifest(seq)
            digests.update((manifest["facts"]["delta"], manifest["results"]["delta"]))
            if seq >= period.first.seq:
                digests.update([manifest["mappings"]["object"]])
                if "config" in manifest:
                    digests.update([manifest["config"]["object"]])
        digests.update(store.iter_fact_hashes(period.first.seq, period.last.seq))
        # every attestation up to the period's end: the SoA counts those recorded before the period too
        digests.update(record["fact"] for record in store.attestations() if record["sequence"] <= period.last.seq)
        count = 0
        for digest in digests:
            archive.add(f"evidence/objects/{digest[:2]}/{digest}", store.get_object(digest))
            count += 1
    return count


@dataclass(frozen=True)
class _ControlResults:
    """The judged run's results for the control pages, each tagged with its selected controls, in
    scratch tables (a run has a result per rule and resource): `all` by status, severity, rule and
    resource as a page lists them; `findings` (fail and error) alike; `facts`, the stored fact
    behind each finding, by (kind, resource)."""

    all: ScratchRows
    findings: ScratchRows
    facts: ScratchRows


def _result_order(row: Mapping[str, Any]) -> tuple[Any, ...]:
    return (STATUS_ORDER.get(row["status"], 9), SEVERITY_ORDER.get(row["severity"], 9), row["rule"], row["resource"])


def _control_results(store: Store, judged: RunInfo, controls: Sequence[str]) -> _ControlResults:
    """One pass over the judged run's results and their facts (joined by the index, checked against
    the run's commitments), kept for the `controls` they evidence."""

    def tags(row: Mapping[str, Any]) -> list[str]:
        return row["controls"]

    tables = _ControlResults(
        ScratchRows(_result_order, 4, tags),
        ScratchRows(_result_order, 4, tags),
        ScratchRows(lambda row: (row["kind"], row["resource"]), 2, tags),
    )
    wanted = set(controls)
    for result, fact in store.iter_results_with_facts(judged):
        evidences = [c for c in result.controls if c in wanted]
        if not evidences:
            continue
        row = {
            "rule": result.rule,
            "resource": result.resource,
            "status": result.status,
            "severity": result.severity,
            "message": result.message,
            "evidence_class": result.evidence_class,
            "collected_at": result.collected_at,
            "controls": evidences,
        }
        tables.all.add(row)
        if result.status in ("fail", "error"):
            tables.findings.add(row)
            if fact is not None:
                tables.facts.add(
                    {
                        "kind": result.kind,
                        "resource": result.resource,
                        "hash": fact[0],
                        "collected_at": fact[1],
                        "controls": evidences,
                    }
                )
    return tables


def _fact_blocks(store: Store, refs: Iterable[Mapping[str, Any]]) -> Iterator[dict[str, Any]]:
    """Each stored fact behind a control's findings once, by (kind, resource), read as it is written."""
    last = None
    for ref in refs:
        if (ref["kind"], ref["resource"]) == last:
            continue  # several failing rules of the control judged this fact
        last = (ref["kind"], ref["resource"])
        body = store.get_json(ref["hash"])
        yield {
            "kind": ref["kind"],
            "resource": ref["resource"],
            "hash": ref["hash"],
            "collected_at": ref["collected_at"],
            "scope": body["scope"],
            "source": body["source"],
            "data": body["data"],
        }


@dataclass(frozen=True)
class _Context:
    store: Store
    judged: RunInfo
    period: Period
    controls: list[str]
    timeline: Timeline
    soa: list[dict[str, Any]]
    results: _ControlResults
    register: Register
    meta: dict[str, Any]
    population: Population
    attestations: list[dict[str, Any]]
    sampled: dict[str, list[dict[str, Any]]]


def _day_rows(ctx: _Context, control: str) -> list[dict[str, Any]]:
    """The control's timeline as a table: each day, its status, the run it comes from, carried or fresh."""
    timeline = ctx.timeline
    return [
        {
            "day": day,
            "status": timeline.statuses[control][i],
            "run": timeline.runs[i],
            "carried": timeline.carried[control][i],
        }
        for i, day in enumerate(timeline.days)
    ]


def _parsed(spans: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """The spans with their controls as a list (one list per distinct text, shared read only)."""
    parsed: dict[str, list[str]] = {}
    for span in spans:
        text = span["controls"] or "[]"
        if text not in parsed:
            parsed[text] = json.loads(text)
        span["controls"] = parsed[text]
        yield span


def _sampled_evidence(
    store: Store,
    period: Period,
    judged: RunInfo,
    timeline: Timeline,
    spans: ResultSpans,
    picks: Mapping[str, list[tuple[str, date]]],
) -> dict[str, list[dict[str, Any]]]:
    """For each sampled (resource, day): the run that judged the day, the control's results on the
    resource in it (from the verified result spans) and the stored facts behind them (from one
    replay of the verified fact deltas), so the cost does not grow with the number of runs sampled."""
    index = {day: i for i, day in enumerate(timeline.days)}
    resources = {resource for pairs in picks.values() for resource, _day in pairs}
    by_resource: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for span in _parsed(spans.select(resources=resources)):
        by_resource[span["resource"]].append(span)
    keys = {(str(span["kind"]), resource) for resource, found in by_resource.items() for span in found}
    history = store.fact_history(period.first.seq, judged.seq, keys) if keys else {}
    runs = {run.seq: run for run in period.runs}
    out: dict[str, list[dict[str, Any]]] = {}
    for control, pairs in picks.items():
        rows = []
        for resource, day in pairs:
            seq = timeline.runs[index[day]]
            if seq is None:
                continue
            run = runs[seq]
            found = [
                s for s in by_resource[resource] if s["first_seq"] <= seq <= s["last_seq"] and control in s["controls"]
            ]
            facts = []
            for kind in sorted({str(s["kind"]) for s in found}):
                value = _value_at(history.get((kind, resource), []), seq)
                if value is not None:
                    batch = store.manifest(seq).get("batches", {}).get(value[1]) or {}
                    body = store.get_json(value[0])
                    facts.append(
                        {
                            "hash": value[0],
                            "collected_at": batch.get("collected_at", ""),
                            "kind": kind,
                            "data": body["data"],
                        }
                    )
            rows.append(
                {
                    "resource": resource,
                    "day": day,
                    "run": run,
                    "carried": date.fromisoformat(run.started_at[:10]) != day,
                    "results": [
                        {"rule": s["rule"], "status": s["status"], "message": s["message"]}
                        for s in sorted(found, key=lambda s: s["rule"])
                    ],
                    "facts": facts,
                }
            )
        out[control] = rows
    return out


def _value_at(history: Sequence[tuple[int, tuple[Any, ...] | None]], seq: int) -> tuple[Any, ...] | None:
    """The value a (kind, resource) had in run `seq`, from its changes (oldest first)."""
    value = None
    for changed, entry in history:
        if changed > seq:
            break
        value = entry
    return value


def _write_pages(archive: _Zip, ctx: _Context, runs: list[Any], nights: list[Any], sizes: Mapping[str, int]) -> None:
    store, judged, period, controls, timeline, meta = (
        ctx.store,
        ctx.judged,
        ctx.period,
        ctx.controls,
        ctx.timeline,
        ctx.meta,
    )
    soa_by_control = {row["control"]: row for row in ctx.soa}
    rules = store.rules(judged)
    sampled = ctx.sampled
    overview = []
    for control in controls:
        control_results = ctx.results.all.having([control])
        findings = ctx.results.findings.having([control])
        share = timeline.fresh_share(control)
        row = soa_cells(soa_by_control[control])
        carried_days = sum(timeline.carried[control])
        overview.append(
            {
                **row,
                "fresh": share,
                "carried_days": carried_days,
                "population": ctx.population.resources(control),
                "findings": len(findings),
                "open_ncs": sum(1 for n in ctx.register.items.having([control]) if n["state"] in FAILING_STATES),
            }
        )
        archive.add_chunks(
            f"controls/{control}.html",
            render_page_chunks(
                "control.html",
                title=f"{control} {row['title']}",
                root="../",
                control=row,
                structured=soa_by_control[control],
                meta=meta,
                period=period,
                chart=_chart(
                    Timeline(
                        timeline.days,
                        {control: timeline.statuses[control]},
                        timeline.runs,
                        {control: timeline.carried[control]},
                    ),
                    [control],
                    link=False,
                ),
                fresh=share,
                days=_day_rows(ctx, control),
                carried_days=carried_days,
                results=control_results,
                findings=findings,
                facts=_fact_blocks(store, ctx.results.facts.having([control])),
                rules=rules,
                ncs=ctx.register.items.having([control]),
                later_attestations=[
                    a for a in ctx.attestations if a["control"] == control and a["sequence"] > judged.seq
                ],
                population_resources=ctx.population.resources(control),
                population_pairs=ctx.population.pairs(control),
                sample=sampled.get(control, []),
            ),
        )
    counts = Counter(row["status"] for row in overview)
    gaps = [n for n in nights if n.state != "complete"]
    ncs = opened = flagged = 0  # in one pass: the register's rows are read back from a scratch table
    for nc in ctx.register.items.having(controls):
        ncs += 1
        opened += nc["state"] in FAILING_STATES
        flagged += bool(nc["flags"])
    archive.add(
        "index.html",
        render_page(
            "index.html",
            title=f"Audit pack {period.start} to {period.end}",
            meta=meta,
            period=period,
            chart=_chart(timeline, controls, link=True),
            controls=overview,
            counts=[(s, counts[s]) for s in CONTROL_STATUSES if counts[s]],
            statuses=CONTROL_STATUSES,
            open_ncs=opened,
            flagged_ncs=flagged,
            ncs=ncs,
            runs=runs,
            nights=nights,
            gaps=gaps,
            attestations=ctx.attestations,
            sizes=sizes,
        ),
    )
