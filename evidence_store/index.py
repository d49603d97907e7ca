"""The derived SQLite index over a store's runs: a cache, never evidence.

Facts and results are kept as intervals of sequence numbers (`first_seq`..`last_seq`,
open while current), so a nightly run adds only what changed, and reading a run does
not slow down as history grows. Nothing read from here is trusted as it is: the store
checks every run's rows against the state its manifest commits to (state.py), so an
edited index makes reports refuse rather than lie, and it is (re)built only from
verified manifests and hash-checked deltas (store.py).

A store that cannot be written (a read-only copy handed to an auditor) still gets an
index: the existing file is copied into memory, or one is built there.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
from collections.abc import Callable, Collection, Iterator, Mapping
from pathlib import Path
from typing import Any

__all__ = ["Index", "SCHEMA_VERSION"]

SCHEMA_VERSION = 3  # 3: rows only (rules and batches are read from verified manifests), since = first_seq

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS runs(
    seq INTEGER PRIMARY KEY, run_id TEXT UNIQUE NOT NULL, type TEXT NOT NULL, manifest_sha256 TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS facts(
    kind TEXT NOT NULL, resource TEXT NOT NULL, hash TEXT NOT NULL, batch TEXT,
    first_seq INTEGER NOT NULL, last_seq INTEGER);
CREATE UNIQUE INDEX IF NOT EXISTS facts_open ON facts(kind, resource) WHERE last_seq IS NULL;
CREATE INDEX IF NOT EXISTS facts_end ON facts(last_seq, first_seq);
CREATE TABLE IF NOT EXISTS results(
    rule TEXT NOT NULL, resource TEXT NOT NULL, status TEXT NOT NULL, message TEXT NOT NULL, batch TEXT,
    first_seq INTEGER NOT NULL, last_seq INTEGER, controls TEXT);
CREATE UNIQUE INDEX IF NOT EXISTS results_open ON results(rule, resource) WHERE last_seq IS NULL;
CREATE INDEX IF NOT EXISTS results_end ON results(last_seq, first_seq);
"""


def _live(latest: bool, table: str = "") -> str:
    """SQL that selects the rows present in run :seq (open rows when it is the latest), of `table`
    (an alias, in a join)."""
    last, first = f"{table}.last_seq" if table else "last_seq", f"{table}.first_seq" if table else "first_seq"
    if latest:
        return f"{last} IS NULL"
    # Two ranges of the (last_seq, first_seq) index: rows still open, and rows closed at or after
    # :seq. A recent run then reads about as many rows as the latest, however long the history.
    return f"(({last} IS NULL AND {first} <= :seq) OR ({last} >= :seq AND {first} <= :seq))"


def _writable(path: Path) -> bool:
    if path.exists():
        return os.access(path, os.R_OK | os.W_OK) and os.access(path.parent, os.W_OK)
    folder = path.parent
    while not folder.exists() and folder != folder.parent:  # the folders that mkdir would create
        folder = folder.parent
    return os.access(folder, os.W_OK)


