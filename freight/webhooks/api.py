"""POST /webhooks/shippo (also under /api/v1): store, deduplicate, answer fast; process in a job."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any, Literal

import anyio
from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import Engine

from carriers.webhooks import TRACK_EVENTS, TRANSACTION_EVENTS
from carriers.webhooks import WebhookEvent as CarrierEvent
from freight.clock import utc_now
from freight.deps import SessionDep, StaffDep
from freight.metrics import WEBHOOKS
from freight.webhooks import repository as repo
from freight.webhooks import service
from freight.webhooks.pgpool import pool_for

router = APIRouter(tags=["webhooks"])

WEBHOOK_PATHS = ("/webhooks/shippo", "/api/v1/webhooks/shippo")

# SQLite only (PostgreSQL ingests on the event loop): at most this many ingests hold a database
# connection at once per process, so the engine's pool never overflows.
_DB_SLOTS = anyio.CapacityLimiter(8)


def _store(engine: Engine, payload: dict[str, Any], event: CarrierEvent) -> str:
    # committed before the 2xx; the job is handed to the publisher after the commit
    return service.ingest_now(engine, payload=payload, event=event, now=utc_now())


async def _ingest(state: Any, body: bytes, payload: dict[str, Any], event: CarrierEvent) -> str:
    engine: Engine = state.engine
    if engine.dialect.name == "postgresql":
        pool = pool_for(state.settings.db_url)
        return await service.ingest_pg(pool, engine, body=body, event=event, now=utc_now())
    return await anyio.to_thread.run_sync(_store, engine, payload, event, limiter=_DB_SLOTS)


# Counter children by (event, result): `labels()` per delivery costs a lock and a lookup.
_COUNTERS: dict[tuple[str, str], Any] = {}


def _count(event: str, result: str) -> None:
    counter = _COUNTERS.get((event, result))
    if counter is None:
        counter = _COUNTERS[(event, result)] = WEBHOOKS.labels(event, result)
    counter.inc()


async def receive_delivery(
    state: Any, token: str | None, body: bytes, signature: str | None = None
) -> tuple[int, str]:
    """One Shippo delivery, checked, parsed and stored: (HTTP status, outcome).

    `token` from `?token=` or the X-Freight-Webhook-Token header; `signature` the value of the
    configured signature header (checked only when FREIGHT_SHIPPO_WEBHOOK_HMAC_SECRET is set).
    202 stored, 200 duplicate or ignored; AppError 400 malformed, 401 bad token or signature,
    413 too large. The route below and the ASGI fast path (freight.webhooks.fastpath) both answer
    through this one function.
    """
    settings = state.settings
    try:
        service.check_token(token, settings.webhook_token)
        if settings.shippo_webhook_hmac_secret:
            service.check_signature(
                signature, body, secret=settings.shippo_webhook_hmac_secret, now=time.time()
            )
        payload, event = service.parse(body, now=utc_now())
    except Exception:
        _count("unknown", "rejected")
        raise
    if event is None:
        _count(str(payload.get("event"))[:40], "ignored")
        return 200, "ignored"
    result = await _ingest(state, body, payload, event)
    _count(event.event, result)
    return (202 if result == "accepted" else 200), result


_SCAN = {
    "type": "object",
    "description": "A carrier scan: a known status needs its carrier time (status_date, "
    "1900–2200, at most a day ahead of the service's clock).",
    "properties": {"status_date": {"type": ["string", "null"], "format": "date-time"}},
}
_TRACK = {
    "tracking_status": {**_SCAN, "type": ["object", "null"]},
    "tracking_history": {"type": ["array", "null"], "items": _SCAN},
}


def _event_data(
    events: tuple[str, ...], needed: list[str], extra: dict[str, Any] | None = None
) -> Any:
    """The `data` a consumed event must carry (a Track or a Transaction object)."""
    given = {"type": "string", "minLength": 1}
    data = {
        "type": "object",
        "required": needed,
        "properties": {**dict.fromkeys(needed, given), **(extra or {})},
    }
    return {"if": {"required": ["event"], "properties": {"event": {"enum": list(events)}}},
            "then": {"required": ["data"], "properties": {"data": data}}}  # fmt: skip


# The token is read from the URL by hand (documented here): declaring it as a Query parameter
# made FastAPI solve a pydantic field on every delivery, a large share of the hot path.
_TOKEN_DOC = {
    "parameters": [
        {"name": "token", "in": "query", "required": False, "schema": {"type": "string"},
         "description": "The webhook token (or send it as X-Freight-Webhook-Token)."},
        {"name": "X-Freight-Webhook-Token", "in": "header", "required": False,
         "schema": {"type": "string"}},
        {"name": "Shippo-Auth-Signature", "in": "header", "required": False,
         "schema": {"type": "string"},
         "description": "t=<unix>,v1=<hex>: required when an HMAC secret is configured "
         "(the header name is FREIGHT_SHIPPO_WEBHOOK_SIGNATURE_HEADER)."},
    ],
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "required": ["event"],
                    "properties": {
                        "event": {"type": "string", "minLength": 1},
                        "test": {"description": "true for a test-mode event"},
                        "data": {"description": "An object for the events consumed (below)"},
                    },
                    # Events nobody consumes are stored as ignored whatever their data.
                    "allOf": [
                        {"$ref": "#/components/schemas/NulFreeJson"},
                        _event_data(TRACK_EVENTS, ["carrier", "tracking_number"], _TRACK),
                        _event_data(TRANSACTION_EVENTS, ["object_id", "status"]),
                    ],
                }
            }
        },
    },
}  # fmt: skip


def request_token(query_token: str | None, header_token: str | None) -> str | None:
    """The query token, else the header's (the query one wins when both are sent)."""
    return query_token if query_token is not None else header_token


@router.post(
    WEBHOOK_PATHS[0], status_code=202, responses={200: {}, 400: {}, 401: {}, 413: {}},
    openapi_extra=_TOKEN_DOC,
)  # fmt: skip
@router.post(WEBHOOK_PATHS[1], status_code=202, include_in_schema=False)
async def shippo_webhook(request: Request) -> JSONResponse:
    """A Shippo event: 202 stored, 200 duplicate or ignored, 400 malformed, 401 bad token or
    signature, 413 larger than 1 MB.

    In the running service these paths are answered by the ASGI fast path in front of the router
    (same function, without the framework's per-request work); this route documents them and
    serves any app built without that layer.
    """
    headers = request.headers
    token = request_token(request.query_params.get("token"), headers.get(service.TOKEN_HEADER))
    signature = headers.get(request.app.state.settings.shippo_webhook_signature_header)
    status, result = await receive_delivery(
        request.app.state, token, await request.body(), signature
    )
    return JSONResponse({"status": result}, status_code=status)


EventStatus = Literal["received", "processing", "processed", "ignored", "failed"]


class WebhookEventOut(BaseModel):
    id: int
    event: str
    dedup_key: str
    status: str
    received_at: datetime
    processed_at: datetime | None
    error: str | None


@router.get("/api/v1/webhook-events", response_model=list[WebhookEventOut])
def list_webhook_events(
    session: SessionDep,
    _: StaffDep,
    status: EventStatus | None = None,
    limit: int = Query(100, ge=1, le=500),
) -> list[WebhookEventOut]:
    """Stored carrier events, newest first (staff)."""
    return [
        WebhookEventOut.model_validate(e, from_attributes=True)
        for e in repo.list_events(session, status=status, limit=limit)
    ]
