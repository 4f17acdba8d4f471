"""Carrier webhooks: ingest (store durably, once per dedup key, job queued in the same transaction)
and processing (in a job: hand the normalized update to tracking or shipments, exactly once)."""

from __future__ import annotations

import hashlib
import hmac
import importlib
import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any, Literal

import orjson
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from carriers.errors import WebhookPayloadError
from carriers.webhooks import TRACK_EVENTS, TRANSACTION_EVENTS, WebhookEvent, parse_webhook
from freight.db import new_id
from freight.errors import AppError, UnauthorizedError
from freight.jobs.outbox import publish
from freight.jobs.registry import JobContext
from freight.jobs.service import enqueue_new
from freight.webhooks import repository as repo
from freight.webhooks.group import Row, writer_for
from freight.webhooks.pgpool import AsyncPool

log = logging.getLogger("freight.webhooks")

PROCESS_TASK = "webhooks.process"
KNOWN_EVENTS = frozenset(TRACK_EVENTS + TRANSACTION_EVENTS)
_MAX_KEY = 300  # the dedup_key column

# Who consumes each kind of event: (module, function), resolved when an event is processed so
# features can be built independently. Tests and other wiring may put a callable in CONSUMERS.
CONSUMER_PATHS = {
    "track": ("freight.tracking.service", "apply_tracking_update"),
    "transaction": ("freight.shipments.transactions", "apply_transaction_event"),
}
CONSUMERS: dict[str, Callable[..., Any]] = {}

Ingested = Literal["accepted", "duplicate", "ignored"]


class MalformedWebhookError(AppError):
    def __init__(self, detail: str) -> None:
        super().__init__(
            detail,
            400,
            "Malformed webhook",
            "https://rr-freight.example/problems/malformed-webhook",
        )


def check_token(given: str | None, expected: str) -> None:
    """401 unless the query token equals the configured one (constant-time)."""
    if not given or not hmac.compare_digest(given.encode(), expected.encode()):
        raise UnauthorizedError("The webhook token is missing or wrong.")


def parse(body: bytes) -> tuple[dict[str, Any], WebhookEvent | None]:
    """The JSON body and its parsed event (None for events we do not use); 400 if malformed.

    Strict RFC 8259 JSON in UTF-8 (orjson): NaN/Infinity, bad UTF-8 and trailing garbage are
    malformed, so a body that passes can be stored byte for byte as the JSON it is.
    """
    try:
        payload = orjson.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise MalformedWebhookError(f"The body is not valid JSON: {exc}") from exc
    if not isinstance(payload, dict):
        raise MalformedWebhookError("The body must be a JSON object {event, test, data}.")
    event = payload.get("event")
    if not isinstance(event, str) or not event:
        raise MalformedWebhookError("The body has no 'event' name.")
    if event not in KNOWN_EVENTS:
        return payload, None
    try:
        return payload, parse_webhook(payload)
    except WebhookPayloadError as exc:
        raise MalformedWebhookError(f"The {event} body is not readable: {exc}") from exc


def stable_key(dedup_key: str) -> str:
    """The carrier's dedup key, hashed when it would not fit the column."""
    if len(dedup_key) <= _MAX_KEY:
        return dedup_key
    return dedup_key[:200] + ":sha256:" + hashlib.sha256(dedup_key.encode()).hexdigest()


def ingest(
    session: Session, *, payload: dict[str, Any], event: WebhookEvent, now: datetime
) -> Ingested:
    """Store the event once (by dedup key) and queue its processing in the same transaction."""
    event_id = repo.insert_if_new(
        session, dedup_key=stable_key(event.dedup_key), event=event.event, payload=payload, now=now
    )
    if event_id is None:
        return "duplicate"
    enqueue_new(session, task=PROCESS_TASK, args={"event_id": event_id}, key=f"webhook:{event_id}")
    return "accepted"


def ingest_now(
    engine: Engine, *, payload: dict[str, Any], event: WebhookEvent, now: datetime
) -> Ingested:
    """The HTTP hot path: one short transaction on a bare connection, then publish the job."""
    job_id = new_id("job")
    with engine.begin() as conn:
        fresh = repo.insert_with_job(
            conn, dedup_key=stable_key(event.dedup_key), event=event.event, payload=payload,
            now=now, job_id=job_id, task=PROCESS_TASK,
        )  # fmt: skip
    if not fresh:
        return "duplicate"
    publish(engine, [job_id])  # after the commit; errors are logged, the relay catches up
    return "accepted"


async def ingest_pg(
    pool: AsyncPool,
    engine: Engine,
    *,
    body: bytes,
    event: WebhookEvent,
    now: datetime,
) -> Ingested:
    """The HTTP hot path on PostgreSQL: group-committed with concurrent deliveries, awaited.

    `body` is the delivery as received, already checked by `parse`: it is stored as it came."""
    row = Row(stable_key(event.dedup_key), event.event, body.decode(), now, new_id("job"))
    fresh = await writer_for(pool, engine, PROCESS_TASK).write(row)
    # committed; the writer handed the job to the background publisher
    return "accepted" if fresh else "duplicate"


def _consumer(kind: str) -> Callable[..., Any] | None:
    if kind in CONSUMERS:
        return CONSUMERS[kind]
    module_name, attr = CONSUMER_PATHS[kind]
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name != module_name:
            raise
        return None
    fn: Callable[..., Any] | None = getattr(module, attr, None)
    return fn


def process_event(session: Session, ctx: JobContext, *, event_id: int) -> str:
    """Hand one stored event to its consumer once; a second run finds it processed and stops."""
    stored = repo.get(session, event_id, lock=True)
    if stored is None:
        log.warning("webhook.missing id=%s", event_id)
        return "missing"
    if stored.status in ("processed", "ignored"):
        return stored.status
    event = parse_webhook(stored.payload)
    kind = "track" if event.event in TRACK_EVENTS else "transaction"
    consumer = _consumer(kind)
    if event.test and ctx.settings.refuse_test_mode:
        # A test-mode event (a test key's label, or Shippo's sample) must not move real
        # shipments: kept for staff to see, never applied.
        stored.status, stored.error = "ignored", "test-mode event refused in production"
    elif consumer is None:
        stored.status, stored.error = "ignored", f"no consumer for {kind} events is installed"
    elif kind == "track":
        consumer(session, ctx, event.tracking, "webhook")
        stored.status = "processed"
    else:
        consumer(session, ctx, event)
        stored.status = "processed"
    stored.processed_at = ctx.now
    log.info("webhook.processed id=%s event=%s status=%s", event_id, event.event, stored.status)
    return stored.status
