"""POST /webhooks/shippo (also under /api/v1): store, deduplicate, answer fast; process in a job."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import anyio
from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import Engine

from carriers.webhooks import WebhookEvent as CarrierEvent
from freight.clock import utc_now
from freight.deps import SessionDep, StaffDep
from freight.metrics import WEBHOOKS
from freight.webhooks import repository as repo
from freight.webhooks import service
from freight.webhooks.pgpool import pool_for

router = APIRouter(tags=["webhooks"])

# SQLite only (PostgreSQL ingests on the event loop): at most this many ingests hold a database
# connection at once per process, so the engine's pool never overflows.
_DB_SLOTS = anyio.CapacityLimiter(8)


def _store(engine: Engine, payload: dict[str, Any], event: CarrierEvent) -> str:
    # committed before the 2xx; the job is handed to the publisher after the commit
    return service.ingest_now(engine, payload=payload, event=event, now=utc_now())


async def _ingest(request: Request, payload: dict[str, Any], event: CarrierEvent) -> str:
    engine: Engine = request.app.state.engine
    if engine.dialect.name == "postgresql":
        pool = pool_for(request.app.state.settings.db_url)
        return await service.ingest_pg(pool, engine, payload=payload, event=event, now=utc_now())
    return await anyio.to_thread.run_sync(_store, engine, payload, event, limiter=_DB_SLOTS)


# The token is read from the URL by hand (documented here): declaring it as a Query parameter
# made FastAPI solve a pydantic field on every delivery, a large share of the hot path.
_TOKEN_DOC = {
    "parameters": [{"name": "token", "in": "query", "required": True, "schema": {"type": "string"}}]
}


@router.post(
    "/webhooks/shippo", status_code=202, responses={200: {}, 400: {}, 401: {}},
    openapi_extra=_TOKEN_DOC,
)  # fmt: skip
@router.post("/api/v1/webhooks/shippo", status_code=202, include_in_schema=False)
async def shippo_webhook(request: Request) -> JSONResponse:
    """A Shippo event: 202 stored, 200 duplicate or ignored, 400 malformed, 401 bad token."""
    token = request.query_params.get("token")
    try:
        service.check_token(token, request.app.state.settings.webhook_token)
        payload, event = service.parse(await request.body())
    except Exception:
        WEBHOOKS.labels("unknown", "rejected").inc()
        raise
    if event is None:
        WEBHOOKS.labels(str(payload.get("event"))[:40], "ignored").inc()
        return JSONResponse({"status": "ignored"}, status_code=200)
    result = await _ingest(request, payload, event)
    WEBHOOKS.labels(event.event, result).inc()
    return JSONResponse({"status": result}, status_code=202 if result == "accepted" else 200)


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
    status: str | None = None,
    limit: int = Query(100, ge=1, le=500),
) -> list[WebhookEventOut]:
    """Stored carrier events, newest first (staff)."""
    return [
        WebhookEventOut.model_validate(e, from_attributes=True)
        for e in repo.list_events(session, status=status, limit=limit)
    ]
