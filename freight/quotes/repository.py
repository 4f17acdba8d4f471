"""Every quote and payment query lives here."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from freight.quotes.models import Payment, PaymentHold, Quote
from freight.quotes.rules import ACCEPTED, OPEN


def get(session: Session, quote_id: str, *, lock: bool = False) -> Quote | None:
    stmt = select(Quote).where(Quote.id == quote_id)
    if lock:
        stmt = stmt.with_for_update()
    return session.scalar(stmt)


def payment_for(session: Session, quote_id: str, *, lock: bool = False) -> Payment | None:
    stmt = select(Payment).where(Payment.quote_id == quote_id)
    if lock:
        stmt = stmt.with_for_update()
    return session.scalar(stmt)


def for_rr(session: Session, rr_id: int) -> Sequence[Quote]:
    return session.scalars(
        select(Quote).where(Quote.rr_id == rr_id).order_by(Quote.created_at)
    ).all()


def for_shipment(session: Session, shipment_id: str) -> Sequence[Quote]:
    stmt = select(Quote).where(Quote.shipment_id == shipment_id).order_by(Quote.created_at)
    return session.scalars(stmt).all()


def live_for_shipment(session: Session, shipment_id: str) -> Quote | None:
    """The open or accepted quote of a shipment (at most one is live at a time)."""
    stmt = (
        select(Quote)
        .where(Quote.shipment_id == shipment_id, Quote.status.in_((OPEN, ACCEPTED)))
        .order_by(Quote.created_at.desc())
    )
    return session.scalars(stmt).first()


def latest_for_shipment(session: Session, shipment_id: str) -> Quote | None:
    stmt = select(Quote).where(Quote.shipment_id == shipment_id).order_by(Quote.created_at.desc())
    return session.scalars(stmt).first()


def open_expired(session: Session, now: datetime, limit: int = 200) -> Sequence[str]:
    """Ids of open quotes whose validity has run out."""
    stmt = (
        select(Quote.id)
        .where(Quote.status == OPEN, Quote.expires_at <= now)
        .order_by(Quote.expires_at)
        .limit(limit)
    )
    return session.scalars(stmt).all()


def payments_for(session: Session, quote_ids: Sequence[str]) -> dict[str, Payment]:
    if not quote_ids:
        return {}
    rows = session.scalars(select(Payment).where(Payment.quote_id.in_(quote_ids))).all()
    return {p.quote_id: p for p in rows}


def hold_by_ref(session: Session, provider_ref: str) -> PaymentHold | None:
    return session.scalar(select(PaymentHold).where(PaymentHold.provider_ref == provider_ref))


def holds_of(session: Session, payment_id: str) -> Sequence[PaymentHold]:
    stmt = select(PaymentHold).where(PaymentHold.payment_id == payment_id)
    return session.scalars(stmt.order_by(PaymentHold.created_at, PaymentHold.id)).all()


def holds_for(session: Session, payment_ids: Sequence[str]) -> dict[str, list[PaymentHold]]:
    found: dict[str, list[PaymentHold]] = {}
    if payment_ids:
        stmt = select(PaymentHold).where(PaymentHold.payment_id.in_(payment_ids))
        for hold in session.scalars(stmt.order_by(PaymentHold.created_at, PaymentHold.id)):
            found.setdefault(hold.payment_id, []).append(hold)
    return found


def pending_renewal(session: Session, payment_id: str) -> PaymentHold | None:
    """A re-authorization waiting for the customer (the bank wants them again)."""
    stmt = select(PaymentHold).where(
        PaymentHold.payment_id == payment_id,
        PaymentHold.purpose == "renewal",
        PaymentHold.status.in_(("pending", "failed")),
    )
    return session.scalars(stmt.order_by(PaymentHold.created_at.desc())).first()


def holds_older_than(session: Session, cutoff: datetime, limit: int = 200) -> Sequence[str]:
    """Payments of accepted quotes whose live hold was placed before `cutoff`."""
    stmt = (
        select(Payment.id)
        .join(Quote, Quote.id == Payment.quote_id)
        .where(
            Payment.status == "authorized",
            Payment.authorized_at <= cutoff,
            Quote.status == ACCEPTED,
        )
        .order_by(Payment.authorized_at)
        .limit(limit)
    )
    return session.scalars(stmt).all()


def unconfirmed_holds(session: Session, before: datetime, limit: int = 200) -> Sequence[str]:
    """Holds still waiting for the customer or the processor since before `before` (the poll)."""
    stmt = (
        select(PaymentHold.id)
        .where(PaymentHold.status.in_(("pending", "failed")), PaymentHold.created_at <= before)
        .order_by(PaymentHold.created_at)
        .limit(limit)
    )
    return session.scalars(stmt).all()
