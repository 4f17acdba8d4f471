"""Every shipment query lives here."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from freight.shipments.models import Shipment, ShipmentDocument


def get(session: Session, shipment_id: str, *, lock: bool = False) -> Shipment | None:
    stmt = select(Shipment).where(Shipment.id == shipment_id)
    if lock:
        stmt = stmt.with_for_update()
    return session.scalar(stmt)


def for_rr(session: Session, rr_id: int) -> Sequence[Shipment]:
    stmt = (
        select(Shipment).where(Shipment.rr_id == rr_id).order_by(Shipment.created_at, Shipment.id)
    )
    return session.scalars(stmt).all()


def outbound_for_rr(session: Session, rr_id: int, *, states: Sequence[str]) -> Sequence[Shipment]:
    """Outbound shipments of an RR in the given internal states, newest first."""
    stmt = (
        select(Shipment)
        .where(
            Shipment.rr_id == rr_id, Shipment.direction == "outbound", Shipment.state.in_(states)
        )
        .order_by(Shipment.created_at.desc())
    )
    return session.scalars(stmt).all()


def outbound_between(
    session: Session, start: datetime | None, end: datetime | None
) -> Sequence[Shipment]:
    """Outbound shipments created in [start, end), oldest first (the freight ledger)."""
    stmt = select(Shipment).where(Shipment.direction == "outbound", Shipment.state != "draft")
    if start is not None:
        stmt = stmt.where(Shipment.created_at >= start)
    if end is not None:
        stmt = stmt.where(Shipment.created_at < end)
    return session.scalars(stmt.order_by(Shipment.created_at, Shipment.id)).all()


def by_tracking(session: Session, tracking_numbers: Sequence[str]) -> dict[str, Shipment]:
    """Outbound shipments by tracking number (invoice matching)."""
    if not tracking_numbers:
        return {}
    stmt = select(Shipment).where(
        Shipment.tracking_number.in_(tracking_numbers), Shipment.direction == "outbound"
    )
    return {s.tracking_number or "": s for s in session.scalars(stmt).all()}


def void_pending(session: Session, limit: int) -> Sequence[Shipment]:
    """Shipments waiting for the carrier's refund decision, longest waiting first."""
    stmt = (
        select(Shipment)
        .where(Shipment.state == "void_pending")
        .order_by(Shipment.updated_at, Shipment.id)
        .limit(limit)
    )
    return session.scalars(stmt).all()


def by_metadata(session: Session, metadata: str | None) -> Shipment | None:
    """The shipment a carrier object belongs to, from its metadata (`shipment:<id>`)."""
    if not metadata or not metadata.startswith("shipment:"):
        return None
    return get(session, metadata.removeprefix("shipment:"), lock=True)


def by_transaction(session: Session, transaction_id: str) -> Shipment | None:
    stmt = select(Shipment).where(Shipment.transaction_id == transaction_id).with_for_update()
    return session.scalar(stmt)


def document(session: Session, shipment_id: str, kind: str) -> ShipmentDocument | None:
    """The stored carrier document of a kind (label, commercial_invoice) for a shipment."""
    stmt = select(ShipmentDocument).where(
        ShipmentDocument.shipment_id == shipment_id, ShipmentDocument.kind == kind
    )
    return session.scalar(stmt)
