"""Group commit for the PostgreSQL webhook hot path: one statement and one commit for many events.

Each delivery hands its row to its event loop's GroupWriter and awaits a future. While fewer than
MAX_INFLIGHT batches are being written, a delivery starts a writer at once (no added latency when
idle); deliveries arriving meanwhile wait for a writer to be free and then go out together, up to
MAX_BATCH rows in one multi-row autocommit statement. A future is resolved only after its statement
has committed; if the statement fails every waiter gets the error (a 5xx: nothing unsaved is ever
acknowledged). A batch failing for a reason other than a lost connection is retried row by row, so
one bad row cannot fail its neighbours.
"""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass
from datetime import datetime

import psycopg
from sqlalchemy import Engine

from freight.jobs.outbox import has_bulk_publisher, publish
from freight.webhooks import repository as repo
from freight.webhooks.pgpool import AsyncPool

log = logging.getLogger("freight.webhooks")

MAX_BATCH = 64  # rows per statement
MAX_INFLIGHT = 1  # statements in flight per process: one, so bursts share it (measured best)


@dataclass(frozen=True, slots=True)
class Row:
    """One delivery to store: its event row and the id its processing job gets if it is new."""

    dedup_key: str
    event: str
    payload_json: str  # the delivery's JSON text, as received (checked by the parser)
    received_at: datetime
    job_id: str


class GroupWriter:
    """Writes rows in batches on one event loop; `write` returns once its row is committed."""

    def __init__(self, pool: AsyncPool, engine: Engine, task: str) -> None:
        self.pool, self.engine, self.task = pool, engine, task
        self._pending: list[tuple[Row, asyncio.Future[bool]]] = []
        self._inflight = 0
        self._tasks: set[asyncio.Task[None]] = set()

    async def write(self, row: Row) -> bool:
        """True if the row was new (stored with its job), False for a duplicate; committed."""
        future: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._pending.append((row, future))
        if self._inflight < MAX_INFLIGHT:
            self._inflight += 1
            task = asyncio.create_task(self._drain())
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        # The batch runs in its own task: a cancelled request cancels only its own future, which
        # the batch then leaves alone (it resolves only futures that are not done).
        return await future

    async def _drain(self) -> None:
        try:
            while self._pending:
                batch = self._pending[:MAX_BATCH]
                del self._pending[:MAX_BATCH]
                await self._write_batch(batch)
        finally:
            self._inflight -= 1

    async def _write_batch(self, batch: list[tuple[Row, asyncio.Future[bool]]]) -> None:
        try:
            fresh = await self._store([row for row, _ in batch])
        except Exception as exc:  # noqa: BLE001 - any failure of the batch is isolated row by row, then re-raised
            if len(batch) > 1 and not isinstance(exc, psycopg.OperationalError):
                # one statement, so nothing of it was stored: isolate the bad row, store the others
                log.warning("webhook.batch.failed rows=%s error=%r", len(batch), exc)
                for one in batch:
                    await self._write_batch([one])
                return
            for _, future in batch:
                if not future.done():
                    future.set_exception(exc)
            return
        except BaseException:  # cancelled (shutdown): nobody is told it was stored
            for _, future in batch:
                future.cancel()
            raise
        if fresh:
            publish(self.engine, sorted(fresh), bulk=True)  # committed as `queued`; now sent
        for row, future in batch:
            if not future.done():
                future.set_result(row.job_id in fresh)

    async def _store(self, rows: list[Row]) -> set[str]:
        try:
            return await self._store_once(rows, fresh_connection=False)
        except psycopg.OperationalError:
            # An idle connection died (server restart): retry once on a new one. Safe even if the
            # first statement did commit: the dedup keys make the retry a harmless duplicate.
            return await self._store_once(rows, fresh_connection=True)

    async def _store_once(self, rows: list[Row], *, fresh_connection: bool) -> set[str]:
        unique: dict[str, Row] = {}
        for row in rows:  # the same event twice in one batch: the first one is the delivery
            unique.setdefault(row.dedup_key, row)
        # one JSON array, the payloads spliced in as the text they arrived as (no re-encoding)
        rows_json = "[" + ",".join(
            f'{{"k":{json.dumps(r.dedup_key)},"e":{json.dumps(r.event)},'
            f'"r":"{r.received_at.isoformat()}","j":"{r.job_id}","p":{r.payload_json}}}'
            for r in unique.values()
        ) + "]"  # fmt: skip
        status = "queued" if has_bulk_publisher(self.engine) else "pending"
        async with self.pool.connection(fresh=fresh_connection) as conn:
            return await repo.insert_batch_with_jobs_pg(
                conn, rows_json, task=self.task, status=status
            )


def writer_for(pool: AsyncPool, engine: Engine, task: str) -> GroupWriter:
    """The group writer of this (per event loop) pool; it lives as long as the pool."""
    writer = getattr(pool, "_group_writer", None)
    if not isinstance(writer, GroupWriter):
        writer = GroupWriter(pool, engine, task)
        setattr(pool, "_group_writer", writer)  # noqa: B010 - the pool module knows no writer
    return writer
