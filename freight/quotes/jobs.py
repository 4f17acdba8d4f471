"""Quote background work: expire lapsed quotes; release a voided shipment's payment."""

from __future__ import annotations

from sqlalchemy.orm import Session

from freight.jobs.registry import JobContext, job, periodic
from freight.quotes import service


@periodic("quotes.expire", every_seconds=300)
def expire(session: Session, ctx: JobContext) -> int:
    """Open quotes past their expiry → expired; their RRs go back to ready_to_ship."""
    return service.expire_due(session, now=ctx.now)


@job("quotes.release_payment")
def release_payment(
    session: Session, ctx: JobContext, *, payment_id: str, reason: str = ""
) -> None:
    """Cancel the hold or refund the capture of a payment whose label was voided."""
    del reason  # recorded in the job row for people; the action depends only on the payment
    service.settle_release(session, payments=ctx.payments, payment_id=payment_id)
