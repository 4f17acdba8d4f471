"""End-of-day background work: the carrier's manifest and pickup (safe to run twice)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from freight.closeout import service
from freight.jobs.registry import JobContext


def create_manifest(session: Session, ctx: JobContext, *, manifest_id: str) -> None:
    """Create (or find after a crash) the carrier's manifest and keep its PDF."""
    service.create_manifest(session, ctx, manifest_id=manifest_id)


def book_pickup(session: Session, ctx: JobContext, *, pickup_id: str) -> None:
    """Book the pickup with the carrier."""
    service.run_pickup(session, ctx, pickup_id=pickup_id)
