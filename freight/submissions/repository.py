"""Every online-request query lives here."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session, defer

from freight.submissions.models import (
    RRSubmission,
    SubmissionDocument,
    SubmissionMessage,
    SubmissionUnit,
)


def get(session: Session, submission_id: str, *, lock: bool = False) -> RRSubmission | None:
    stmt = select(RRSubmission).where(RRSubmission.id == submission_id)
    if lock:
        stmt = stmt.with_for_update()
    return session.scalar(stmt)


def queue(
    session: Session, *, statuses: Sequence[str], limit: int, after: tuple[str, str] | None
) -> Sequence[RRSubmission]:
    """Requests in these statuses, oldest first (keyset on created_at, id)."""
    stmt = (
        select(RRSubmission)
        .where(RRSubmission.status.in_(statuses))
        .order_by(RRSubmission.created_at, RRSubmission.id)
        .limit(limit)
    )
    if after is not None:
        from datetime import datetime

        at, sid = datetime.fromisoformat(after[0]), after[1]
        stmt = stmt.where(
            (RRSubmission.created_at > at)
            | ((RRSubmission.created_at == at) & (RRSubmission.id > sid))
        )
    return session.scalars(stmt).all()


def open_units_for(session: Session, serials: Iterable[str]) -> dict[str, SubmissionUnit]:
    """Units of open requests holding these serials."""
    wanted = sorted(set(serials))
    if not wanted:
        return {}
    stmt = select(SubmissionUnit).where(SubmissionUnit.open_serial.in_(wanted))
    return {u.serial_number: u for u in session.scalars(stmt)}


def documents(session: Session, submission_id: str) -> Sequence[SubmissionDocument]:
    """The request's documents without their bytes."""
    stmt = (
        select(SubmissionDocument)
        .options(defer(SubmissionDocument.data))
        .where(SubmissionDocument.submission_id == submission_id)
        .order_by(SubmissionDocument.uploaded_at, SubmissionDocument.id)
    )
    return session.scalars(stmt).all()


def document(session: Session, submission_id: str, doc_id: str) -> SubmissionDocument | None:
    stmt = select(SubmissionDocument).where(
        SubmissionDocument.submission_id == submission_id, SubmissionDocument.id == doc_id
    )
    return session.scalar(stmt)


def document_by_hash(
    session: Session, submission_id: str, sha256: str
) -> SubmissionDocument | None:
    stmt = (
        select(SubmissionDocument)
        .options(defer(SubmissionDocument.data))
        .where(
            SubmissionDocument.submission_id == submission_id, SubmissionDocument.sha256 == sha256
        )
    )
    return session.scalar(stmt)


def document_count(session: Session, submission_id: str) -> int:
    stmt = select(func.count()).where(SubmissionDocument.submission_id == submission_id)
    return int(session.scalar(stmt) or 0)


def add(session: Session, row: RRSubmission | SubmissionDocument | SubmissionMessage) -> None:
    session.add(row)
