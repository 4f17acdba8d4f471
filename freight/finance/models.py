"""Carrier invoice lines imported by finance (adjustments against label costs)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Date, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from freight.db import Amount, Base, UTCDateTime, utcnow


class CarrierInvoiceLine(Base):
    __tablename__ = "carrier_invoice_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    tracking_number: Mapped[str] = mapped_column(String(100), index=True)
    carrier: Mapped[str] = mapped_column(String(40))
    invoice_number: Mapped[str] = mapped_column(String(100))
    invoice_date: Mapped[date] = mapped_column(Date)
    amount: Mapped[Decimal] = mapped_column(Amount())
    currency: Mapped[str] = mapped_column(String(3))
    reason: Mapped[str] = mapped_column(Text, default="")
    # Re-uploading the same invoice is idempotent: a line is identified by its content.
    line_key: Mapped[str] = mapped_column(String(64))
    shipment_id: Mapped[str | None] = mapped_column(
        ForeignKey("shipments.id"), nullable=True, index=True
    )
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = (UniqueConstraint("line_key"),)
