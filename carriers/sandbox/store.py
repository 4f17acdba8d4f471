"""Sandbox persistence: Shippo objects as JSON rows in SQLite (WAL), shared between processes."""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

Json = dict[str, Any]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS objects (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    id TEXT NOT NULL,
    ref TEXT,
    data TEXT NOT NULL,
    UNIQUE (kind, id)
);
CREATE INDEX IF NOT EXISTS objects_ref ON objects (kind, ref);
CREATE TABLE IF NOT EXISTS settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS hits (key TEXT NOT NULL, at REAL NOT NULL);
CREATE INDEX IF NOT EXISTS hits_key_at ON hits (key, at);
"""


class SandboxStore:
    """Objects by kind and id, with one secondary `ref` (rate -> shipment, etc.)."""

    def __init__(self, path: str | None = None) -> None:
        self.path = path or ":memory:"
        self._lock = threading.RLock()
        self._db = sqlite3.connect(
            self.path, timeout=30.0, isolation_level=None, check_same_thread=False
        )
        if self.path != ":memory:":
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("PRAGMA busy_timeout=30000")
        with self._lock:
            self._db.executescript(_SCHEMA)

    @contextmanager
    def atomic(self) -> Iterator[None]:
        """One write transaction, exclusive across threads and processes; nests."""
        with self._lock:
            if self._db.in_transaction:
                yield
                return
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def put(self, kind: str, object_id: str, data: Json, ref: str | None = None) -> None:
        """Insert or replace one object."""
        with self._lock:
            self._db.execute(
                "INSERT INTO objects (kind, id, ref, data) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (kind, id) DO UPDATE SET data = excluded.data, ref = excluded.ref",
                (kind, object_id, ref, json.dumps(data)),
            )

    def get(self, kind: str, object_id: str) -> Json | None:
        """One object, or None."""
        with self._lock:
            row = self._db.execute(
                "SELECT data FROM objects WHERE kind = ? AND id = ?", (kind, object_id)
            ).fetchone()
        return _load(row[0]) if row else None

    def find(
        self, kind: str, *, ref: str | None = None, offset: int = 0, limit: int = -1
    ) -> list[Json]:
        """Objects of a kind (optionally with one ref), newest first."""
        sql = "SELECT data FROM objects WHERE kind = ?"
        args: list[Any] = [kind]
        if ref is not None:
            sql += " AND ref = ?"
            args.append(ref)
        sql += " ORDER BY seq DESC LIMIT ? OFFSET ?"
        args += [limit, offset]
        with self._lock:
            rows = self._db.execute(sql, args).fetchall()
        return [_load(r[0]) for r in rows]

    def count(self, kind: str, *, ref: str | None = None) -> int:
        """How many objects of a kind (optionally with one ref)."""
        sql, args = "SELECT COUNT(*) FROM objects WHERE kind = ?", [kind]
        if ref is not None:
            sql += " AND ref = ?"
            args.append(ref)
        with self._lock:
            return int(self._db.execute(sql, args).fetchone()[0])

    def delete(self, kind: str, object_id: str) -> bool:
        """Remove one object; True when it existed."""
        with self._lock:
            cur = self._db.execute(
                "DELETE FROM objects WHERE kind = ? AND id = ?", (kind, object_id)
            )
        return cur.rowcount > 0

    def setting(self, key: str) -> str | None:
        """A runtime setting (faults, latency) shared by every process on this file."""
        with self._lock:
            row = self._db.execute("SELECT value FROM settings WHERE key = ?", (key,)).fetchone()
        return str(row[0]) if row else None

    def set_setting(self, key: str, value: str | None) -> None:
        """Set or clear a runtime setting."""
        with self._lock:
            if value is None:
                self._db.execute("DELETE FROM settings WHERE key = ?", (key,))
            else:
                self._db.execute(
                    "INSERT INTO settings (key, value) VALUES (?, ?) "
                    "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                    (key, value),
                )

    def hit(self, key: str, *, limit: int, period: float, now: float) -> tuple[int, float]:
        """Count a request in `key`'s sliding window: (requests left, epoch the oldest leaves).
        Left < 0 means this one is over the limit (and was not counted)."""
        with self.atomic():
            self._db.execute("DELETE FROM hits WHERE key = ? AND at <= ?", (key, now - period))
            count, oldest = self._db.execute(
                "SELECT COUNT(*), MIN(at) FROM hits WHERE key = ?", (key,)
            ).fetchone()
            if count >= limit:
                return -1, float(oldest) + period
            self._db.execute("INSERT INTO hits (key, at) VALUES (?, ?)", (key, now))
            return limit - count - 1, float(oldest if oldest is not None else now) + period

    def reset(self) -> None:
        """Forget every object and setting (tests and benchmarks)."""
        with self.atomic():
            self._db.execute("DELETE FROM objects")
            self._db.execute("DELETE FROM settings")
            self._db.execute("DELETE FROM hits")

    def close(self) -> None:
        """Close the connection."""
        with self._lock:
            self._db.close()


def _load(text: str) -> Json:
    value = json.loads(text)
    return value if isinstance(value, dict) else {}
