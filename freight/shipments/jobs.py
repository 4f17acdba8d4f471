"""Shipment background work: the label purchase (the only place a label is bought), and the
refund checks of voided labels."""

from __future__ import annotations

from sqlalchemy.orm import Session

from carriers.errors import CarrierError
from freight.jobs.registry import JobContext
from freight.shipments import purchase, voiding
from freight.shipments import repository as repo


def buy_label(session: Session, ctx: JobContext, *, shipment_id: str) -> None:
    """Buy or find the label, ship the RR, capture the hold; safe to run twice."""
    purchase.buy_label(session, ctx, shipment_id=shipment_id)


def check_refund(session: Session, ctx: JobContext, *, shipment_id: str) -> None:
    """Ask the carrier how a void's refund stands (retried with back-off while undecided)."""
    voiding.check(session, ctx, shipment_id=shipment_id)


def refunds_poll(session: Session, ctx: JobContext) -> int:
    """Refunds the carrier takes days over (USPS): look at each void still pending."""
    pending = repo.void_pending(session, limit=100)
    for shipment in pending:
        refund = voiding.refund_id(shipment)
        try:
            status = ctx.carrier.get_refund(refund).status if refund else None
        except CarrierError:
            continue  # the next poll asks again; one carrier hiccup holds up no other shipment
        if status is not None:
            voiding.settle(session, shipment, status, now=ctx.now)
    return len(pending)
