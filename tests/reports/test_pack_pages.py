"""The pack's control pages read the judged run's results from scratch tables (pack._control_results):
the same rows, order and facts as the pages b6a35ab built from store.results and store.fact_refs."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from history import write_period_history

from annexa.evidence_store.signing import Ed25519Signer, generate_keypair
from annexa.evidence_store.store import RunInfo, Store, open_store
from annexa.reports.findings import SEVERITY_ORDER, STATUS_ORDER
from annexa.reports.pack import _control_results, _fact_blocks

CONTROLS = ["A.8.13", "A.8.24"]


@pytest.fixture(scope="module")
def period(tmp_path_factory: pytest.TempPathFactory) -> Store:
    """Nights with partial runs (error results), missed nights and statement runs between them."""
    root = tmp_path_factory.mktemp("pages")
    key = generate_keypair(root / "signing.key")
    store = open_store(str(root / "ev"), Ed25519Signer(key.private_path))
    write_period_history(store, Path(root / "rules.yaml"))
    return store


def _held_in_memory(store: Store, judged: RunInfo, control: str) -> tuple[list[Any], list[Any], list[Any]]:
    """The oracle: a control page's results, findings and fact blocks as b6a35ab built them."""
    results = sorted(
        (r for r in store.results(judged) if control in r.controls),
        key=lambda r: (STATUS_ORDER.get(r.status, 9), SEVERITY_ORDER.get(r.severity, 9), r.rule, r.resource),
    )
    rows = [(r.rule, r.resource, r.status, r.severity, r.message, r.evidence_class, r.collected_at) for r in results]
    findings = [row for row in rows if row[2] in ("fail", "error")]
    refs = store.fact_refs(judged)
    failing = sorted({(r.kind, r.resource) for r in results if r.status in ("fail", "error")})
    facts = [(kind, resource, *refs[(kind, resource)]) for kind, resource in failing if (kind, resource) in refs]
    return rows, findings, facts


def _row(r: dict[str, Any]) -> tuple[Any, ...]:
    return (r["rule"], r["resource"], r["status"], r["severity"], r["message"], r["evidence_class"], r["collected_at"])


def test_control_pages_list_what_the_in_memory_pages_listed_in_every_run(signed_store: Store, period: Store) -> None:
    shared_facts = 0  # findings of one control on one fact: the fact is shown once
    statuses: set[str] = set()
    for store in (signed_store, period):
        shared_facts += _compare_every_run(store, statuses)
    assert shared_facts > 0  # the fixtures have a bucket failing both A.8.24 rules
    assert {"pass", "fail", "error"} <= statuses


def _compare_every_run(store: Store, statuses: set[str]) -> int:
    shared_facts = 0
    for judged in (run for run in store.runs() if run.type == "collection"):
        tables = _control_results(store, judged, CONTROLS)
        for control in CONTROLS:
            rows, findings, facts = _held_in_memory(store, judged, control)
            statuses.update(row[2] for row in rows)
            assert rows, f"run {judged.seq}: {control} has no results to compare"
            assert [_row(r) for r in tables.all.having([control])] == rows
            assert [_row(r) for r in tables.findings.having([control])] == findings
            assert len(tables.findings.having([control])) == len(findings)
            blocks = list(_fact_blocks(store, tables.facts.having([control])))
            assert [(b["kind"], b["resource"], b["hash"], b["collected_at"]) for b in blocks] == facts
            for block in blocks:
                body = store.get_json(block["hash"])
                assert (block["data"], block["scope"], block["source"]) == (body["data"], body["scope"], body["source"])
            per_fact = Counter(r["resource"] for r in tables.findings.having([control]))  # both rules judge fake.bucket
            shared_facts += sum(1 for n in per_fact.values() if n > 1)
    return shared_facts


def test_a_control_not_selected_gets_no_rows(signed_store: Store) -> None:
    judged = [run for run in signed_store.runs() if run.type == "collection"][-1]
    tables = _control_results(signed_store, judged, ["A.8.13"])
    assert len(tables.all.having(["A.8.13"])) > 0
    for table in (tables.all, tables.findings, tables.facts):
        assert list(table.having(["A.8.24"])) == []
        assert all(row["controls"] == ["A.8.13"] for row in table)
