"""Store.result_span_table: the rows of Store.result_spans, from a scratch SQLite file, checked the same way."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from history import write_period_history

from annexa.errors import VerifyError
from annexa.evidence_store.signing import Ed25519Signer, generate_keypair
from annexa.evidence_store.spans import ScratchSet
from annexa.evidence_store.store import Store, open_store


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> Store:
    """Nightly runs with missed nights, partial runs, a scope change and statement runs between them."""
    root = tmp_path_factory.mktemp("spans")
    key = generate_keypair(root / "signing.key")
    store = open_store(str(root / "ev"), Ed25519Signer(key.private_path))
    write_period_history(store, root / "rules.yaml")
    return store


def test_the_table_holds_result_spans_rows_in_the_same_order(history: Store) -> None:
    runs = history.runs()
    statement = next(r.seq for r in runs if r.type != "collection")
    last = runs[-1].seq
    for first, end in ((1, last), (statement, last), (2, statement), (last // 2, last)):
        expected = history.result_spans(first, end)
        with history.result_span_table(first, end) as table:
            assert table.count == len(expected)
            assert list(table.select()) == expected
            assert list(table.select()) == expected  # any number of passes
    assert len(expected) > 0 and any(s["status"] == "fail" for s in expected)


def test_select_filters_by_status_and_resource_and_reads_side_by_side(history: Store) -> None:
    last = history.runs()[-1].seq
    spans = history.result_spans(1, last)
    resources = sorted({s["resource"] for s in spans})[:3]
    with history.result_span_table(1, last) as table:
        assert list(table.select(statuses={"fail", "error"})) == [s for s in spans if s["status"] in ("fail", "error")]
        one, two = table.select(resources=resources[:1]), table.select(resources=resources[1:])
        first, second = list(one), list(two)  # two filters open at once, each its own
        assert first == [s for s in spans if s["resource"] == resources[0]]
        assert second == [s for s in spans if s["resource"] in resources[1:]]
        assert list(table.select(statuses=["pass"], resources=[])) == []
        folder = Path(table._folder.name)
        assert folder.exists()
    assert not folder.exists()  # the scratch file goes with the block


def test_an_edited_index_is_refused_before_the_table_is_handed_out(history: Store, tmp_path: Path) -> None:
    copy = tmp_path / "ev"
    shutil.copytree(history.backend.root, copy)
    with sqlite3.connect(copy / "index.sqlite") as db:
        assert db.execute("UPDATE results SET status='pass' WHERE status='fail'").rowcount > 0
    store = open_store(str(copy))
    entered = False
    with pytest.raises(VerifyError), store.result_span_table(1, store.runs()[-1].seq):
        entered = True
    assert not entered


def test_a_replay_that_does_not_end_in_the_committed_results_is_refused(
    history: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The replayed spans are compared with the last collection run's committed results entry by
    entry: a delta that lost a change (or gained one) is named, never reported."""
    kinds = {run.seq: run.type for run in history.runs()}
    changed = next(
        seq
        for seq, delta in history._period_deltas(1, max(kinds), "results")
        if kinds[seq] == kinds[seq - 1] == "collection" and delta.get("add")
    )
    real = Store._period_deltas
    for change in ("drop", "add"):

        def edited(store: Store, first: int, end: int, part: str, change: str = change) -> Any:
            for seq, delta in real(store, first, end, part):
                if part == "results" and seq == changed:
                    invented = ["invented.rule", "nowhere", "pass", "made up", None]
                    delta = {**delta, "add": delta["add"][1:] if change == "drop" else [*delta["add"], invented]}
                yield seq, delta

        monkeypatch.setattr(Store, "_period_deltas", edited)
        with pytest.raises(VerifyError, match=f"the deltas do not give the results run {changed} commits to"):
            history.result_spans(changed - 1, changed)
    monkeypatch.undo()
    assert history.result_spans(changed - 1, changed)


def test_fact_hashes_one_at_a_time_give_the_same_set(history: Store) -> None:
    last = history.runs()[-1].seq
    for first in (1, last // 2):
        assert set(history.iter_fact_hashes(first, last)) == history.fact_hashes(first, last)


def test_scratch_set_keeps_each_item_once_in_python_order() -> None:
    items = ["b", "a", "é", "Z", "a", "ab", "\u4e2d", "b"]
    with ScratchSet() as scratch:
        scratch.update(items[:4])
        scratch.update(iter(items[4:]))
        assert len(scratch) == len(set(items))
        assert list(scratch) == sorted(set(items))
