"""A run's live state, and the commitment to it that its manifest carries.

The index keeps facts and results as intervals so reports need not replay history;
but the index is a cache anyone with write access can edit. So each manifest (signed)
commits to the whole state of its run, and whoever reads a run from the index
recomputes the commitment from the rows it got and compares (evidence_store/store.py).

An entry is a delta `add` entry plus the sequence number of the run that added it
(`since`): a fact `[kind, resource, object hash, batch, since]`, a result
`[rule, resource, status, message, batch, controls or null, since]`. The commitment
(`facts.state`, `results.state` in the manifest) is the sha256 of the canonical JSON
array of the entries sorted by their first two members (a unique key). `since` is in
it so that "failing since run N" is as bound to the signature as the status is.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

__all__ = [
    "FactState",
    "ResultState",
    "StateHasher",
    "array_items",
    "entries_digest",
    "state_digest",
    "streamed_digest",
]

# (kind, resource) -> (object hash, batch, since)
FactState = dict[tuple[str, str], tuple[Any, ...]]
# (rule, resource) -> (status, message, batch, controls or None, since)
ResultState = dict[tuple[str, str], tuple[Any, ...]]

# The same bytes as canonical_bytes (sorted keys are moot: entries are arrays), without its per-call overhead,
# nor the circular-reference check (an id kept per array; entries are parsed JSON, which has no cycles).
_encode = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, allow_nan=False, check_circular=False).encode


_CHUNK = 4096  # entries per encode: a few hundred KB of text


def state_digest(state: Mapping[tuple[str, str], tuple[Any, ...]]) -> str:
    """The commitment to a live state (see the module docstring)."""
    return entries_digest([[*key, *state[key]] for key in sorted(state)])


def entries_digest(entries: list[list[Any]]) -> str:
    """The commitment to a state given as its entries, already sorted by key: the canonical array
    encoded and hashed _CHUNK entries at a time (the same bytes, never the whole text at once)."""
    sha = hashlib.sha256(b"[")
    for piece in array_items(entries):
        sha.update(piece)
    sha.update(b"]")
    return sha.hexdigest()


def array_items(entries: Iterable[list[Any]]) -> Iterator[bytes]:
    """The inside of the canonical JSON array of `entries` (no brackets), _CHUNK entries per
    piece, the pieces joined by commas: a large array is encoded without its whole text at once."""
    chunk: list[list[Any]] = []
    separator = b""
    for entry in entries:
        chunk.append(entry)
        if len(chunk) == _CHUNK:
            yield separator + _encode(chunk)[1:-1].encode("utf-8")
            chunk, separator = [], b","
    if chunk:
        yield separator + _encode(chunk)[1:-1].encode("utf-8")


def streamed_digest(items: Iterable[tuple[tuple[str, str], tuple[Any, ...]]]) -> str:
    """`state_digest` of a state given as (key, value) pairs in key order, one at a time: the same
    bytes hashed as they are encoded, so checking a run does not hold it in memory."""
    hasher = StateHasher()
    for key, value in items:
        hasher.add(key, value)
    return hasher.hexdigest()


class StateHasher:
    """`state_digest` fed one (key, value) pair at a time, in key order."""

    def __init__(self) -> None:
        self._sha = hashlib.sha256(b"[")
        self._separator = b""

    def add(self, key: tuple[str, str], value: tuple[Any, ...]) -> None:
        self._sha.update(self._separator + _encode([*key, *value]).encode("utf-8"))
        self._separator = b","

    def hexdigest(self) -> str:
        sha = self._sha.copy()
        sha.update(b"]")
        return sha.hexdigest()
