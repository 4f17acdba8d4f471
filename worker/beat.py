"""One beat schedules, however many run: a leader lock, and a heartbeat the healthcheck can trust.

Every `freight beat` first takes the leader lock and only then starts Celery's scheduler (which
opens its schedule file), so a standby beat sends nothing and touches no shared file. The lock is
a PostgreSQL session advisory lock on a connection held for the life of the process (on the
embedded SQLite default: flock on a file beside the database); the server or the kernel releases
it when the holder dies, and the next beat in line takes over within a few seconds. A leader that
loses its lock connection stops itself (exit 3): it cannot know whether another beat took over,
and its supervisor (compose's restart policy, `freight serve`) starts it again as a standby.

The heartbeat, `<FREIGHT_BEAT_DIR>/beat.heartbeat` ({"role", "pid", "at"}), is rewritten by the
scheduler's own loop (every tick, at most 15 s apart) or, on a standby, by the wait loop: a stale
file means a stuck or dead beat, whichever backend the schedule file uses.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import signal
import threading
import time
from pathlib import Path
from typing import IO, Any, Protocol

from celery.beat import PersistentScheduler
from sqlalchemy import Connection, create_engine, text
from sqlalchemy.pool import NullPool

from freight.settings import Settings

log = logging.getLogger("freight.beat")
BEAT_LOCK_ID = 0x5246_4254  # pg_advisory_lock key ("RFBT")
HEARTBEAT = "beat.heartbeat"
STANDBY_POLL_SECONDS = 5.0
MAX_TICK_SECONDS = 15.0  # celery's beat_max_loop_interval: the heartbeat's longest gap
LOST_EXIT_CODE = 3


def write_heartbeat(directory: Path, role: str) -> None:
    """Atomically replace the heartbeat file (its mtime is what the healthcheck reads)."""
    directory.mkdir(parents=True, exist_ok=True)
    tmp = directory / f".{HEARTBEAT}.{os.getpid()}"
    tmp.write_text(json.dumps({"role": role, "pid": os.getpid(), "at": time.time()}))
    tmp.replace(directory / HEARTBEAT)


class LeaderLock(Protocol):
    def try_acquire(self) -> bool: ...
    def still_held(self) -> bool: ...
    def release(self) -> None: ...


class PostgresLock:
    """pg_try_advisory_lock on a dedicated connection; held until it closes."""

    def __init__(self, url: str, timeout: float) -> None:
        from freight.migrate import driver_url

        self.engine = create_engine(
            driver_url(url), poolclass=NullPool, isolation_level="AUTOCOMMIT"
        )
        self.timeout = timeout
        self.conn: Connection | None = None

    def try_acquire(self) -> bool:
        from freight.migrate import connect_with_retry

        if self.conn is None:
            self.conn = connect_with_retry(self.engine.connect, self.timeout)
        got = self.conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": BEAT_LOCK_ID})
        return bool(got.scalar())

    def still_held(self) -> bool:
        """Our session is alive and holds the lock (pg_locks, not just a ping)."""
        if self.conn is None:
            return False
        try:
            held = self.conn.execute(
                text(
                    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted "
                    "AND pid = pg_backend_pid() AND objid = :k"
                ),
                {"k": BEAT_LOCK_ID},
            ).scalar()
        except Exception:  # noqa: BLE001 - a broken connection means the lock is gone
            return False
        return bool(held)

    def release(self) -> None:
        if self.conn is not None:
            try:
                self.conn.close()
            finally:
                self.conn = None
        self.engine.dispose()


class FileLock:
    """flock on a file beside the SQLite database (the embedded default runs on one host)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.handle: IO[str] | None = None

    def try_acquire(self) -> bool:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = self.path.open("a")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            return False
        self.handle = handle
        return True

    def still_held(self) -> bool:
        return self.handle is not None

    def release(self) -> None:
        if self.handle is not None:
            self.handle.close()  # closing releases the flock
            self.handle = None


def leader_lock(settings: Settings) -> LeaderLock:
    url = settings.db_url
    if url.startswith("sqlite:///"):
        return FileLock(Path(url.removeprefix("sqlite:///") + ".beat.lock"))
    return PostgresLock(url, settings.db_connect_timeout_seconds)


def wait_for_leadership(lock: LeaderLock, beat_dir: Path) -> None:
    """Block (as a standby, heartbeat going) until this process holds the leader lock."""
    announced = False
    while not lock.try_acquire():
        if not announced:
            log.info("beat.standby another beat holds the leader lock; waiting to take over")
            announced = True
        write_heartbeat(beat_dir, "standby")
        time.sleep(STANDBY_POLL_SECONDS)
    log.info("beat.leader pid=%s; scheduling periodic tasks", os.getpid())
    write_heartbeat(beat_dir, "leader")


class Watchdog(threading.Thread):
    """Stops the beat (SIGTERM, so the schedule file is synced) when the lock is lost."""

    def __init__(self, lock: LeaderLock, every: float = STANDBY_POLL_SECONDS) -> None:
        super().__init__(name="freight-beat-leader", daemon=True)
        self.lock, self.every, self.lost = lock, every, threading.Event()

    def run(self) -> None:
        while not self.lost.is_set():
            time.sleep(self.every)
            if not self.lock.still_held():
                log.error("beat.leader.lost the leader lock's connection is gone; stopping")
                self.lost.set()
                os.kill(os.getpid(), signal.SIGTERM)


class HeartbeatScheduler(PersistentScheduler):  # type: ignore[misc]
    """Celery's persistent scheduler, writing the heartbeat on every tick of its loop."""

    beat_dir: Path = Path(".")

    def tick(self, *args: Any, **kwargs: Any) -> float:
        write_heartbeat(self.beat_dir, "leader")
        return min(float(super().tick(*args, **kwargs)), MAX_TICK_SECONDS)
