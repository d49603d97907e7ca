"""Scratch tables in temporary SQLite files, for what grows with a store or a period and need not
be held in memory.

ResultSpans: the result spans of a period. Store.result_span_table fills one (the same rows as
Store.result_spans, checked the same way) and deletes it when its `with` block ends. Rows come
back ordered by (rule, resource, first_seq), as result_spans orders them (SQLite's BINARY
collation orders UTF-8 as Python orders str).
ScratchSet: a set of strings, read back sorted.
ScratchRows: report rows (the non-conformity register's), read back in a sort key's order.
"""

from __future__ import annotations

import functools
import json
import os
import sqlite3
import tempfile
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from typing import Any

__all__ = [
    "SPAN_COLUMNS",
    "LiveSpans",
    "Result",
    "ResultSpans",
    "ScratchRows",
    "ScratchSet",
    "Selection",
    "Span",
    "scratch_db",
]

SPAN_COLUMNS = (
    "rule",
    "resource",
    "status",
    "message",
    "first_seq",
    "last_seq",
    "kind",
    "controls",
    "severity",
    "title",
    "remediation",
    "scope",
    "batch",
)
_ORDER = "ORDER BY rule, resource, first_seq"
_REPEATED = ("rule", "status", "kind", "controls", "severity", "title", "remediation", "scope", "batch")


def scratch_db(path: str) -> sqlite3.Connection:
    """A connection to a scratch database: rebuilt from verified evidence on every use, so no
    journal and no fsync. An empty `path` is SQLite's private temporary database, deleted when
    the connection closes."""
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=OFF")
    db.execute("PRAGMA synchronous=OFF")
    return db


class ResultSpans:
    """A scratch table of result spans: `add` them, then `select` (any number of passes)."""

    def __init__(self) -> None:
        self._folder = tempfile.TemporaryDirectory(prefix="annexa-spans-")
        self._db = scratch_db(os.path.join(self._folder.name, "spans.sqlite"))
        self._db.execute(f"CREATE TABLE spans({', '.join(SPAN_COLUMNS)})")
        self._db.execute("BEGIN")
        self._indexed = False
        self._filters = 0
        self.count = 0

    def add(self, rows: Iterable[Mapping[str, Any]]) -> None:
        marks = ", ".join(f":{column}" for column in SPAN_COLUMNS)
        before = self._db.total_changes
        self._db.executemany(f"INSERT INTO spans VALUES({marks})", rows)
        self.count += self._db.total_changes - before

    def _ready(self) -> None:
        if not self._indexed:
            self._db.execute("COMMIT")
            self._db.execute("CREATE INDEX spans_order ON spans(rule, resource, first_seq)")
            self._indexed = True

    def select(
        self, statuses: Collection[str] | None = None, resources: Collection[str] | None = None
    ) -> Iterator[dict[str, Any]]:
        """The spans as dicts (Store.result_spans's keys), ordered by (rule, resource, first_seq);
        only those with one of `statuses` / on one of `resources` when given."""
        self._ready()
        where, params = [], []
        if statuses is not None:
            where.append(f"status IN ({', '.join('?' * len(statuses))})")
            params.extend(sorted(statuses))
        if resources is not None:  # a table per filter: selects may be read side by side
            self._filters += 1
            table = f"wanted{self._filters}"
            self._db.execute(f"CREATE TEMP TABLE {table}(resource TEXT PRIMARY KEY)")
            self._db.executemany(f"INSERT OR IGNORE INTO {table} VALUES(?)", ((r,) for r in resources))
            where.append(f"resource IN (SELECT resource FROM {table})")
        sql = "SELECT * FROM spans" + (f" WHERE {' AND '.join(where)}" if where else "") + f" {_ORDER}"
        # SQLite hands out a new str per cell: the values spans repeat (a rule's title, a batch's
        # scope) are shared again, as result_spans shares them, so rows kept by a reader stay small
        shared: dict[Any, Any] = {}
        for row in self._db.cursor().execute(sql, params):
            span = dict(zip(SPAN_COLUMNS, row, strict=True))
            for column in _REPEATED:
                span[column] = shared.setdefault(span[column], span[column])
            yield span

    def close(self) -> None:
        self._db.close()
        self._folder.cleanup()