class Index:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.in_memory = False
        try:
            if not _writable(path):
                raise PermissionError(path)
            path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(path, timeout=60, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(_SCHEMA)
        except (OSError, sqlite3.OperationalError):
            self._db = self._memory_copy(path)
        self._db.row_factory = sqlite3.Row
        row = self._db.execute("SELECT value FROM meta WHERE key='schema'").fetchone()
        if row is None:
            self._db.execute("INSERT OR REPLACE INTO meta VALUES('schema', ?)", (str(SCHEMA_VERSION),))
        elif row["value"] != str(SCHEMA_VERSION):
            self.clear()

    def _memory_copy(self, path: Path) -> sqlite3.Connection:
        """The index of a store we cannot write: its file copied into memory (or a new one there)."""
        self.in_memory = True
        memory = sqlite3.connect(":memory:", isolation_level=None)
        if path.is_file() and os.access(path, os.R_OK):
            try:
                # immutable: the file is read as it is, without the -wal/-shm files a read-only folder cannot hold
                source = sqlite3.connect(f"file:{path}?immutable=1", uri=True)
                try:
                    source.backup(memory)
                finally:
                    source.close()
            except sqlite3.DatabaseError:
                memory = sqlite3.connect(":memory:", isolation_level=None)  # unreadable: rebuilt from the store
        memory.executescript(_SCHEMA)
        return memory

    def close(self) -> None:
        self._db.close()

    def clear(self) -> None:
        self._db.executescript(
            "DROP TABLE IF EXISTS runs; DROP TABLE IF EXISTS batches; DROP TABLE IF EXISTS rules;"
            "DROP TABLE IF EXISTS facts; DROP TABLE IF EXISTS results; DROP TABLE IF EXISTS meta;"
        )
        self._db.executescript(_SCHEMA)
        self._db.execute("INSERT OR REPLACE INTO meta VALUES('schema', ?)", (str(SCHEMA_VERSION),))

    # -- writing -----------------------------------------------------------------

    def apply(
        self,
        manifest: Mapping[str, Any],
        manifest_sha256: str,
        fact_delta: Mapping[str, Any],
        result_delta: Mapping[str, Any],
    ) -> None:
        """Add one run (its manifest and the deltas it references) in one transaction."""
        seq = int(manifest["sequence"])
        db = self._db
        db.execute("BEGIN IMMEDIATE")
        try:
            if db.execute("SELECT 1 FROM runs WHERE seq=?", (seq,)).fetchone():
                db.execute("ROLLBACK")
                return
            db.execute(
                "INSERT INTO runs VALUES(?,?,?,?)",
                (seq, manifest["run_id"], manifest.get("type", "collection"), manifest_sha256),
            )
            self._apply_delta("facts", ("kind", "resource"), fact_delta, seq)
            self._apply_delta("results", ("rule", "resource"), result_delta, seq)
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise

    def _apply_delta(self, table: str, key: tuple[str, str], delta: Mapping[str, Any], seq: int) -> None:
        """`delta["add"]` may be a settle.Part, which walks the run's entries afresh on each pass:
        rows are generated, never listed, so a run of 100,000 entries is not held here a second time.
        An added row closes the open row of its key, if any. A committing run knows which keys have
        one (`delta["replaced"]`, from settle.Settled), so its first run closes none; a stored delta
        (reindex) does not, and then every added key is tried."""
        close = f"UPDATE {table} SET last_seq=? WHERE {key[0]}=? AND {key[1]}=? AND last_seq IS NULL"
        self._db.executemany(close, ((seq - 1, k[0], k[1]) for k in delta.get("remove", [])))
        replaced = delta["replaced"] if "replaced" in delta else delta.get("add", [])
        self._db.executemany(close, ((seq - 1, k[0], k[1]) for k in replaced))
        if table == "facts":
            facts = ((e[0], e[1], e[2], e[3], seq) for e in delta.get("add", []))
            self._db.executemany("INSERT INTO facts VALUES(?,?,?,?,?,NULL)", facts)
        else:
            # A 6th element carries the result's own controls where they differ from its rule's;
            # null (or no 6th element) means the rule's controls.
            results = (
                (e[0], e[1], e[2], e[3], e[4], seq, json.dumps(e[5]) if len(e) > 5 and e[5] is not None else None)
                for e in delta.get("add", [])
            )
            self._db.executemany("INSERT INTO results VALUES(?,?,?,?,?,?,NULL,?)", results)

    # -- reading (unverified: the store checks what it reads) ------------------------

    def runs(self) -> list[sqlite3.Row]:
        return self._db.execute("SELECT seq, run_id, type, manifest_sha256 FROM runs ORDER BY seq").fetchall()

    def run(self, seq: int) -> sqlite3.Row | None:
        return self._db.execute("SELECT * FROM runs WHERE seq=?", (seq,)).fetchone()

    def run_by_id(self, run_id: str) -> sqlite3.Row | None:
        return self._db.execute("SELECT * FROM runs WHERE run_id=?", (run_id,)).fetchone()

    def latest_seq(self) -> int:
        row = self._db.execute("SELECT MAX(seq) AS seq FROM runs").fetchone()
        return int(row["seq"] or 0)

    def collection_seqs(self, before: int | None = None, limit: int = 2) -> list[int]:
        """The newest collection runs (not attestations), newest first, optionally before `before`."""
        rows = self._db.execute(
            "SELECT seq FROM runs WHERE type = 'collection' AND seq < ? ORDER BY seq DESC LIMIT ?",
            (before if before is not None else 2**62, limit),
        )
        return [int(r["seq"]) for r in rows]

    def fact_state(self, seq: int) -> dict[tuple[str, str], tuple[Any, ...]]:
        """(kind, resource) -> (hash, batch, first_seq) of every fact row live in run `seq`."""
        rows = self._db.execute(
            f"SELECT kind, resource, hash, batch, first_seq FROM facts WHERE {_live(seq == self.latest_seq())}",
            {"seq": seq},
        )
        return {(r[0], r[1]): (r[2], r[3], r[4]) for r in rows}

    def result_state(self, seq: int) -> dict[tuple[str, str], tuple[Any, ...]]:
        """(rule, resource) -> (status, message, batch, controls or None, first_seq) of run `seq`."""
        rows = self._db.execute(
            "SELECT rule, resource, status, message, batch, controls, first_seq FROM results "
            f"WHERE {_live(seq == self.latest_seq())}",
            {"seq": seq},
        )
        return {(r[0], r[1]): (r[2], r[3], r[4], json.loads(r[5]) if r[5] else None, r[6]) for r in rows}

    @contextlib.contextmanager
    def reading(self) -> Iterator[None]:
        """One read transaction: every query inside sees the same snapshot (a run checked in one
        pass and read in the next is the run that was checked). Nested uses share the outer one."""
        if self._db.in_transaction:
            yield
            return
        self._db.execute("BEGIN")
        try:
            yield
        finally:
            if self._db.in_transaction:
                self._db.execute("COMMIT")

    def result_rows(
        self,
        seq: int,
        statuses: Collection[str] | None = None,
        rank: Callable[[str, str], int] | None = None,
        by_resource: bool = False,
    ) -> Iterator[tuple[tuple[str, str], tuple[Any, ...]]]:
        """Run `seq`'s result rows one at a time, as `result_state` has them: by (rule, resource),
        by (resource, rule) with `by_resource`, or by `rank(rule, status)` first; only `statuses`
        when given. SQLite sorts (spilling to disk when large), so memory does not grow with the
        number of rows."""
        where = _live(seq == self.latest_seq())
        params: dict[str, Any] = {"seq": seq}
        if statuses is not None:
            names = [f"s{n}" for n in range(len(statuses))]
            where += f" AND status IN ({', '.join(':' + n for n in names)})"
            params.update(zip(names, sorted(statuses), strict=True))
        order = "resource, rule" if by_resource else "rule, resource"
        if rank is not None:
            self._db.create_function("annexa_rank", 2, rank, deterministic=True)
            order = "annexa_rank(rule, status), rule, resource"
        rows = self._db.execute(
            f"SELECT rule, resource, status, message, batch, controls, first_seq FROM results WHERE {where} "
            f"ORDER BY {order}",
            params,
        )
        for r in rows:
            yield (r[0], r[1]), (r[2], r[3], r[4], json.loads(r[5]) if r[5] else None, r[6])

    def fact_rows(self, seq: int) -> Iterator[tuple[tuple[str, str], tuple[Any, ...]]]:
        """Run `seq`'s fact rows one at a time by (kind, resource), as `fact_state` has them."""
        rows = self._db.execute(
            f"SELECT kind, resource, hash, batch, first_seq FROM facts WHERE {_live(seq == self.latest_seq())} "
            "ORDER BY kind, resource",
            {"seq": seq},
        )
        for r in rows:
            yield (r[0], r[1]), (r[2], r[3], r[4])

    def result_fact_rows(
        self, seq: int, kind_of: Callable[[str], str], by_resource: bool = False
    ) -> Iterator[tuple[tuple[str, str], tuple[Any, ...], tuple[Any, ...] | None]]:
        """Run `seq`'s result rows as `result_rows` has them, each with the row of the fact it judged
        (kind `kind_of(rule)`, same resource) live in that run, or None: joined by SQLite, so no
        side of the join is held in memory."""
        latest = seq == self.latest_seq()
        self._db.create_function("annexa_kind", 1, kind_of, deterministic=True)
        fact_live, result_live = _live(latest, "f"), _live(latest, "r")
        order = "r.resource, r.rule" if by_resource else "r.rule, r.resource"
        rows = self._db.execute(
            "SELECT r.rule, r.resource, r.status, r.message, r.batch, r.controls, r.first_seq, "
            "f.hash, f.batch, f.first_seq FROM results r LEFT JOIN facts f "
            f"ON f.kind = annexa_kind(r.rule) AND f.resource = r.resource AND {fact_live} "
            f"WHERE {result_live} ORDER BY {order}",
            {"seq": seq},
        )
        for r in rows:
            fact = None if r[7] is None else (r[7], r[8], r[9])
            yield (r[0], r[1]), (r[2], r[3], r[4], json.loads(r[5]) if r[5] else None, r[6]), fact
