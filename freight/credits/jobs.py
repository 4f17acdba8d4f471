"""Background jobs of credit returns (registered in freight.jobs.registry)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from freight.credits.service import pay_refund
from freight.jobs.registry import JobContext


def refund(session: Session, ctx: JobContext, *, refund_id: str) -> None:
    """P-CREDIT: refund price − restocking fee once, then mark the RR refunded."""
    pay_refund(session, refund_id=refund_id, payments=ctx.payments, now=ctx.now)
