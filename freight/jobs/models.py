"""Transactional outbox of background jobs: written in the request's transaction, relayed
to the broker after commit, and kept as the record staff use to see and retry failures."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from freight.db import Base, UTCDateTime, new_id, utcnow


class Job(Base):
    __tablename__ = "jobs"

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("job"))
    task: Mapped[str] = mapped_column(String(100), index=True)
    args: Mapped[dict[str, Any]] = mapped_column(JSON)
    # Business idempotency key (e.g. "buy_label:shp_…"): the same work is never queued twice.
    key: Mapped[str] = mapped_column(String(200), unique=True)
    # pending (not yet on the broker) | queued | running | retrying | succeeded | failed
    status: Mapped[str] = mapped_column(String(20), index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    relayed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # While `running` a worker owns the job until then; after it (worker died) it may be reclaimed.
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
