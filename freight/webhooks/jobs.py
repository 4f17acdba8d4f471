"""Background jobs of this feature (registered in freight.jobs.registry)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from freight.jobs.registry import JobContext, job
from freight.webhooks.service import PROCESS_TASK, process_event


@job(PROCESS_TASK)
def process(session: Session, ctx: JobContext, *, event_id: int) -> None:
    """Process one stored carrier webhook event (idempotent: processed events are skipped)."""
    process_event(session, ctx, event_id=event_id)
