"""Damage/loss claim flags (P-CLAIM): who files, by when, what evidence to keep."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from freight.db import Base, UTCDateTime, new_id, utcnow


class Claim(Base):
    __tablename__ = "claims"

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("clm"))
    # One claim per shipment: duplicate signals update it instead of opening another.
    shipment_id: Mapped[str | None] = mapped_column(
        ForeignKey("shipments.id"), unique=True, nullable=True
    )
    rr_id: Mapped[int] = mapped_column(ForeignKey("repair_requests.id"), index=True)
    source: Mapped[str] = mapped_column(String(30))
    kind: Mapped[str] = mapped_column(String(30))
    filer: Mapped[str] = mapped_column(String(20))
    carrier: Mapped[str | None] = mapped_column(String(40), nullable=True)
    file_by: Mapped[date] = mapped_column(Date, index=True)
    deadline_rule: Mapped[str] = mapped_column(Text, default="")
    evidence: Mapped[list[Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(20), index=True)
    notes: Mapped[list[Any]] = mapped_column(JSON, default=list)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
