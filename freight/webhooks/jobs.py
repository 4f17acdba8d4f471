"""Background jobs of this feature (registered in freight.jobs.registry)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from freight.jobs.registry import JobContext
from freight.webhooks.service import process_event


def process(session: Session, ctx: JobContext, *, event_id: int) -> None:
    """Process one stored carrier webhook event (idempotent: processed events are skipped)."""
    process_event(session, ctx, event_id=event_id)
