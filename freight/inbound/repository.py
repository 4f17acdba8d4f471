"""Queries of inbound return labels."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from freight.inbound.rules import PURPOSE
from freight.shipments.models import Shipment


def latest_label(session: Session, rr_id: int, *, lock: bool = False) -> Shipment | None:
    """The RR's newest inbound-label shipment (any state)."""
    stmt = (
        select(Shipment)
        .where(Shipment.rr_id == rr_id, Shipment.purpose == PURPOSE)
        .order_by(Shipment.created_at.desc(), Shipment.id.desc())
        .limit(1)
    )
    if lock:
        stmt = stmt.with_for_update()
    return session.scalars(stmt).first()
