"""settle.Part walks a run's entries instead of building its delta and state whole; what it stores
and commits to must be byte for byte what the whole-state definitions give (state.py's format)."""

from __future__ import annotations

import errno
import io
import shutil
from collections import Counter
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, BinaryIO

import pytest
from fakes import fake_fact
from hypothesis import given, settings
from hypothesis import strategies as st

from annexa.errors import StoreError
from annexa.evidence_store.canonical import canonical_bytes, sha256_hex
from annexa.evidence_store.settle import Part, merged
from annexa.evidence_store.state import state_digest
from annexa.evidence_store.store import RunWriter, Store, open_store
from annexa.mappings.catalog import load_catalog
from annexa.mappings.evaluate import evaluate
from annexa.mappings.rules import load_rules
from annexa.model import Result

Key = tuple[str, str]
NOW = datetime(2026, 11, 22, tzinfo=timezone.utc)


def keep(stored: dict[str, bytes]) -> Callable[[str, BinaryIO], None]:
    def put(digest: str, data: BinaryIO) -> None:
        stored[digest] = data.read()

    return put


def whole_delta(before: dict[Key, tuple[Any, ...]], after: dict[Key, tuple[Any, ...]], width: int, base: int) -> bytes:
    """The delta as it was built before settle.py: sorted lists, encoded at once."""
    add = sorted([*key, *value] for key, value in after.items() if tuple(before.get(key, ())[:width]) != tuple(value))
    remove = sorted([*key] for key in before if key not in after)
    return canonical_bytes({"format": "annexa.delta/1", "base": base or None, "add": add, "remove": remove})


def whole_state(before: dict[Key, tuple[Any, ...]], after: dict[Key, tuple[Any, ...]], width: int, seq: int) -> str:
    state = {
        key: (*value, seq if tuple(before.get(key, ())[:width]) != tuple(value) else before[key][width])
        for key, value in after.items()
    }
    return state_digest(state)


names = st.sampled_from(["a", "b", "ç", "r/1", "r/2", "z"])
keys = st.tuples(names, names)
fact_values = st.tuples(st.sampled_from(["h1", "h2", "h3"]), st.sampled_from(["b1", "b2"]))
since = st.integers(min_value=1, max_value=4)


@settings(max_examples=300, deadline=None)
@given(
    before=st.dictionaries(keys, st.tuples(fact_values, since).map(lambda v: (*v[0], v[1])), max_size=12),
    ours=st.dictionaries(keys, fact_values, max_size=12),
    carried_keys=st.lists(keys, max_size=6),
)
def test_settled_delta_and_state_are_the_whole_ones(
    before: dict[Key, tuple[Any, ...]], ours: dict[Key, tuple[Any, ...]], carried_keys: list[Key]
) -> None:
    seq, base = 5, 4
    # carried entries come from the previous state (with their `since`); this run's win a shared key
    carried = {key: before[key] for key in carried_keys if key in before}
    after = {**{key: value[:2] for key, value in carried.items()}, **ours}
    part = Part(before, merged(lambda: iter(sorted(ours.items())), carried, 2), seq, 2, tally=True)
    stored: dict[str, bytes] = {}

    settled = part.settle(base, "annexa.delta/1", io.BytesIO, keep(stored))

    expected = whole_delta(before, after, 2, base)
    assert stored == {sha256_hex(expected): expected}
    assert settled.delta == sha256_hex(expected)
    assert settled.state == whole_state(before, after, 2, seq)
    assert settled.count == len(after)
    assert settled.remove == sorted([*key] for key in before if key not in after)
    # the keys whose open index row the new entry replaces: present before, and changed
    assert settled.replaced == sorted(k for k, v in after.items() if k in before and tuple(before[k][:2]) != v)
    assert settled.tally == dict(Counter(value[0] for value in after.values()))
    assert list(part) == sorted([*k, *v] for k, v in after.items() if tuple(before.get(k, ())[:2]) != v)
    assert part.state() == {
        k: (*v, seq if tuple(before.get(k, ())[:2]) != v else before[k][2]) for k, v in after.items()
    }


def test_a_delta_of_several_chunks_is_the_same_bytes() -> None:
    """Chunks are joined with commas: 15,000 changed entries make three full chunks and a rest."""
    after = {(f"kind{i % 3}", f"resource-{i:05d}"): (f"hash{i}", "batch") for i in range(20_000)}
    before = {key: (*value, 1) for key, value in list(after.items())[::4]}  # a quarter unchanged since run 1
    before[("gone", "x")] = ("h", "b", 1)
    stored: dict[str, bytes] = {}

    settled = Part(before, merged(lambda: iter(sorted(after.items())), {}, 2), 2, 2).settle(
        1, "annexa.delta/1", io.BytesIO, keep(stored)
    )

    expected = whole_delta(before, after, 2, 1)
    assert stored[settled.delta] == expected
    assert settled.state == whole_state(before, after, 2, 2)
    assert settled.remove == [["gone", "x"]]
    assert settled.replaced == [] and settled.tally == {}  # nothing kept changed; no tally asked for


