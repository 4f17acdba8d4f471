"""Background jobs of tracking: subscribe to carrier webhooks; poll quiet trackers."""

from __future__ import annotations

import logging

from sqlalchemy.orm import Session

from freight.jobs.registry import JobContext
from freight.tracking import service

log = logging.getLogger("freight.tracking")


def subscribe(session: Session, ctx: JobContext, *, shipment_id: str) -> None:
    """Register a shipment's tracking number for carrier webhooks (and take its current state)."""
    service.subscribe(session, ctx, shipment_id=shipment_id)


def poll(session: Session, ctx: JobContext) -> int:
    """Refresh active trackers the carrier has been quiet about."""
    count = service.poll(session, ctx)
    log.info("tracking.poll.done refreshed=%d", count)
    return count