class ScratchSet:
    """A set of strings in a temporary SQLite file, read back sorted: for sets that grow with a
    period (the objects a pack holds) and need not be held in memory."""

    def __init__(self) -> None:
        self._folder = tempfile.TemporaryDirectory(prefix="annexa-set-")
        self._db = scratch_db(os.path.join(self._folder.name, "set.sqlite"))
        self._db.execute("CREATE TABLE items(item TEXT PRIMARY KEY) WITHOUT ROWID")

    def __enter__(self) -> ScratchSet:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def update(self, items: Iterable[str]) -> None:
        with self._db:
            self._db.execute("BEGIN")
            self._db.executemany("INSERT OR IGNORE INTO items VALUES(?)", ((item,) for item in items))

    def __len__(self) -> int:
        return int(self._db.execute("SELECT count(*) FROM items").fetchone()[0])

    def __iter__(self) -> Iterator[str]:
        """Sorted as Python sorts str (SQLite's BINARY collation on UTF-8)."""
        for (item,) in self._db.cursor().execute("SELECT item FROM items ORDER BY item"):
            yield item

    def close(self) -> None:
        self._db.close()
        self._folder.cleanup()


Key = Callable[[Mapping[str, Any]], tuple[Any, ...]]  # of str, int or None, as many as `width`


class ScratchRows:
    """Rows (dicts of JSON values) `add`ed one at a time, then read back in the order Python's
    `sorted(rows, key=key)` gives (ties in the order added), any number of times: all of them
    (iterate), or those carrying one of some tags (`having`), e.g. a register row's controls.

    A row comes back as `json.loads(json.dumps(row))`: tuples as lists. The database is SQLite's
    private temporary one (pages beyond its small cache go to a temporary file), deleted when the
    object is: a register handed to a caller needs no `with`."""

    def __init__(self, key: Key, width: int, tags: Callable[[Mapping[str, Any]], Iterable[str]] | None = None) -> None:
        self._key, self._width, self._tags = key, width, tags
        self._db = scratch_db("")
        keys = ", ".join(f"k{i}" for i in range(width))
        self._db.execute(f"CREATE TABLE rows(id INTEGER PRIMARY KEY, {keys}, row TEXT NOT NULL)")
        self._db.execute("CREATE TABLE tags(tag TEXT NOT NULL, id INTEGER NOT NULL)")
        self._db.execute("BEGIN")
        self._insert = f"INSERT INTO rows VALUES(NULL, {', '.join('?' * (width + 1))})"
        self._order = f"{keys}, id"  # id: ties in the order added, as Python's stable sort leaves them
        self._indexed = False

    def add(self, row: Mapping[str, Any]) -> None:
        if self._indexed:
            raise RuntimeError("ScratchRows: add after the rows were read")
        key = tuple(self._key(row))
        if len(key) != self._width:
            raise ValueError(f"ScratchRows: a key of {len(key)} values, not {self._width}")
        added = self._db.execute(self._insert, (*key, json.dumps(row))).lastrowid
        if self._tags is not None:
            self._db.executemany("INSERT INTO tags VALUES(?, ?)", ((tag, added) for tag in self._tags(row)))

    def _ready(self) -> None:
        if not self._indexed:
            self._db.execute("COMMIT")
            self._db.execute(f"CREATE INDEX rows_order ON rows({self._order})")
            self._db.execute("CREATE INDEX tags_tag ON tags(tag, id)")
            self._indexed = True

    def _where(self, tags: Collection[str] | None) -> tuple[str, list[str]]:
        if tags is None:
            return "", []
        wanted = sorted(set(tags))
        return f" WHERE id IN (SELECT id FROM tags WHERE tag IN ({', '.join('?' * len(wanted))}))", wanted

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return self._select(None)

    def __len__(self) -> int:
        return self._count(None)

    def having(self, tags: Collection[str] | None) -> Selection:
        """The rows carrying any of `tags` (all rows when None), in order; re-iterable."""
        return Selection(self, tags)

    def _select(self, tags: Collection[str] | None) -> Iterator[dict[str, Any]]:
        self._ready()
        where, params = self._where(tags)
        for (text,) in self._db.cursor().execute(f"SELECT row FROM rows{where} ORDER BY {self._order}", params):
            yield json.loads(text)

    def _count(self, tags: Collection[str] | None) -> int:
        self._ready()
        where, params = self._where(tags)
        return int(self._db.execute(f"SELECT count(*) FROM rows{where}", params).fetchone()[0])


