"""Every claim query lives here."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from freight.claims.models import Claim
from freight.claims.rules import UNFILED_STATUSES
from freight.repairs.models import RepairRequest


def get(session: Session, claim_id: str, *, lock: bool = False) -> Claim | None:
    stmt = select(Claim).where(Claim.id == claim_id)
    if lock:
        stmt = stmt.with_for_update()
    return session.scalar(stmt)


def for_shipment(session: Session, shipment_id: str) -> Claim | None:
    return session.scalar(select(Claim).where(Claim.shipment_id == shipment_id))


def unlinked_for_rr(session: Session, rr_id: int, source: str) -> Claim | None:
    """A claim with no shipment (e.g. a damaged carton that came without registered tracking)."""
    return session.scalar(
        select(Claim).where(
            Claim.rr_id == rr_id, Claim.shipment_id.is_(None), Claim.source == source
        )
    )


def for_rr(session: Session, rr_id: int) -> Sequence[Claim]:
    return session.scalars(
        select(Claim).where(Claim.rr_id == rr_id).order_by(Claim.created_at, Claim.id)
    ).all()


def list_claims(
    session: Session, *, status: str | None, carrier: str | None, limit: int
) -> list[tuple[Claim, str]]:
    """The claims queue with each claim's RR number: earliest deadline first."""
    stmt = (
        select(Claim, RepairRequest.rr_number)
        .join(RepairRequest, RepairRequest.id == Claim.rr_id)
        .order_by(Claim.file_by, Claim.id)
        .limit(limit)
    )
    if status:
        stmt = stmt.where(Claim.status == status)
    if carrier:
        stmt = stmt.where(Claim.carrier == carrier.strip().lower())
    return [(claim, number) for claim, number in session.execute(stmt).all()]


def rr_number_of(session: Session, claim: Claim) -> str:
    number = session.scalar(select(RepairRequest.rr_number).where(RepairRequest.id == claim.rr_id))
    return number or ""


def unfiled_due_before(session: Session, today: date, *, limit: int) -> Sequence[Claim]:
    """Unfiled claims whose deadline is before today (candidates for expiry)."""
    return session.scalars(
        select(Claim)
        .where(Claim.status.in_([s.value for s in UNFILED_STATUSES]), Claim.file_by < today)
        .order_by(Claim.file_by, Claim.id)
        .limit(limit)
    ).all()
