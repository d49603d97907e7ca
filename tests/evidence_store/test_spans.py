"""Store.result_span_table: the rows of Store.result_spans, from a scratch SQLite file, checked the same way;
the other scratch tables (ScratchSet, ScratchRows) against Python's own set and sort."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from history import write_period_history
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from annexa.errors import VerifyError
from annexa.evidence_store.signing import Ed25519Signer, generate_keypair
from annexa.evidence_store.spans import LiveSpans, ScratchRows, ScratchSet
from annexa.evidence_store.store import Store, _advanced, _SpanRow, _state_value, open_store


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
    real = Store._delta
    for change in ("drop", "add"):

        def edited(store: Store, seq: int, part: str, change: str = change) -> Any:
            delta = real(store, seq, part)
            if part == "results" and seq == changed:
                invented = ["invented.rule", "nowhere", "pass", "made up", None]
                delta = {**delta, "add": delta["add"][1:] if change == "drop" else [*delta["add"], invented]}
            return delta

        monkeypatch.setattr(Store, "_delta", edited)
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


_TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=4)  # SQLite binds UTF-8: no lone surrogates
_ROW = st.fixed_dictionaries(
    {
        "open": st.booleans(),
        "seen": st.one_of(st.none(), _TEXT),
        "rule": _TEXT,
        "n": st.integers(-3, 3),
        "controls": st.lists(st.sampled_from(["A.5.1", "A.8.9", "A.8.24", "7.5"]), max_size=3),
        "value": st.one_of(st.floats(allow_nan=False), st.lists(st.integers(), max_size=2), st.just((1, "x"))),
    }
)


def _key(row: dict[str, Any]) -> tuple[Any, ...]:
    return (not row["open"], row["seen"], row["rule"], row["n"])


@settings(max_examples=200, deadline=None)
@given(st.lists(_ROW, max_size=25), st.lists(st.sampled_from(["A.5.1", "A.8.9", "A.8.24", "7.5", "A.6.3"])))
def test_scratch_rows_come_back_as_python_sorts_them_and_by_tag(rows: list[dict[str, Any]], tags: list[str]) -> None:
    # None sorts before any text in SQLite; Python cannot compare them, so the oracle sorts None as ""
    # only where the key holds no "" (where ties between them would be broken by the order added)
    assume(all(r["seen"] != "" for r in rows) or all(r["seen"] is not None for r in rows))
    scratch = ScratchRows(_key, 4, lambda r: r["controls"])
    for row in rows:
        scratch.add(row)
    expected = [
        json.loads(json.dumps(r))
        for r in sorted(rows, key=lambda r: (not r["open"], r["seen"] or "", r["rule"], r["n"]))
    ]
    assert list(scratch) == expected
    assert list(scratch) == expected  # any number of passes
    assert len(scratch) == len(rows)
    chosen = scratch.having(tags)
    wanted = [r for r in expected if set(r["controls"]) & set(tags)]
    assert (list(chosen), len(chosen), bool(chosen)) == (wanted, len(wanted), bool(wanted))
    assert list(scratch.having(None)) == expected


def test_scratch_rows_are_read_only_once_read_and_keys_have_their_width() -> None:
    scratch = ScratchRows(lambda r: (r["a"],), 1)
    with pytest.raises(ValueError, match="a key of 2 values, not 1"):
        ScratchRows(lambda r: (r["a"], r["a"]), 1).add({"a": "x"})
    scratch.add({"a": "y", "tags": ["t"]})
    scratch.add({"a": "x", "tags": ["t"]})
    assert [r["a"] for r in scratch] == ["x", "y"]
    assert list(scratch.having(["t"])) == []  # untagged table: no tags were recorded
    with pytest.raises(RuntimeError, match="add after the rows were read"):
        scratch.add({"a": "z"})


def _spans_held_in_memory(store: Store, first: int, last: int) -> list[dict[str, Any]]:
    """The replay as it was before its open spans went to a scratch table (stop 28's
    Store._span_rows, a dict of them), without its checks: the oracle for the table's replay."""
    kinds = {run.seq: run.type for run in store.runs()}
    live: dict[tuple[str, str], list[Any]] = {}
    if kinds.get(first) == "collection":
        live = {(k[0], k[1]): [v, v[4]] for k, v in store._state_items("results", first)}
    spans: list[tuple[tuple[str, str], Any, int, int]] = []
    after_statement = kinds.get(first) != "collection"
    for seq, delta in store._period_deltas(first, last, "results"):
        if kinds.get(seq) != "collection":
            after_statement = True
            continue
        if after_statement:
            after_statement = False
            state = store.result_state(seq)
            for key in [k for k in live if k not in state]:
                gone = live.pop(key)
                spans.append((key, gone[0], gone[1], seq - 1))
            for key, value in state.items():
                current = live.get(key)
                if current is not None and tuple(current[0][:4]) == tuple(value[:4]):
                    continue
                if current is not None:
                    spans.append((key, current[0], current[1], seq - 1))
                live[key] = [value, seq]
            continue
        for key in delta.get("remove", []):
            gone = live.pop((key[0], key[1]), None)
            if gone is not None:
                spans.append(((key[0], key[1]), gone[0], gone[1], seq - 1))
        for entry in delta.get("add", []):
            key = (entry[0], entry[1])
            if key in live:
                spans.append((key, live[key][0], live[key][1], seq - 1))
            live[key] = [_state_value("results", entry, seq), seq]
    spans += [(key, value[0], value[1], last) for key, value in live.items()]
    row = _SpanRow(store, kinds)
    return sorted((row(*span) for span in spans), key=lambda s: (s["rule"], s["resource"], s["first_seq"]))


