"""Advance replacement background work (registered in freight.jobs.registry)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from freight.advance import service
from freight.jobs.registry import JobContext, job, periodic


@periodic("advance.sweep", every_seconds=3600)
def sweep(session: Session, ctx: JobContext) -> int:
    """Advance replacements: release returned units' cards, remind on day 21, queue due charges."""
    return service.sweep(session, now=ctx.now, settings=ctx.settings)


@job(service.CHARGE_TASK)
def charge(session: Session, ctx: JobContext, *, advance_id: str) -> None:
    """ADV-CHARGE: charge the saved card once (looked up first by its idempotency key)."""
    service.charge(
        session, advance_id=advance_id, payments=ctx.payments, now=ctx.now, settings=ctx.settings
    )