def test_a_repeated_key_keeps_the_last_entry_as_a_dict_would() -> None:
    ours = [(("r", "a"), ("pass", "first")), (("r", "a"), ("fail", "second")), (("r", "b"), ("pass", "only"))]
    carried = {("r", "a"): ("error", "carried", 3), ("r", "c"): ("pass", "carried", 3)}

    walk = merged(lambda: iter(ours), carried, 2)

    assert list(walk()) == [
        (("r", "a"), ("fail", "second")),
        (("r", "b"), ("pass", "only")),
        (("r", "c"), ("pass", "carried")),
    ]
    assert list(walk()) == list(walk())  # walked afresh each time


def _judged_run(store: Store, rules_file: Path, buckets: tuple[str, ...]) -> tuple[RunWriter, list[Result]]:
    """Run `run-1` begun in `store`, with one encrypted fake bucket per name stored and judged."""
    rules = load_rules([rules_file], {"fake.bucket"}, set(load_catalog().ids()))
    mappings = store.put_json({"rules": [r.to_dict() for r in rules]})
    writer = store.begin_run("run-1", "2026-11-22T00:00:00Z", {"mappings": {"object": mappings, "sha256": "x"}})
    stored = [writer.add_fact(fake_fact(name, {"encrypted": True}), "fake.buckets") for name in buckets]
    return writer, evaluate(stored, (), rules, NOW, {"fake.bucket"})


def test_commit_takes_results_in_any_order_the_last_of_a_repeated_key_winning(
    tmp_path: Path, fake_rules_file: Path
) -> None:
    """The evaluator gives results sorted and unique; any other caller's are put in order first."""
    store = open_store(str(tmp_path / "ev"))
    writer, judged = _judged_run(store, fake_rules_file, ("b1", "b2"))
    first = judged[0]
    repeated = replace(first, status="fail", message="the later one")

    run = writer.commit([*reversed(judged), repeated], "2026-11-22T00:01:00Z", {})

    read = {(r.rule, r.resource): (r.status, r.message) for r in store.results(run)}
    assert len(read) == len(judged)
    assert read[(first.rule, first.resource)] == ("fail", "the later one")
    assert store.manifest(run.seq)["results"]["summary"] == {
        status: [v[0] for v in read.values()].count(status) for status in {v[0] for v in read.values()}
    }


def test_a_scratch_file_that_cannot_be_made_is_one_store_error_naming_the_folder(
    tmp_path: Path, fake_rules_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The deltas are built in the store's own tmp folder; a full disk there fails the commit with
    one line (and publishes nothing), never a traceback."""
    store = open_store(str(tmp_path / "ev"))
    writer, judged = _judged_run(store, fake_rules_file, ("b1",))

    def full(**_kwargs: Any) -> BinaryIO:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("annexa.evidence_store.local.tempfile.TemporaryFile", full)
    with pytest.raises(StoreError) as raised:
        writer.commit(judged, "2026-11-22T00:01:00Z", {})

    assert (
        str(raised.value)
        == f"{tmp_path / 'ev'}: cannot write a scratch file in {tmp_path / 'ev' / 'tmp'}: No space left on device"
    )
    assert store.runs() == []


def test_a_file_whose_first_write_is_retried_is_stored_whole(tmp_path: Path) -> None:
    """The local backend writes an object again when its folder went missing under it; a file (a
    delta from the scratch) is then read again from its start, never stored empty under its name."""
    store = open_store(str(tmp_path / "ev"))
    content = b'{"add":[],"base":null}' * 100_000  # more than one 1 MiB block
    digest = sha256_hex(content)
    store.backend.put_object(sha256_hex(b"other"), b"other")  # the backend has made its folders
    shutil.rmtree(tmp_path / "ev" / "objects")  # ... and they are removed under it

    with store.backend.scratch() as scratch:
        scratch.write(content)
        store.backend.put_object(digest, scratch)

    assert store.backend.get_object(digest) == content


def test_a_scratch_file_that_fills_the_disk_is_one_store_error(
    tmp_path: Path, fake_rules_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = open_store(str(tmp_path / "ev"))
    writer, judged = _judged_run(store, fake_rules_file, ("b1",))

    class Full(io.BytesIO):
        def write(self, _data: Any) -> int:
            raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(store.backend, "scratch", Full)
    with pytest.raises(StoreError) as raised:
        writer.commit(judged, "2026-11-22T00:01:00Z", {})

    assert str(raised.value) == f"{tmp_path / 'ev'}: cannot write the deltas of run run-1: No space left on device"
    assert store.runs() == []