def test_the_replay_from_a_scratch_table_gives_the_spans_the_in_memory_replay_gave(history: Store) -> None:
    runs = [r.seq for r in history.runs()]
    kinds = {r.seq: r.type for r in history.runs()}
    after_statement = [s for s in runs if kinds.get(s - 1, "collection") != "collection" and kinds[s] == "collection"]
    assert after_statement and any(kinds[s] != "collection" for s in runs)  # both replay paths are taken
    # from every run to itself, the next and the end; from the first run to every run
    pairs = {(f, last) for i, f in enumerate(runs) for last in (f, runs[min(i + 1, len(runs) - 1)], runs[-1])}
    pairs |= {(runs[0], last) for last in runs}
    for first, last in sorted(pairs):
        assert history.result_spans(first, last) == _spans_held_in_memory(history, first, last), (first, last)


def test_reaching_a_whole_state_closes_changed_and_vanished_spans_and_keeps_the_rest() -> None:
    def value(status: str, message: str = "m", controls: Any = ("A.8.24",)) -> tuple[Any, ...]:
        return (status, message, "b1", controls, 1)

    live = [
        (key, LiveSpans.result(result), since)
        for key, result, since in (
            (("r", "changed-controls"), value("pass"), 1),
            (("r", "changed-message"), value("fail"), 2),
            (("r", "same"), value("pass", controls=["A.8.24"]), 1),  # a list and a tuple of the same controls agree
            (("r", "same-none"), value("pass", controls=None), 3),
            (("r", "vanished"), value("fail"), 1),
            (("s", "last-vanished"), value("pass"), 1),
        )
    ]
    state = [
        (["r", "changed-controls"], value("pass", controls=("A.8.24", "A.5.1"))),
        (("r", "changed-message"), value("fail", "other")),
        (("r", "new"), value("error")),
        (("r", "same"), value("pass")),
        (("r", "same-none"), value("pass", controls=None)),
    ]
    closed: list[Any] = []
    held = list(_advanced(live, state, 9, closed))
    assert [(key[1], since) for key, _value, since in held] == [
        ("changed-controls", 9),
        ("changed-message", 9),
        ("new", 9),
        ("same", 1),
        ("same-none", 3),
    ]
    assert [key[1] for key, _value, _since in closed] == [
        "changed-controls",
        "changed-message",
        "vanished",
        "last-vanished",
    ]
    assert all(isinstance(key, tuple) for key, _value, _since in held)


def test_fact_history_gives_each_runs_fact_of_each_key(history: Store) -> None:
    runs = [r.seq for r in history.runs()]
    states = {seq: history.fact_state(seq) for seq in runs}
    keys = set().union(*states.values())
    first, last = runs[2], runs[-1]
    moves = history.fact_history(first, last, keys)
    assert set(moves) == keys and any(value is None for changes in moves.values() for _seq, value in changes)
    for key, changes in moves.items():
        for seq in runs[2:]:
            value = next(value for at, value in reversed(changes) if at <= seq)
            expected = states[seq].get(key)
            assert (value[:2] if value else None) == (expected[:2] if expected else None), (key, seq)


def test_live_spans_give_back_each_result_with_its_own_controls_or_none() -> None:
    own = ("fail", "observed x", "b1", ["A.5.1", "A.8.9"], 4)  # a result that carries its own controls
    ruled = ("pass", "", None, None, 2)  # the rule's controls
    live = LiveSpans([(("r", "b"), LiveSpans.result(ruled), 2), (("r", "a"), LiveSpans.result(own), 4)])
    assert [(key, LiveSpans.value(result), since) for key, result, since in live] == [
        (("r", "a"), ("fail", "observed x", "b1", ("A.5.1", "A.8.9")), 4),
        (("r", "b"), ("pass", "", None, None), 2),
    ]
    changed = ("fail", "observed y", "b1", ("A.5.1", "A.8.9"), 6)
    assert live.put(("r", "a"), LiveSpans.result(changed), 6) == (("r", "a"), LiveSpans.result(own), 4)
    assert live.put(("r", "c"), LiveSpans.result(ruled), 6) is None
    assert live.pop(("r", "b")) == (("r", "b"), LiveSpans.result(ruled), 2)
    assert live.pop(("r", "b")) is None
    assert [(key[1], since) for key, _result, since in live] == [("a", 6), ("c", 6)]
    live.replace(span for span in live if span[0][1] != "a")
    assert [key[1] for key, _result, _since in live] == ["c"]