class Selection:
    """Some of a ScratchRows's rows (see ScratchRows.having): iterate (again and again), len, bool."""

    def __init__(self, rows: ScratchRows, tags: Collection[str] | None) -> None:
        self._rows, self._tags = rows, None if tags is None else frozenset(tags)

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return self._rows._select(self._tags)

    def __len__(self) -> int:
        return self._rows._count(self._tags)


Result = tuple[Any, Any, Any, "str | None"]  # status, message, batch, controls as JSON text (None: the rule's)
Span = tuple[tuple[str, str], Result, int]  # (rule, resource), its result (LiveSpans.result), the run it began in


class LiveSpans:
    """The result spans still open while a chain's result deltas are replayed (Store._span_rows):
    one per result of a run, so they are kept in a scratch table, not in memory. A result is kept
    as `result` gives it: compared and carried as it is, turned back into a value (`value`) only
    for a span's row."""

    @staticmethod
    def result(value: Sequence[Any]) -> Result:
        """A result value's status, message, batch and controls (a list or a tuple, as JSON text):
        two values agree when their results are equal."""
        return (value[0], value[1], value[2], None if value[3] is None else _controls_text(tuple(value[3])))

    @staticmethod
    def value(result: Result) -> tuple[Any, ...]:
        """The value (status, message, batch, controls as a tuple or None) of a `result`."""
        return (*result[:3], None if result[3] is None else _controls_of(result[3]))

    def __init__(self, spans: Iterable[Span]) -> None:
        self._db = scratch_db("")
        self._db.execute(_LIVE_TABLE.format(name="live"))
        self._db.execute("BEGIN")
        self._db.executemany(_LIVE_INSERT.format(name="live"), _live_rows(spans))

    def put(self, key: tuple[str, str], result: Result, since: int) -> Span | None:
        """Open a span for `key`; the one it closes, if any."""
        closed = self.pop(key)
        self._db.execute(_LIVE_INSERT.format(name="live"), (*key, *result, since))
        return closed

    def pop(self, key: tuple[str, str]) -> Span | None:
        """Close `key`'s span; the span, or None when none was open."""
        found = self._db.execute(
            "SELECT status, message, batch, controls, since FROM live WHERE rule = ? AND resource = ?", key
        ).fetchone()
        if found is None:
            return None
        self._db.execute("DELETE FROM live WHERE rule = ? AND resource = ?", key)
        return key, found[:4], found[4]

    def __iter__(self) -> Iterator[Span]:
        """The open spans by key, as Python orders (rule, resource)."""
        for row in self._db.cursor().execute("SELECT * FROM live ORDER BY rule, resource"):
            yield row[:2], row[2:6], row[6]

    def replace(self, spans: Iterable[Span]) -> None:
        """Hold `spans` instead (they may be read from this table's own iteration as they are written)."""
        self._db.execute(_LIVE_TABLE.format(name="next"))
        self._db.executemany(_LIVE_INSERT.format(name="next"), _live_rows(spans))
        self._db.execute("DROP TABLE live")
        self._db.execute("ALTER TABLE next RENAME TO live")


_LIVE_TABLE = (
    "CREATE TABLE {name}(rule TEXT NOT NULL, resource TEXT NOT NULL, status, message, batch, controls, "
    "since INTEGER NOT NULL, PRIMARY KEY(rule, resource)) WITHOUT ROWID"
)
_LIVE_INSERT = "INSERT INTO {name} VALUES(?, ?, ?, ?, ?, ?, ?)"


def _live_rows(spans: Iterable[Span]) -> Iterator[tuple[Any, ...]]:
    return ((key[0], key[1], *result, since) for key, result, since in spans)


# A run's results share a few controls lists (one per rule, mostly): each is encoded and decoded once.
@functools.lru_cache(maxsize=4096)
def _controls_text(controls: tuple[str, ...]) -> str:
    return json.dumps(list(controls))


@functools.lru_cache(maxsize=4096)
def _controls_of(text: str) -> tuple[str, ...]:
    return tuple(json.loads(text))
