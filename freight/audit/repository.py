"""Every audit-trail query lives here."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from freight.audit.models import AuditEntry


def add(session: Session, entry: AuditEntry) -> None:
    session.add(entry)


def page(
    session: Session,
    *,
    actor: str | None,
    action: str | None,
    start: datetime | None,
    end: datetime | None,
    before_id: int | None,
    limit: int,
) -> Sequence[AuditEntry]:
    """Newest first, keyset-paginated on id (ids grow with time within one database)."""
    stmt = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
    if actor:
        stmt = stmt.where(AuditEntry.actor == actor)
    if action:
        stmt = stmt.where(AuditEntry.action == action)
    if start is not None:
        stmt = stmt.where(AuditEntry.at >= start)
    if end is not None:
        stmt = stmt.where(AuditEntry.at < end)
    if before_id is not None:
        stmt = stmt.where(AuditEntry.id < before_id)
    return session.scalars(stmt).all()
