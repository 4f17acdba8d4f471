"""Every webhook-event query lives here."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, func, select
from sqlalchemy import insert as sa_insert
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, defer, sessionmaker

from freight.jobs.models import Job
from freight.webhooks.models import WebhookEvent

if TYPE_CHECKING:
    from psycopg import AsyncConnection


def insert_if_new(
    session: Session, *, dedup_key: str, event: str, payload: dict[str, Any], now: datetime
) -> int | None:
    """Store the event unless its dedup key is known; the new id, or None for a duplicate."""
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    stmt = (
        insert(WebhookEvent)
        .values(
            dedup_key=dedup_key, event=event, payload=payload, received_at=now, status="received"
        )
        .on_conflict_do_nothing(index_elements=[WebhookEvent.dedup_key])
        .returning(WebhookEvent.id)
    )
    return session.execute(stmt).scalar_one_or_none()


def insert_with_job(
    conn: Connection,
    *,
    dedup_key: str,
    event: str,
    payload: dict[str, Any],
    now: datetime,
    job_id: str,
    task: str,
) -> bool:
    """SQLite ingest: store the event and its processing job unless the key is known
    (PostgreSQL writes many in one statement: _INSERT_BATCH_WITH_JOBS below). Returns False for a
    duplicate (nothing written)."""
    stored = (
        sqlite_insert(WebhookEvent)
        .values(
            dedup_key=dedup_key, event=event, payload=payload, received_at=now, status="received"
        )
        .on_conflict_do_nothing(index_elements=[WebhookEvent.dedup_key])
        .returning(WebhookEvent.id)
    )
    job_row = {
        "id": job_id, "task": task, "status": "pending", "attempts": 0,
        "created_at": now, "updated_at": now,
    }  # fmt: skip
    event_id = conn.execute(stored).scalar_one_or_none()
    if event_id is None:
        return False
    conn.execute(
        sa_insert(Job).values(**job_row, args={"event_id": event_id}, key=f"webhook:{event_id}")
    )
    return True


# Group commit on PostgreSQL: many events in one statement; a job only for each new event. The
# rows come as one JSON array (one parameter, the payloads embedded as they are); their keys are
# distinct (the caller keeps one row per key). Returns the ids of the jobs written. With a bulk
# publisher installed the jobs are written `queued`: the writer hands them over right after the
# commit, and no second statement per batch confirms it (the publisher puts them back to `pending`
# if the broker fails; a process killed in between leaves them to the relay's stale sweep).
_INSERT_BATCH_WITH_JOBS = f"""
WITH input AS (
    SELECT x->>'k' AS k, x->>'e' AS e, x->'p' AS p, (x->>'r')::timestamptz AS r, x->>'j' AS j, n
    FROM json_array_elements(%s::json) WITH ORDINALITY AS t(x, n)
), ev AS (
    INSERT INTO {WebhookEvent.__tablename__} (dedup_key, event, payload, received_at, status)
    SELECT k, e, p, r, 'received' FROM input ORDER BY n
    ON CONFLICT (dedup_key) DO NOTHING
    RETURNING id, dedup_key, received_at
)
INSERT INTO {Job.__tablename__}
    (id, task, args, key, status, attempts, created_at, updated_at, relayed_at)
SELECT input.j, %s, json_build_object('event_id', ev.id), 'webhook:' || ev.id,
       %s, 0, ev.received_at, ev.received_at,
       CASE WHEN %s = 'queued' THEN ev.received_at END
FROM ev JOIN input ON input.k = ev.dedup_key
RETURNING id
"""  # noqa: S608 - only table names from the models; values are bound


async def insert_batch_with_jobs_pg(
    conn: AsyncConnection[Any], rows_json: str, *, task: str, status: str = "pending"
) -> set[str]:
    """A JSON array of {k: dedup_key, e: event, p: payload, r: received_at, j: job_id} (distinct
    keys) in one autocommit statement: committed when this returns; the job ids of new events,
    written with `status` (`pending`, or `queued` when they go straight to a bulk publisher)."""
    cursor = await conn.execute(_INSERT_BATCH_WITH_JOBS, (rows_json, task, status, status))
    return {str(job_id) for (job_id,) in await cursor.fetchall()}


def get(session: Session, event_id: int, *, lock: bool = False) -> WebhookEvent | None:
    """The event; its payload is loaded when first read (decoding it may fail: a poison body)."""
    stmt = (
        select(WebhookEvent).options(defer(WebhookEvent.payload)).where(WebhookEvent.id == event_id)
    )
    if lock:
        stmt = stmt.with_for_update()
    return session.scalar(stmt)


def list_events(session: Session, *, status: str | None, limit: int) -> Sequence[WebhookEvent]:
    """Newest first, without their bodies (a listing never decodes a payload)."""
    stmt = (
        select(WebhookEvent)
        .options(defer(WebhookEvent.payload, raiseload=True))
        .order_by(WebhookEvent.id.desc())
        .limit(limit)
    )
    if status:
        stmt = stmt.where(WebhookEvent.status == status)
    return session.scalars(stmt).all()


def status_counts(factory: sessionmaker[Session]) -> list[tuple[str, int]]:
    """(status, count) of stored events, for the metrics scrape."""
    with factory() as session:
        rows = session.execute(
            select(WebhookEvent.status, func.count()).group_by(WebhookEvent.status)
        )
        return [(status, int(count)) for status, count in rows]
