"""Credit-return refunds (P-CREDIT): one per RR, computed at receipt, paid by a background job."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from freight.db import Amount, Base, UTCDateTime, new_id, utcnow


class CreditRefund(Base):
    __tablename__ = "credit_refunds"

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("crf"))
    rr_id: Mapped[int] = mapped_column(ForeignKey("repair_requests.id"), unique=True)
    status: Mapped[str] = mapped_column(String(20), index=True)  # pending | refunded | failed
    currency: Mapped[str] = mapped_column(String(3))
    price: Mapped[Decimal] = mapped_column(Amount())
    fee: Mapped[Decimal] = mapped_column(Amount())
    refund: Mapped[Decimal] = mapped_column(Amount())
    fee_rate: Mapped[Decimal] = mapped_column(Amount())
    payment_reference: Mapped[str] = mapped_column(String(200))
    # The processor's idempotency key: derived from the RR, so any retry is the same refund.
    idempotency_key: Mapped[str] = mapped_column(String(100), unique=True)
    provider: Mapped[str | None] = mapped_column(String(20), nullable=True)
    provider_refund_id: Mapped[str | None] = mapped_column(String(100), nullable=True)
    failure_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    refunded_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
