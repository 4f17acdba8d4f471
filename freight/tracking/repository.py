"""Every tracking query lives here: shipments by tracking number, events, pollable trackers."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from freight.repairs.models import RepairRequest
from freight.repairs.rules import AWAITING_UNIT
from freight.shipments.models import Shipment

TERMINAL_TRACKING = ("DELIVERED", "RETURNED")
NOT_TRACKED_STATES = ("draft", "voided", "failed", "rating", "quoted")


def by_tracking(
    session: Session, carrier: str, tracking_number: str, *, lock: bool = False
) -> Shipment | None:
    """The shipment with this carrier and number (exact, as stored)."""
    stmt = select(Shipment).where(
        Shipment.carrier == carrier, Shipment.tracking_number == tracking_number
    )
    if lock:
        stmt = stmt.with_for_update()
    return session.scalar(stmt)


def by_number_only(session: Session, tracking_number: str) -> Sequence[Shipment]:
    """Shipments with this number under any carrier (webhooks may spell the carrier differently)."""
    return session.scalars(
        select(Shipment).where(Shipment.tracking_number == tracking_number).limit(2)
    ).all()


def get_shipment(session: Session, shipment_id: str, *, lock: bool = False) -> Shipment | None:
    stmt = select(Shipment).where(Shipment.id == shipment_id)
    if lock:
        stmt = stmt.with_for_update()
    return session.scalar(stmt)


def shipments_of(
    session: Session, rr_id: int, *, direction: str | None = None
) -> Sequence[Shipment]:
    stmt = (
        select(Shipment).where(Shipment.rr_id == rr_id).order_by(Shipment.created_at, Shipment.id)
    )
    if direction:
        stmt = stmt.where(Shipment.direction == direction)
    return session.scalars(stmt).all()


def rr_of(session: Session, shipment: Shipment, *, lock: bool = False) -> RepairRequest:
    stmt = select(RepairRequest).where(RepairRequest.id == shipment.rr_id)
    if lock:
        stmt = stmt.with_for_update()
    return session.scalars(stmt).one()  # the foreign key keeps it there


def due_for_poll(session: Session, *, quiet_before: datetime, limit: int) -> Sequence[Shipment]:
    """Active trackers not heard from since `quiet_before` (never-polled first). An inbound
    parcel is tracked only until its RR is received (or cancelled): then we have it."""
    stmt = (
        select(Shipment)
        .join(RepairRequest, RepairRequest.id == Shipment.rr_id)
        .where(
            or_(Shipment.direction != "inbound", RepairRequest.status.in_(AWAITING_UNIT)),
            Shipment.tracking_number.is_not(None),
            Shipment.carrier.is_not(None),
            Shipment.status.not_in(TERMINAL_TRACKING),
            Shipment.state.not_in(NOT_TRACKED_STATES),
            or_(Shipment.last_tracking_at.is_(None), Shipment.last_tracking_at < quiet_before),
        )
        .order_by(Shipment.last_tracking_at.is_not(None), Shipment.last_tracking_at, Shipment.id)
        .limit(limit)
    )
    return session.scalars(stmt).all()


def inbound_for_desk(session: Session, *, delivered_only: bool, limit: int) -> Sequence[Shipment]:
    """Inbound packages whose RR is not received yet (the receiving desk's expected list)."""
    stmt = (
        select(Shipment)
        .join(RepairRequest, RepairRequest.id == Shipment.rr_id)
        .where(
            Shipment.direction == "inbound",
            RepairRequest.status.in_(AWAITING_UNIT),
        )
        .order_by(Shipment.delivered_at.is_(None), Shipment.delivered_at, Shipment.created_at)
        .limit(limit)
    )
    if delivered_only:
        stmt = stmt.where(Shipment.status == "DELIVERED")
    return session.scalars(stmt).all()
