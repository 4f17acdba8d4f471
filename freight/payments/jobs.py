"""Payments background work (registered in freight.jobs.registry): apply Stripe's events."""

from __future__ import annotations

from sqlalchemy.orm import Session

from freight.jobs.registry import JobContext
from freight.payments.webhooks import apply_stripe_event


def apply_event(session: Session, ctx: JobContext, *, event_id: int) -> None:
    """Apply one stored Stripe event (idempotent: processed events are skipped)."""
    apply_stripe_event(session, ctx, event_id=event_id)
