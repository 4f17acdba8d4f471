"""Carrier webhooks: ingest (store durably, once per dedup key, job queued in the same transaction)
and processing (in a job: hand the normalized update to tracking or shipments, exactly once)."""

from __future__ import annotations

import hashlib
import hmac
import logging
from datetime import datetime, timedelta
from typing import Any, Literal

import orjson
from sqlalchemy import Engine
from sqlalchemy import exc as sa_exc
from sqlalchemy.orm import Session

from carriers.errors import WebhookPayloadError
from carriers.webhooks import TRACK_EVENTS, TRANSACTION_EVENTS, WebhookEvent, parse_webhook
from freight.db import new_id
from freight.errors import AppError, UnauthorizedError
from freight.jobs.outbox import publish
from freight.jobs.registry import JobContext
from freight.jobs.service import short_trace
from freight.webhooks import repository as repo
from freight.webhooks.consumers import CONSUMERS, KIND_OF
from freight.webhooks.group import Row, writer_for
from freight.webhooks.pgpool import AsyncPool

log = logging.getLogger("freight.webhooks")

PROCESS_TASK = "webhooks.process"
KNOWN_EVENTS = frozenset(TRACK_EVENTS + TRANSACTION_EVENTS)
_MAX_KEY = 300  # the dedup_key column
FUTURE_MARGIN = timedelta(days=1)  # carrier clocks and time zones; a scan beyond it is refused
MAX_BYTES = 1_048_576  # SPEC §10: a delivery is at most 1 MB ...
MAX_DEPTH = 64  # ... nested at most 64 deep ...
SIGNATURE_TOLERANCE_SECONDS = 300  # ... and, when signed, signed within 5 minutes
TOKEN_HEADER = "x-freight-webhook-token"  # noqa: S105 - a header name

TRANSIENT_DB_ERRORS = (sa_exc.OperationalError, sa_exc.InterfaceError, sa_exc.TimeoutError)
Ingested = Literal["accepted", "duplicate", "ignored"]


class MalformedWebhookError(AppError):
    def __init__(self, detail: str, status: int = 400) -> None:
        super().__init__(
            detail,
            status,
            "Malformed webhook" if status == 400 else "Webhook too large",
            "https://rr-freight.example/problems/malformed-webhook",
        )


def check_token(given: str | None, expected: str) -> None:
    """401 unless the token (query or header) equals the configured one (constant-time)."""
    if not given or not hmac.compare_digest(given.encode(), expected.encode()):
        raise UnauthorizedError("The webhook token is missing or wrong.")


