"""The storage side of the limiter: a sliding window per key, plus a "closed until" per key.

Both stores answer the same question atomically across processes: may one more call on `key`
happen now within `limit` per `period` seconds, and if not, how long until it may? Each keeps
its keys under a namespace (`rrf:lookup:203.0.113.7`), so two deployments or test runs sharing a
Redis database never share a budget."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

Clock = Callable[[], float]


@dataclass(frozen=True, slots=True)
class Decision:
    allowed: bool
    wait_seconds: float = 0.0  # when refused: how long until a slot frees (or the block ends)


class WindowStore(Protocol):
    def hit(self, key: str, *, limit: int, period: float) -> Decision:
        """Take one slot in the sliding window of `key` if one is free (atomic)."""
        ...

    def close_until(self, key: str, until: float) -> None:
        """Refuse every hit on `key` until the epoch second `until` (a server said so)."""
        ...

    def clear(self, key: str) -> None:
        """Forget the window and any block of `key` (tests, admin)."""
        ...


_SCHEMA = """
CREATE TABLE IF NOT EXISTS hits (key TEXT NOT NULL, at REAL NOT NULL);
CREATE INDEX IF NOT EXISTS hits_key_at ON hits (key, at);
CREATE TABLE IF NOT EXISTS blocks (key TEXT PRIMARY KEY, until REAL NOT NULL);
"""


class SqliteWindowStore:
    """A sliding window log in a SQLite file (WAL): exact across the processes sharing the file.

    Each hit is one row; a hit runs under BEGIN IMMEDIATE, so two processes never both take the
    last slot. Old rows are deleted as the window slides, so the table stays at about `limit`
    rows per key."""

    def __init__(
        self, path: str | Path, *, namespace: str = "rrf", clock: Clock = time.time
    ) -> None:
        self.path = str(path)
        self.namespace = namespace
        self._clock = clock
        self._lock = threading.Lock()
        self._db = sqlite3.connect(
            self.path, timeout=30.0, isolation_level=None, check_same_thread=False
        )
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA busy_timeout=30000")
        self._db.executescript(_SCHEMA)

    def _name(self, key: str) -> str:
        return f"{self.namespace}:{key}"

    def hit(self, key: str, *, limit: int, period: float) -> Decision:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                decision = self._hit(self._name(key), limit, period, self._clock())
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")
        return decision

    def _hit(self, key: str, limit: int, period: float, now: float) -> Decision:
        row = self._db.execute("SELECT until FROM blocks WHERE key = ?", (key,)).fetchone()
        if row is not None and row[0] > now:
            return Decision(False, row[0] - now)
        self._db.execute("DELETE FROM hits WHERE key = ? AND at <= ?", (key, now - period))
        count, oldest = self._db.execute(
            "SELECT COUNT(*), MIN(at) FROM hits WHERE key = ?", (key,)
        ).fetchone()
        if count >= limit:
            return Decision(False, max(oldest + period - now, 0.001))
        self._db.execute("INSERT INTO hits (key, at) VALUES (?, ?)", (key, now))
        return Decision(True)

    def close_until(self, key: str, until: float) -> None:
        with self._lock:
            self._db.execute(
                "INSERT INTO blocks (key, until) VALUES (?, ?) "
                "ON CONFLICT (key) DO UPDATE SET until = MAX(until, excluded.until)",
                (self._name(key), until),
            )

    def clear(self, key: str) -> None:
        with self._lock:
            self._db.execute("DELETE FROM hits WHERE key = ?", (self._name(key),))
            self._db.execute("DELETE FROM blocks WHERE key = ?", (self._name(key),))

    def close(self) -> None:
        with self._lock:
            self._db.close()


class RedisWindowStore:
    """The `limits` library's moving window on Redis, shared by every process and host.

    Keys: `{namespace}:window/{key}/{limit}/{period}/second` (the library's layout under our
    prefix) and `{namespace}:closed:{key}` for a block."""

    def __init__(self, url: str, *, namespace: str = "rrf", clock: Clock = time.time):
        from limits.storage import RedisStorage
        from limits.strategies import MovingWindowRateLimiter

        self._storage = RedisStorage(url, key_prefix=namespace)
        self._limiter = MovingWindowRateLimiter(self._storage)
        self._redis = self._storage.storage  # the redis client the storage uses
        self._prefix = namespace
        self._clock = clock

    def _item(self, limit: int, period: float):  # type: ignore[no-untyped-def]
        from limits import RateLimitItemPerSecond

        return RateLimitItemPerSecond(limit, max(1, round(period)), namespace="window")

    def hit(self, key: str, *, limit: int, period: float) -> Decision:
        blocked = self._redis.pttl(self._block_key(key))
        if blocked and blocked > 0:
            return Decision(False, blocked / 1000)
        item = self._item(limit, period)
        if self._limiter.hit(item, key):
            return Decision(True)
        stats = self._limiter.get_window_stats(item, key)
        return Decision(False, max(stats.reset_time - self._clock(), 0.001))

    def close_until(self, key: str, until: float) -> None:
        milliseconds = int((until - self._clock()) * 1000)
        if milliseconds > 0:
            self._redis.set(self._block_key(key), "1", px=milliseconds)

    def clear(self, key: str) -> None:
        self._redis.delete(self._block_key(key))
        for found in self._redis.scan_iter(match=f"{self._prefix}:window/{key}/*"):
            self._redis.delete(found)

    def _block_key(self, key: str) -> str:
        return f"{self._prefix}:closed:{key}"
