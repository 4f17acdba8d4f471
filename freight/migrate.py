"""Apply Alembic migrations (`freight migrate`, and `freight serve` / `tokens create` before they
start): wait for the database, then upgrade under a lock, so any number of processes may race.

On first boot the database may not accept connections yet (PostgreSQL's init server, a container
still starting): connecting is retried for FREIGHT_DB_CONNECT_TIMEOUT_SECONDS. Two upgrades at
once would both create the same tables (UniqueViolation): PostgreSQL holds a session advisory
lock around the upgrade, SQLite an exclusive lock on a file beside the database; whoever comes
second finds the schema at head and does nothing.
"""

from __future__ import annotations

import fcntl
import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, create_engine, inspect, text
from sqlalchemy import exc as sa_exc
from sqlalchemy.pool import NullPool

from freight.settings import Settings

log = logging.getLogger("freight.migrate")
MIGRATIONS = Path(__file__).parent / "migrations"
MIGRATION_LOCK_ID = 0x5246_4D47  # pg_advisory_lock key ("RFMG"), only used around upgrades


class DatabaseUnavailableError(RuntimeError):
    """The database did not accept a connection within the configured time."""


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def is_new_database(settings: Settings) -> bool:
    """True when the configured database has never been migrated (a SQLite file not there yet,
    or a database without Alembic's version table): what `upgrade` would create from nothing."""
    url = settings.db_url
    if url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///"))
        if not path.exists() or path.stat().st_size == 0:
            return True
    engine = create_engine(driver_url(url), poolclass=NullPool)
    try:
        with engine.connect() as conn:
            return not inspect(conn).has_table("alembic_version")
    except sa_exc.OperationalError:  # unreachable: `upgrade` says so in its own words
        return False
    finally:
        engine.dispose()


def upgrade(settings: Settings) -> None:
    """Bring the configured database to the newest schema (creating the SQLite file if needed)."""
    url = settings.db_url
    if url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///"))
        path.parent.mkdir(parents=True, exist_ok=True)
        with _file_lock(path.with_name(path.name + ".migrate.lock")):
            command.upgrade(alembic_config(url), "head")
        return
    with _pg_lock(url, settings.db_connect_timeout_seconds):
        command.upgrade(alembic_config(url), "head")


@contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)  # released on close, or when the process dies
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@contextmanager
def _pg_lock(url: str, timeout: float) -> Iterator[None]:
    engine = create_engine(driver_url(url), poolclass=NullPool, isolation_level="AUTOCOMMIT")
    try:
        with connect_with_retry(engine.connect, timeout) as conn:
            started = time.monotonic()
            conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": MIGRATION_LOCK_ID})
            waited = time.monotonic() - started
            if waited > 0.5:
                log.info("migrate.lock.waited seconds=%.1f", waited)
            try:
                yield
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": MIGRATION_LOCK_ID})
    finally:
        engine.dispose()


def driver_url(url: str) -> str:
    if url.startswith("postgresql://"):
        return "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return url


def connect_with_retry(connect: Callable[[], Connection], timeout: float) -> Connection:
    """`connect()` until it works or `timeout` seconds have passed (1 s, 2 s, … up to 5 s apart)."""
    deadline, delay, attempt = time.monotonic() + timeout, 1.0, 0
    while True:
        attempt += 1
        try:
            return connect()
        except (sa_exc.OperationalError, sa_exc.InterfaceError) as exc:
            left = deadline - time.monotonic()
            if left <= 0:
                raise DatabaseUnavailableError(
                    f"the database did not accept a connection within {timeout:.0f} s "
                    f"({attempt} attempts): {str(exc.orig or exc).strip().splitlines()[0]}"
                ) from exc
            log.warning(
                "db.connect.retry attempt=%s in=%.0fs error=%s",
                attempt, min(delay, left), str(exc.orig or exc).strip().splitlines()[0],
            )  # fmt: skip
            time.sleep(min(delay, left))
            delay = min(delay * 2, 5.0)
