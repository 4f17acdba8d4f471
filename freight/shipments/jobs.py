"""Shipment background work: the label purchase (the only place a label is bought)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from freight.jobs.registry import JobContext, job
from freight.shipments import purchase


@job("shipments.buy_label")
def buy_label(session: Session, ctx: JobContext, *, shipment_id: str) -> None:
    """Buy or find the label, ship the RR, capture the hold; safe to run twice."""
    purchase.buy_label(session, ctx, shipment_id=shipment_id)
