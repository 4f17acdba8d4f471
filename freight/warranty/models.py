"""The warranty registry: one row per serial number the vendor has shipped or replaced."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from freight.db import Base, UTCDateTime, utcnow


class WarrantyUnit(Base):
    __tablename__ = "warranty_units"

    id: Mapped[int] = mapped_column(primary_key=True)
    serial_number: Mapped[str] = mapped_column(String(100), unique=True)
    part_number: Mapped[str] = mapped_column(String(100))
    shipped_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    warranty_months: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # source: import (registry CSV) | replacement (made by P-REPLACE) | repair_request (a unit we
    # only know from an RR, recorded so its replacement link has somewhere to live)
    source: Mapped[str] = mapped_column(String(20))
    replaces: Mapped[str | None] = mapped_column(String(100), nullable=True, index=True)
    replaced_by: Mapped[str | None] = mapped_column(String(100), nullable=True)
    # P-REPLACE: the end date the replaced unit had when this one took its place.
    inherited_ends_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    condition: Mapped[str | None] = mapped_column(String(20), nullable=True)
    rr_number: Mapped[str | None] = mapped_column(String(16), nullable=True)
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