def check_signature(header: str | None, body: bytes, *, secret: str, now: float) -> None:
    """401 unless `t=<unix>,v1=<hex>` is HMAC-SHA256(secret, f"{t}.{body}") from the last 5
    minutes (Shippo's webhook signature; several v1 values are allowed, as when keys rotate)."""
    parts: dict[str, list[str]] = {}
    for item in (header or "").split(","):
        name, sep, value = item.strip().partition("=")
        if sep:
            parts.setdefault(name.strip(), []).append(value.strip())
    stamp, signatures = (parts.get("t") or [""])[0], parts.get("v1") or []
    if not stamp.isdigit() or not signatures:
        raise UnauthorizedError("The webhook signature is missing or malformed (t=…,v1=…).")
    if abs(now - int(stamp)) > SIGNATURE_TOLERANCE_SECONDS:
        raise UnauthorizedError("The webhook signature is too old (or from the future).")
    expected = hmac.new(secret.encode(), stamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    if not any(hmac.compare_digest(expected.encode(), s.lower().encode()) for s in signatures):
        raise UnauthorizedError("The webhook signature does not match the body.")


def _check_shape(payload: object, body: bytes) -> None:
    """Depth ≤ MAX_DEPTH and no NUL in any key or string (PostgreSQL cannot store one).

    The walk runs only when the raw bytes allow a violation (more brackets than MAX_DEPTH, or a
    `\\u0000` escape), so an ordinary delivery costs two byte scans, not a Python loop."""
    nul = b"\\u0000" in body
    if not nul and body.count(b"{") + body.count(b"[") <= MAX_DEPTH:
        return
    stack: list[tuple[object, int]] = [(payload, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            items: Any = value.items()
        elif isinstance(value, list):
            items = enumerate(value)
        else:
            continue
        if depth > MAX_DEPTH:
            raise MalformedWebhookError(f"The body is nested deeper than {MAX_DEPTH} levels.")
        for key, child in items:
            if nul and ((isinstance(key, str) and "\x00" in key) or (
                isinstance(child, str) and "\x00" in child
            )):  # fmt: skip
                raise MalformedWebhookError("The body contains a NUL character (\\u0000).")
            if isinstance(child, dict | list):
                stack.append((child, depth + 1))


def parse(
    body: bytes, *, now: datetime | None = None
) -> tuple[dict[str, Any], WebhookEvent | None]:
    """The JSON body and its parsed event (None for events we do not use); 400 if malformed.

    Strict RFC 8259 JSON in UTF-8 (orjson): NaN/Infinity, bad UTF-8 and trailing garbage are
    malformed, so a body that passes can be stored byte for byte as the JSON it is. Larger than
    1 MB is 413; nested deeper than 64 or holding a NUL is 400, before anything is stored.
    """
    if len(body) > MAX_BYTES:
        raise MalformedWebhookError(f"The body is larger than {MAX_BYTES} bytes.", 413)
    try:
        payload = orjson.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise MalformedWebhookError(f"The body is not valid JSON: {exc}") from exc
    if not isinstance(payload, dict):
        raise MalformedWebhookError("The body must be a JSON object {event, test, data}.")
    _check_shape(payload, body)
    event = payload.get("event")
    if not isinstance(event, str) or not event:
        raise MalformedWebhookError("The body has no 'event' name.")
    if event not in KNOWN_EVENTS:
        return payload, None
    try:
        not_after = now + FUTURE_MARGIN if now is not None else None
        return payload, parse_webhook(payload, not_after=not_after)
    except WebhookPayloadError as exc:
        raise MalformedWebhookError(f"The {event} body is not readable: {exc}") from exc


def stable_key(dedup_key: str) -> str:
    """The carrier's dedup key, hashed when it would not fit the column."""
    if len(dedup_key) <= _MAX_KEY:
        return dedup_key
    return dedup_key[:200] + ":sha256:" + hashlib.sha256(dedup_key.encode()).hexdigest()


def ingest_now(
    engine: Engine, *, payload: dict[str, Any], event: WebhookEvent, now: datetime
) -> Ingested:
    """SQLite ingest: one short transaction on a bare connection, then publish the job
    (PostgreSQL ingests through the group writer: ingest_pg)."""
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


def process_event(session: Session, ctx: JobContext, *, event_id: int) -> str:
    """Hand one stored event to its consumer once; a second run finds it done and stops.

    An event that cannot be applied (unreadable, or its consumer refuses it for good) is marked
    `failed` with the reason; a transient error (carrier or database) is raised for a retry."""
    stored = repo.get(session, event_id, lock=True)
    if stored is None:
        log.warning("webhook.missing id=%s", event_id)
        return "missing"
    if stored.status in ("processed", "ignored", "failed"):
        return stored.status
    try:
        with session.begin_nested():  # a failure undoes the consumer's half-made changes only
            stored.status, stored.error = _apply(session, ctx, stored.payload)
    except Exception as exc:
        if getattr(exc, "retryable", False) or isinstance(exc, TRANSIENT_DB_ERRORS):
            raise
        stored.status, stored.error = "failed", short_trace(exc)
        log.warning("webhook.failed id=%s error=%s", event_id, stored.error)
    stored.processed_at = ctx.now
    log.info("webhook.processed id=%s event=%s status=%s", event_id, stored.event, stored.status)
    return stored.status


def _apply(session: Session, ctx: JobContext, payload: object) -> tuple[str, str | None]:
    """(status, note) of applying one stored body with its registered consumer."""
    event = parse_webhook(payload)
    kind = KIND_OF[event.event]
    if event.test and ctx.settings.refuse_test_mode:
        # A test-mode event (a test key's label, or Shippo's sample) must not move real
        # shipments: kept for staff to see, never applied.
        return "ignored", "test-mode event refused in production"
    if kind == "track":
        CONSUMERS[kind](session, ctx, event.tracking, "webhook")
        return "processed", None
    outcome = CONSUMERS[kind](session, ctx, event)
    return "processed", str(outcome)[:500] if outcome else None
