"""A run's facts or results settled against the previous run's state, without holding them twice.

Committing a run needs, for each part (facts, results): its delta against the previous run
(the canonical JSON object the manifest names), the commitment to its new live state
(state.py), and the delta again for the index. At organisation scale a part has 100,000
entries; building the delta's lists, the new state and the encoded text side by side held
each entry four or five times at the commit, the peak of the run. Here the entries are walked
in key order as often as needed instead: the delta is encoded and hashed a chunk at a time,
the state is hashed as it is walked, and neither is ever built whole.
"""

from __future__ import annotations

import hashlib
import heapq
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from operator import itemgetter
from typing import Any, BinaryIO

from annexa.evidence_store.canonical import canonical_bytes
from annexa.evidence_store.state import StateHasher, array_items

__all__ = ["Entries", "Part", "Settled", "merged"]

Key = tuple[str, str]
Entries = Callable[[], Iterator[tuple[Key, tuple[Any, ...]]]]  # a fresh walk in key order, each call


def merged(ours: Entries, carried: Mapping[Key, tuple[Any, ...]], width: int) -> Entries:
    """This run's entries (in key order) with `carried` ones merged in, cut to their stored `width`
    (a state entry ends with its `since`). Where a key repeats, the last wins, as in a dict: this
    run's entry over a carried one, and of this run's, the later."""
    extra = sorted((key, tuple(value[:width])) for key, value in carried.items())

    def walk() -> Iterator[tuple[Key, tuple[Any, ...]]]:
        last: tuple[Key, tuple[Any, ...]] | None = None
        for entry in heapq.merge(extra, ours(), key=itemgetter(0)):  # stable: carried before ours
            if last is not None and last[0] != entry[0]:
                yield last
            last = entry
        if last is not None:
            yield last

    return walk


@dataclass(frozen=True)
class Settled:
    delta: str  # the stored delta object's name (its sha256)
    state: str  # the commitment to the new live state
    count: int  # entries in the new state
    remove: list[list[str]]  # the delta's `remove`, for the index
    replaced: list[Key]  # keys of `add` entries that replace a previous entry: the index closes their rows
    tally: dict[Any, int]  # entries per first value (a result's status), when the part asks for it


@dataclass(frozen=True)
class Part:
    """One part of a run being committed: its entries (`width` values after the key) and the
    previous run's state (values of `width` + 1: the `since` last) they are compared with.

    Iterating it gives the delta's `add` entries, as often as the index needs them."""

    before: Mapping[Key, tuple[Any, ...]]
    entries: Entries
    seq: int
    width: int
    tally: bool = False  # count the new state's entries by their first value (Settled.tally)

    def walk(self) -> Iterator[tuple[Key, tuple[Any, ...], int, bool]]:
        """(key, value, since, changed) for every entry: an entry keeps the run that added it
        (`since`) unless this run changes it."""
        width = self.width
        for key, value in self.entries():
            previous = self.before.get(key)
            if previous is not None and tuple(previous[:width]) == tuple(value):
                yield key, value, previous[width], False
            else:
                yield key, value, self.seq, True

    def __iter__(self) -> Iterator[list[Any]]:
        return ([*key, *value] for key, value, _since, changed in self.walk() if changed)

    def state(self) -> dict[Key, tuple[Any, ...]]:
        """The new live state, whole (only where a run must be kept in memory)."""
        return {key: (*value, since) for key, value, since, _changed in self.walk()}

    def settle(
        self, base: int, delta_format: str, scratch: Callable[[], BinaryIO], put: Callable[[str, BinaryIO], None]
    ) -> Settled:
        """Store the delta against run `base`: the same bytes as canonical_bytes of `{"format",
        "base", "add", "remove"}`, encoded a chunk at a time into a `scratch()` file (tens of MB at
        organisation scale, never held whole), then `put(sha256, file)`. Returns its name, the new
        state's commitment and what the index needs (so it need not walk the entries to learn it)."""
        state, count, remove, replaced, tally = StateHasher(), 0, [], [], {}
        gone, at = sorted(self.before), 0  # the previous keys, walked beside ours

        def changes() -> Iterator[list[Any]]:
            """The delta's `add` entries, hashing the new state and noting the removed keys on the way."""
            nonlocal count, at
            for key, value, since, changed in self.walk():
                while at < len(gone) and gone[at] < key:
                    remove.append([*gone[at]])
                    at += 1
                if at < len(gone) and gone[at] == key:
                    at += 1
                    if changed:
                        replaced.append(key)
                state.add(key, (*value, since))
                count += 1
                if self.tally:
                    tally[value[0]] = tally.get(value[0], 0) + 1
                if changed:
                    yield [*key, *value]
            remove.extend([*key] for key in gone[at:])

        with scratch() as out:
            sha = hashlib.sha256()

            def emit(piece: bytes) -> None:
                sha.update(piece)
                out.write(piece)

            emit(b'{"add":[')
            for piece in array_items(changes()):
                emit(piece)
            # the members after "add", in sorted order; `remove` is whole once the changes are walked
            emit(b"]," + canonical_bytes({"base": base or None, "format": delta_format, "remove": remove})[1:])
            digest = sha.hexdigest()
            out.seek(0)
            put(digest, out)
        return Settled(digest, state.hexdigest(), count, remove, replaced, tally)
