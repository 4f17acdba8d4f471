"""Every Repair Request query lives here."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from freight.repairs.models import Receipt, RepairRequest, RRHistory


def get_by_number(session: Session, rr_number: str, *, lock: bool = False) -> RepairRequest | None:
    stmt = select(RepairRequest).where(RepairRequest.rr_number == rr_number.strip().upper())
    if lock:
        stmt = stmt.with_for_update()
    return session.scalar(stmt)


def open_rr_for_serial(session: Session, serial: str) -> RepairRequest | None:
    return session.scalar(select(RepairRequest).where(RepairRequest.open_serial == serial))


def rr_number_taken(session: Session, rr_number: str) -> bool:
    return (
        session.scalar(select(RepairRequest.id).where(RepairRequest.rr_number == rr_number))
        is not None
    )


def list_page(
    session: Session, *, status: str | None, q: str | None, limit: int, after_id: int | None
) -> Sequence[RepairRequest]:
    """Newest first, keyset-paginated on id."""
    stmt = select(RepairRequest).order_by(RepairRequest.id.desc()).limit(limit)
    if status:
        stmt = stmt.where(RepairRequest.status == status)
    if after_id is not None:
        stmt = stmt.where(RepairRequest.id < after_id)
    if q:
        # `%` and `_` in the search text are literal characters, not wildcards.
        text = q.strip().lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        like = f"%{text}%"
        columns = (
            RepairRequest.rr_number, RepairRequest.serial_number, RepairRequest.customer_email,
            RepairRequest.customer_name, RepairRequest.part_number,
        )  # fmt: skip
        stmt = stmt.where(or_(*(c.ilike(like, escape="\\") for c in columns)))
    return session.scalars(stmt).all()


def receipts_for(session: Session, rr_id: int) -> Sequence[Receipt]:
    return session.scalars(select(Receipt).where(Receipt.rr_id == rr_id).order_by(Receipt.id)).all()


def add_history(
    session: Session,
    rr: RepairRequest,
    *,
    from_status: str | None,
    to_status: str,
    actor: str,
    at: datetime,
    rule: str | None = None,
    note: str = "",
) -> None:
    """Record a history line (only freight.repairs.lifecycle calls this: move, note, issue)."""
    session.add(
        RRHistory(
            rr=rr, at=at, from_status=from_status, to_status=to_status,
            actor=actor, rule=rule, note=note,
        )
    )  # fmt: skip
