"""Engine, sessions and the column types every table shares."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from decimal import Decimal
from functools import lru_cache
from typing import Any

from sqlalchemy import JSON, DateTime, Dialect, Engine, MetaData, String, create_engine, event
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import Numeric, TypeDecorator, TypeEngine

from freight.clock import utc_now

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON}


def new_id(prefix: str) -> str:
    """A short, URL-safe, prefixed id (e.g. shp_3f9a…)."""
    return f"{prefix}_{secrets.token_hex(10)}"


# Column defaults read the one clock (freight.clock); services take `now` as a parameter.
utcnow = utc_now


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware datetimes stored as UTC on every backend (SQLite keeps no zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTCDateTime column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, _dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Amount(TypeDecorator[Decimal]):
    """Exact decimal amounts: NUMERIC on PostgreSQL, text on SQLite (which has no decimal)."""

    impl = Numeric(18, 4)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(String(40))
        return dialect.type_descriptor(Numeric(18, 4, asdecimal=True))

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        return str(value) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        return Decimal(str(value)).normalize() if dialect.name != "sqlite" else Decimal(value)


def _sqlite_connect(dbapi_conn: Any, _record: Any) -> None:
    # Let SQLAlchemy, not pysqlite, decide where transactions begin: pysqlite's legacy mode
    # starts them lazily, so a SAVEPOINT could open (and its RELEASE commit) the whole thing.
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


# The execution option a read-only session's engine carries (see read_factory).
READ_OPTION = "freight_read"


def _sqlite_begin(conn: Any) -> None:
    # IMMEDIATE takes the write lock up front: API, worker and beat share one file, and a
    # deferred transaction that reads and then writes fails at once ("database is locked")
    # when another process committed in between, instead of waiting its turn.
    # A read-only session (GET/HEAD) begins DEFERRED: in WAL mode it reads a snapshot and never
    # waits for, nor blocks, a writer (its rare writes are replayed in a write session, deps.py).
    if conn.get_execution_options().get(READ_OPTION):
        conn.exec_driver_sql("BEGIN")
    else:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def make_engine(url: str) -> Engine:
    """An engine for a URL; SQLite gets WAL and a busy timeout so API and worker can share it.

    `hide_parameters`: a database error's message (logged with the failing request) names the
    statement but never the bound values — customer emails, addresses, tokens stay out of logs."""
    if url.startswith("sqlite"):
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": 30}, hide_parameters=True
        )
        event.listen(engine, "connect", _sqlite_connect)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    from freight.settings import get_settings

    # Per process: API processes × worker processes × (pool + overflow) must stay under the
    # server's max_connections (README, "Running in production").
    settings = get_settings()
    return create_engine(
        url, pool_pre_ping=True, hide_parameters=True,
        pool_size=settings.db_pool_size, max_overflow=settings.db_max_overflow,
    )  # fmt: skip


@lru_cache(maxsize=8)
def engine_for(url: str) -> Engine:
    return make_engine(url)


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)


def read_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions for read-only requests: no write lock taken (SQLite begins DEFERRED), no
    autoflush (a pending change, e.g. a session cookie's last-seen, is never written from the
    read transaction; freight.deps replays it in a write transaction of its own)."""
    return sessionmaker(
        bind=engine.execution_options(**{READ_OPTION: True}), expire_on_commit=False,
        autoflush=False,
    )  # fmt: skip


@contextmanager
def session_scope(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any error."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
