"""A small pool of asyncio PostgreSQL connections for the webhook hot path.

The ingest is one autocommit statement per group of events (freight.webhooks.group), awaited on
the event loop: no worker thread, no ORM, one round trip. (Handing each event to a thread made
threads queue for the GIL behind the event loop after every round trip, which cost far more than
the insert.) A pool belongs to one event loop; connections are opened on first use, so they are
made after gunicorn forks.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import psycopg
from sqlalchemy.engine import make_url

POOL_SIZE = 8  # per process; the sync engine's pool keeps serving every other request


def conninfo(db_url: str) -> str:
    """A libpq URI for a SQLAlchemy PostgreSQL URL (any +driver suffix dropped)."""
    url = make_url(db_url).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


class AsyncPool:
    """At most `size` autocommit connections; a broken one is dropped, never handed out."""

    def __init__(self, dsn: str, size: int = POOL_SIZE) -> None:
        self.dsn, self.size = dsn, size
        self._idle: list[psycopg.AsyncConnection[tuple[object, ...]]] = []
        self._opened = 0
        self._freed = asyncio.Condition()

    @asynccontextmanager
    async def connection(
        self, *, fresh: bool = False
    ) -> AsyncIterator[psycopg.AsyncConnection[tuple[object, ...]]]:
        """A connection for one statement; `fresh` skips idle ones (a retry after a dead one)."""
        conn = await self._acquire(fresh)
        try:
            yield conn
        except BaseException:
            await self._discard(conn)  # its state is unknown: never reuse it
            raise
        else:
            await self._release(conn)

    async def _acquire(self, fresh: bool) -> psycopg.AsyncConnection[tuple[object, ...]]:
        async with self._freed:
            while True:
                while self._idle and not fresh:
                    conn = self._idle.pop()
                    if not conn.closed:
                        return conn
                    self._opened -= 1
                if self._opened < self.size:
                    self._opened += 1
                    break
                await self._freed.wait()
        try:
            return await psycopg.AsyncConnection.connect(self.dsn, autocommit=True)
        except BaseException:
            await self._forget()
            raise

    async def _release(self, conn: psycopg.AsyncConnection[tuple[object, ...]]) -> None:
        async with self._freed:
            if conn.closed:
                self._opened -= 1
            else:
                self._idle.append(conn)
            self._freed.notify()

    async def _discard(self, conn: psycopg.AsyncConnection[tuple[object, ...]]) -> None:
        try:
            await conn.close()
        finally:
            await self._forget()

    async def _forget(self) -> None:
        async with self._freed:
            self._opened -= 1
            self._freed.notify()

    def close_now(self) -> None:
        """Close idle connections without awaiting (their event loop may be gone)."""
        while self._idle:
            self._idle.pop().pgconn.finish()


_POOLS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, AsyncPool]] = (
    weakref.WeakKeyDictionary()
)


def pool_for(db_url: str) -> AsyncPool:
    """This event loop's pool for the database (pools of closed loops are closed)."""
    loop = asyncio.get_running_loop()
    pools = _POOLS.get(loop)
    if pools is None:
        for old_loop, old in list(_POOLS.items()):
            if old_loop.is_closed():
                for pool in old.values():
                    pool.close_now()
                _POOLS.pop(old_loop, None)
        pools = _POOLS[loop] = {}
    if db_url not in pools:
        pools[db_url] = AsyncPool(conninfo(db_url))
    return pools[db_url]
