"""Result spans of a period in a temporary SQLite file, so a long period's spans are not held in memory.

Store.result_span_table fills one (the same rows as Store.result_spans, checked the same way)
and deletes it when its `with` block ends. Rows come back ordered by (rule, resource, first_seq),
as result_spans orders them (SQLite's BINARY collation orders UTF-8 as Python orders str).
"""

from __future__ import annotations

import os
import sqlite3
import tempfile
from collections.abc import Collection, Iterable, Iterator, Mapping
from typing import Any

__all__ = ["SPAN_COLUMNS", "ResultSpans", "ScratchSet"]

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


class ResultSpans:
    """A scratch table of result spans: `add` them, then `select` (any number of passes)."""

    def __init__(self) -> None:
        self._folder = tempfile.TemporaryDirectory(prefix="annexa-spans-")
        self._db = sqlite3.connect(os.path.join(self._folder.name, "spans.sqlite"), isolation_level=None)
        # a scratch file, rebuilt from verified evidence on every use: no journal, no fsync
        self._db.execute("PRAGMA journal_mode=OFF")
        self._db.execute("PRAGMA synchronous=OFF")
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
        self._db = sqlite3.connect(os.path.join(self._folder.name, "set.sqlite"), isolation_level=None)
        self._db.execute("PRAGMA journal_mode=OFF")
        self._db.execute("PRAGMA synchronous=OFF")
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
