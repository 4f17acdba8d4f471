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

router = APIRouter(tags=["webhooks"])

# At most this many ingests hold a database connection at once per process: more would overflow
# the engine's pool, and overflow connections are opened and closed per request (slow, CPU-hungry).
_DB_SLOTS = anyio.CapacityLimiter(8)


def _store(engine: Engine, payload: dict[str, Any], event: CarrierEvent) -> str:
    # committed before the 2xx; the job is handed to the publisher after the commit
    return service.ingest_now(engine, payload=payload, event=event, now=utc_now())


@router.post("/webhooks/shippo", status_code=202, responses={200: {}, 400: {}, 401: {}})
@router.post("/api/v1/webhooks/shippo", status_code=202, include_in_schema=False)
async def shippo_webhook(request: Request, token: str | None = Query(default=None)) -> JSONResponse:
    """A Shippo event: 202 stored, 200 duplicate or ignored, 400 malformed, 401 bad token."""
    try:
        service.check_token(token, request.app.state.settings.webhook_token)
        payload, event = service.parse(await request.body())
    except Exception:
        WEBHOOKS.labels("unknown", "rejected").inc()
        raise
    if event is None:
        WEBHOOKS.labels(str(payload.get("event"))[:40], "ignored").inc()
        return JSONResponse({"status": "ignored"}, status_code=200)
    result = await anyio.to_thread.run_sync(
        _store, request.app.state.engine, payload, event, limiter=_DB_SLOTS
    )
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
