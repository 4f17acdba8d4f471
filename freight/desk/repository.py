"""Every query behind the desk's day queues: one count and one bounded list per queue."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime

from sqlalchemy import Subquery, exists, func, select
from sqlalchemy.orm import Session

from freight.claims.models import Claim
from freight.claims.rules import UNFILED_STATUSES
from freight.repairs.models import Receipt, RepairRequest
from freight.repairs.rules import AWAITING_UNIT, RRStatus
from freight.shipments.models import Shipment

_RR = RepairRequest


def _count(session: Session, members: Subquery) -> int:
    return session.scalar(select(func.count()).select_from(members)) or 0


def expected_inbound(session: Session, *, limit: int) -> tuple[int, Sequence[RepairRequest]]:
    """RRs still awaiting their unit that have inbound tracking, earliest inbound deadline first."""
    tracked = exists().where(
        Shipment.rr_id == _RR.id,
        Shipment.direction == "inbound",
        Shipment.tracking_number.is_not(None),
    )
    stmt = select(_RR).where(_RR.status.in_(AWAITING_UNIT), tracked)
    stmt = stmt.order_by(_RR.inbound_deadline, _RR.id)
    return _count(session, stmt.order_by(None).subquery()), session.scalars(stmt.limit(limit)).all()


def arrived_between(
    session: Session, start: datetime, end: datetime, *, limit: int
) -> tuple[int, Sequence[RepairRequest]]:
    """RRs with a receipt logged in [start, end), earliest receipt first (one row per RR)."""
    first = (
        select(Receipt.rr_id, func.min(Receipt.received_at).label("at"))
        .where(Receipt.rr_id.is_not(None), Receipt.received_at >= start, Receipt.received_at < end)
        .group_by(Receipt.rr_id)
        .subquery()
    )
    stmt = select(_RR).join(first, first.c.rr_id == _RR.id).order_by(first.c.at, _RR.id)
    return _count(session, stmt.order_by(None).subquery()), session.scalars(stmt.limit(limit)).all()


def in_statuses_by_repair_due(
    session: Session, statuses: Collection[RRStatus], *, limit: int
) -> tuple[int, Sequence[RepairRequest]]:
    """RRs in `statuses`, SLA due date first (overdue first, then soonest; none last)."""
    stmt = select(_RR).where(_RR.status.in_(statuses))
    stmt = stmt.order_by(_RR.repair_due.is_(None), _RR.repair_due, _RR.id)
    return _count(session, stmt.order_by(None).subquery()), session.scalars(stmt.limit(limit)).all()


def in_status_oldest_first(
    session: Session, status: RRStatus, *, limit: int
) -> tuple[int, Sequence[RepairRequest]]:
    """RRs in `status`, the longest waiting (least recently changed) first."""
    stmt = select(_RR).where(_RR.status == status).order_by(_RR.updated_at, _RR.id)
    return _count(session, stmt.order_by(None).subquery()), session.scalars(stmt.limit(limit)).all()


def claims_due(session: Session, *, limit: int) -> tuple[int, Sequence[tuple[Claim, str, str]]]:
    """Claims not filed yet (open or notified), earliest file-by date first, with their RR."""
    stmt = (
        select(Claim, _RR.rr_number, _RR.customer_name)
        .join(_RR, _RR.id == Claim.rr_id)
        .where(Claim.status.in_(UNFILED_STATUSES))
        .order_by(Claim.file_by, Claim.created_at, Claim.id)
    )
    rows = [(c, n, cust) for c, n, cust in session.execute(stmt.limit(limit))]
    return _count(session, stmt.order_by(None).subquery()), rows
