"""The derived SQLite index over a store's runs.

Nothing here is evidence: the index is rebuilt from manifests and objects at any
time (`annexa reindex`). Facts and results are kept as intervals of sequence
numbers (`first_seq`..`last_seq`, open while current), so a nightly run adds only
what changed, and reading the latest run does not slow down as history grows.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from annexa.evidence_store.batches import batch_collector

__all__ = ["Index", "SCHEMA_VERSION"]

SCHEMA_VERSION = 2  # 2: runs.type (collection | attestation), results.controls

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS runs(
    seq INTEGER PRIMARY KEY, run_id TEXT UNIQUE NOT NULL, status TEXT NOT NULL,
    started_at TEXT NOT NULL, finished_at TEXT NOT NULL, manifest_sha256 TEXT NOT NULL,
    mappings TEXT NOT NULL, facts INTEGER NOT NULL, results INTEGER NOT NULL, errors INTEGER NOT NULL,
    manifest TEXT NOT NULL, type TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS batches(
    seq INTEGER NOT NULL, batch TEXT NOT NULL, collector TEXT NOT NULL, scope TEXT NOT NULL,
    collected_at TEXT NOT NULL, PRIMARY KEY(seq, batch));
CREATE TABLE IF NOT EXISTS rules(
    mappings TEXT NOT NULL, rule TEXT NOT NULL, kind TEXT NOT NULL, controls TEXT NOT NULL,
    severity TEXT NOT NULL, title TEXT NOT NULL, remediation TEXT NOT NULL, PRIMARY KEY(mappings, rule));
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


def _live(table: str, latest: bool) -> str:
    """SQL that selects the rows of `table` present in run :seq (open rows when it is the latest)."""
    if latest:
        return f"{table}.last_seq IS NULL"
    # Two ranges of the (last_seq, first_seq) index: rows still open, and rows closed at or after
    # :seq. A recent run then reads about as many rows as the latest, however long the history.
    return (
        f"(({table}.last_seq IS NULL AND {table}.first_seq <= :seq)"
        f" OR ({table}.last_seq >= :seq AND {table}.first_seq <= :seq))"
    )


class Index:
    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, timeout=60, isolation_level=None)
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)
        row = self._db.execute("SELECT value FROM meta WHERE key='schema'").fetchone()
        if row is None:
            self._db.execute("INSERT OR REPLACE INTO meta VALUES('schema', ?)", (str(SCHEMA_VERSION),))
        elif row["value"] != str(SCHEMA_VERSION):
            self.clear()

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
        mappings: Mapping[str, Any],
    ) -> None:
        """Add one run (its manifest and the deltas it references) in one transaction."""
        seq = int(manifest["sequence"])
        db = self._db
        db.execute("BEGIN IMMEDIATE")
        try:
            if db.execute("SELECT 1 FROM runs WHERE seq=?", (seq,)).fetchone():
                db.execute("ROLLBACK")
                return
            mappings_hash = manifest["mappings"]["object"]
            db.execute(
                "INSERT INTO runs VALUES(?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    seq,
                    manifest["run_id"],
                    manifest["status"],
                    manifest["started_at"],
                    manifest["finished_at"],
                    manifest_sha256,
                    mappings_hash,
                    manifest["facts"]["count"],
                    manifest["results"]["count"],
                    len(manifest.get("errors", [])),
                    json.dumps(manifest, sort_keys=True),
                    manifest.get("type", "collection"),
                ),
            )
            db.executemany(
                "INSERT INTO batches VALUES(?,?,?,?,?)",
                [
                    (seq, key, batch_collector(key), json.dumps(b["scope"], sort_keys=True), b["collected_at"])
                    for key, b in manifest.get("batches", {}).items()
                ],
            )
            db.executemany(
                "INSERT OR IGNORE INTO rules VALUES(?,?,?,?,?,?,?)",
                [
                    (
                        mappings_hash,
                        r["id"],
                        r["fact"],
                        json.dumps(r["controls"]),
                        r["severity"],
                        r["title"],
                        r["remediation"],
                    )
                    for r in mappings.get("rules", [])
                ],
            )
            self._apply_delta("facts", ("kind", "resource"), fact_delta, seq)
            self._apply_delta("results", ("rule", "resource"), result_delta, seq)
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise

    def _apply_delta(self, table: str, key: tuple[str, str], delta: Mapping[str, Any], seq: int) -> None:
        close = f"UPDATE {table} SET last_seq=? WHERE {key[0]}=? AND {key[1]}=? AND last_seq IS NULL"
        self._db.executemany(close, [(seq - 1, k[0], k[1]) for k in delta.get("remove", [])])
        self._db.executemany(close, [(seq - 1, e[0], e[1]) for e in delta.get("add", [])])
        if table == "facts":
            rows = [(e[0], e[1], e[2], e[3], seq) for e in delta.get("add", [])]
            self._db.executemany("INSERT INTO facts VALUES(?,?,?,?,?,NULL)", rows)
        else:
            # A 6th element carries the result's own controls where they differ from its rule's;
            # null (or no 6th element) means the rule's controls.
            rows = [
                (e[0], e[1], e[2], e[3], e[4], seq, json.dumps(e[5]) if len(e) > 5 and e[5] is not None else None)
                for e in delta.get("add", [])
            ]
            self._db.executemany("INSERT INTO results VALUES(?,?,?,?,?,?,NULL,?)", rows)

    # -- reading -----------------------------------------------------------------

    def runs(self) -> list[sqlite3.Row]:
        return self._db.execute(
            "SELECT seq, run_id, status, started_at, finished_at, manifest_sha256, facts, results, errors, type "
            "FROM runs ORDER BY seq"
        ).fetchall()

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

    def attestation_facts(self, up_to: int) -> list[sqlite3.Row]:
        """Every attestation fact recorded in runs up to `up_to`, whatever came after (attestations
        live in their own runs, so later collection runs do not carry them)."""
        return self._db.execute(
            "SELECT DISTINCT f.hash, f.first_seq FROM facts f JOIN runs ON runs.seq = f.first_seq "
            "WHERE runs.type = 'attestation' AND f.kind = 'attestation.control' AND f.first_seq <= ? "
            "ORDER BY f.first_seq",
            (up_to,),
        ).fetchall()

    def current_facts(self) -> dict[tuple[str, str], tuple[str, str | None]]:
        """(kind, resource) -> (hash, batch) of the latest run, for computing the next delta."""
        rows = self._db.execute("SELECT kind, resource, hash, batch FROM facts WHERE last_seq IS NULL")
        return {(r[0], r[1]): (r[2], r[3]) for r in rows}

    def current_results(self) -> dict[tuple[str, str], tuple[Any, ...]]:
        rows = self._db.execute(
            "SELECT rule, resource, status, message, batch, controls FROM results WHERE last_seq IS NULL"
        )
        return {(r[0], r[1]): (r[2], r[3], r[4], json.loads(r[5]) if r[5] else None) for r in rows}

    def facts(self, seq: int) -> Iterator[sqlite3.Row]:
        live = _live("f", seq == self.latest_seq())
        return self._db.execute(
            f"SELECT f.kind, f.resource, f.hash, f.batch, b.collected_at FROM facts f "
            f"LEFT JOIN batches b ON b.seq = :seq AND b.batch = f.batch WHERE {live} ORDER BY f.kind, f.resource",
            {"seq": seq},
        )

    def results(self, seq: int) -> list[sqlite3.Row]:
        """Results of run `seq` joined with their rule (controls, severity) and batch (scope, time)."""
        live = _live("r", seq == self.latest_seq())
        return self._db.execute(
            "SELECT r.rule, r.resource, r.status, r.message, u.kind, COALESCE(r.controls, u.controls) AS controls, "
            "u.severity, u.title, "
            "u.remediation, b.scope, b.collected_at FROM results r "
            "JOIN runs ON runs.seq = :seq "
            "LEFT JOIN rules u ON u.mappings = runs.mappings AND u.rule = r.rule "
            f"LEFT JOIN batches b ON b.seq = :seq AND b.batch = r.batch WHERE {live} ORDER BY r.rule, r.resource",
            {"seq": seq},
        ).fetchall()

    # -- changes between two runs (drift) ------------------------------------------

    def _changes(self, table: str, columns: str, a: int, b: int) -> tuple[list[sqlite3.Row], list[sqlite3.Row]]:
        """Rows of `table` live in run `a` but not `b` (gone), and live in `b` but not `a` (new), for a < b.

        With rows kept as intervals, only rows whose interval starts or ends between
        the two runs can differ, so the cost follows the change, not the store's size.
        """
        gone = self._db.execute(
            f"SELECT {columns} FROM {table} WHERE first_seq <= :a AND last_seq >= :a AND last_seq < :b",
            {"a": a, "b": b},
        ).fetchall()
        new = self._db.execute(
            f"SELECT {columns} FROM {table} WHERE first_seq > :a AND first_seq <= :b "
            "AND (last_seq IS NULL OR last_seq >= :b)",
            {"a": a, "b": b},
        ).fetchall()
        return gone, new

    def fact_changes(self, a: int, b: int) -> dict[tuple[str, str], tuple[str | None, str | None]]:
        """(kind, resource) -> (hash in run a, hash in run b) for every fact that differs; None = absent."""
        gone, new = self._changes("facts", "kind, resource, hash", a, b)
        out: dict[tuple[str, str], tuple[str | None, str | None]] = {(r[0], r[1]): (r[2], None) for r in gone}
        for r in new:
            out[(r[0], r[1])] = (out.get((r[0], r[1]), (None, None))[0], r[2])
        return out

    def result_changes(self, a: int, b: int) -> list[tuple[sqlite3.Row | None, sqlite3.Row | None]]:
        """(row in run a, row in run b) per (rule, resource) whose result differs, each row joined
        with its run's rule (kind, controls, severity, title) and batch (scope, collected_at)."""
        columns = "rule, resource, status, message, batch, first_seq, last_seq"
        gone, new = self._changes("results", columns, a, b)
        before = {(r["rule"], r["resource"]): self._result_row(r, a) for r in gone}
        after = {(r["rule"], r["resource"]): self._result_row(r, b) for r in new}
        return [(before.get(key), after.get(key)) for key in sorted({*before, *after})]

    def _result_row(self, row: sqlite3.Row, seq: int) -> sqlite3.Row:
        return self._db.execute(
            "SELECT :rule AS rule, :resource AS resource, :status AS status, :message AS message, "
            "u.kind, u.controls, u.severity, u.title, u.remediation, b.scope, b.collected_at "
            "FROM runs LEFT JOIN rules u ON u.mappings = runs.mappings AND u.rule = :rule "
            "LEFT JOIN batches b ON b.seq = runs.seq AND b.batch = :batch WHERE runs.seq = :seq",
            {
                "rule": row["rule"],
                "resource": row["resource"],
                "status": row["status"],
                "message": row["message"],
                "batch": row["batch"],
                "seq": seq,
            },
        ).fetchone()

    def result_spans(self, first: int, last: int) -> list[sqlite3.Row]:
        """Result intervals overlapping runs first..last (open ones end at the latest run), with
        their rule as of the interval's last run in the period and their scope, by rule, resource, time."""
        return self._db.execute(
            "SELECT r.rule, r.resource, r.status, r.message, r.first_seq, "
            "COALESCE(r.last_seq, :latest) AS last_seq, u.kind, u.controls, u.severity, u.title, u.remediation, "
            "b.scope FROM results r "
            "JOIN runs ON runs.seq = MIN(COALESCE(r.last_seq, :latest), :last) "
            "LEFT JOIN rules u ON u.mappings = runs.mappings AND u.rule = r.rule "
            "LEFT JOIN batches b ON b.seq = r.first_seq AND b.batch = r.batch "
            "WHERE r.first_seq <= :last AND COALESCE(r.last_seq, :latest) >= :first "
            "ORDER BY r.rule, r.resource, r.first_seq",
            {"first": first, "last": last, "latest": self.latest_seq()},
        ).fetchall()

    def fact_hashes(self, first: int, last: int) -> list[str]:
        """Every fact object live in some run between first and last."""
        rows = self._db.execute(
            "SELECT DISTINCT hash FROM facts WHERE first_seq <= :last AND (last_seq IS NULL OR last_seq >= :first)",
            {"first": first, "last": last},
        )
        return [row[0] for row in rows]
