"""Quote background work: expire lapsed quotes; release a voided shipment's payment; keep card
holds from lapsing; poll intents whose webhook may have been missed."""

from __future__ import annotations

from sqlalchemy.orm import Session

from freight.jobs.registry import JobContext
from freight.quotes import holds, service


def expire(session: Session, ctx: JobContext) -> int:
    """Open quotes past their expiry → expired; their RRs go back to ready_to_ship."""
    return service.expire_due(session, now=ctx.now)


def release_payment(
    session: Session, ctx: JobContext, *, payment_id: str, reason: str = ""
) -> None:
    """Cancel the hold or refund the capture of a payment whose label was voided."""
    service.settle_release(
        session, payments=ctx.payments, payment_id=payment_id, reason=reason or "label voided"
    )


def renew_holds(session: Session, ctx: JobContext) -> int:
    """Holds older than FREIGHT_HOLD_RENEW_DAYS whose label is not bought: placed again."""
    return holds.renew_due(
        session, payments=ctx.payments, now=ctx.now, days=ctx.settings.hold_renew_days
    )


def poll_payments(session: Session, ctx: JobContext) -> int:
    """Intents still waiting for the customer: read them (covers a missed Stripe webhook)."""
    return holds.poll_unconfirmed(
        session, payments=ctx.payments, now=ctx.now, minutes=ctx.settings.payment_poll_minutes
    )
