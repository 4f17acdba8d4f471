"""Every credit-refund query lives here."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from freight.credits.models import CreditRefund


def for_rr(session: Session, rr_id: int, *, lock: bool = False) -> CreditRefund | None:
    stmt = select(CreditRefund).where(CreditRefund.rr_id == rr_id)
    if lock:
        stmt = stmt.with_for_update()
    return session.scalar(stmt)


def get(session: Session, refund_id: str, *, lock: bool = False) -> CreditRefund | None:
    stmt = select(CreditRefund).where(CreditRefund.id == refund_id)
    if lock:
        stmt = stmt.with_for_update()
    return session.scalar(stmt)


def between(
    session: Session, start: datetime | None, end: datetime | None
) -> Sequence[CreditRefund]:
    """Refunds created in [start, end), oldest first (the finance ledger's credit rows)."""
    stmt = select(CreditRefund).order_by(CreditRefund.created_at, CreditRefund.id)
    if start is not None:
        stmt = stmt.where(CreditRefund.created_at >= start)
    if end is not None:
        stmt = stmt.where(CreditRefund.created_at < end)
    return session.scalars(stmt).all()


def add(session: Session, refund: CreditRefund) -> None:
    session.add(refund)
