"""Freight quotes (P-QUOTE) and the card payments that settle them."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from freight.db import Amount, Base, UTCDateTime, new_id, utcnow


class Quote(Base):
    __tablename__ = "quotes"

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("quo"))
    shipment_id: Mapped[str] = mapped_column(ForeignKey("shipments.id"), index=True)
    rr_id: Mapped[int] = mapped_column(ForeignKey("repair_requests.id"), index=True)
    amount: Mapped[Decimal] = mapped_column(Amount())
    currency: Mapped[str] = mapped_column(String(3))
    carrier: Mapped[str] = mapped_column(String(40))
    service: Mapped[str] = mapped_column(String(100))
    rate_id: Mapped[str] = mapped_column(String(100))
    estimated_days: Mapped[int | None] = mapped_column(Integer, nullable=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    status: Mapped[str] = mapped_column(String(20), index=True)  # open|accepted|expired|...
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class Payment(Base):
    """A card hold for a quote: authorized, then captured or cancelled (never twice)."""

    __tablename__ = "payments"

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("pay"))
    quote_id: Mapped[str] = mapped_column(ForeignKey("quotes.id"), unique=True)
    provider: Mapped[str] = mapped_column(String(20))
    provider_ref: Mapped[str | None] = mapped_column(String(100), nullable=True)
    # pending (the customer has not confirmed the card yet, e.g. a 3-D Secure challenge) |
    # authorized | captured | cancelled | failed
    status: Mapped[str] = mapped_column(String(20))
    currency: Mapped[str] = mapped_column(String(3))
    authorized_amount: Mapped[Decimal] = mapped_column(Amount())
    captured_amount: Mapped[Decimal | None] = mapped_column(Amount(), nullable=True)
    refunded_amount: Mapped[Decimal | None] = mapped_column(Amount(), nullable=True)
    failure_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    # The processor's customer and saved card (tokens, never card details): a hold that would
    # lapse is placed again off-session with them.
    customer_ref: Mapped[str | None] = mapped_column(String(100), nullable=True)
    payment_method_ref: Mapped[str | None] = mapped_column(String(100), nullable=True)
    authorized_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class PaymentHold(Base):
    """One PaymentIntent of a payment: the first hold and each re-authorization (the ledger
    lists them). `status`: pending | authorized | released | captured | failed | lapsed."""

    __tablename__ = "payment_holds"

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("hold"))
    payment_id: Mapped[str] = mapped_column(ForeignKey("payments.id"), index=True)
    provider_ref: Mapped[str] = mapped_column(String(100), unique=True)
    purpose: Mapped[str] = mapped_column(String(20))  # accept | renewal
    status: Mapped[str] = mapped_column(String(20))
    amount: Mapped[Decimal] = mapped_column(Amount())
    currency: Mapped[str] = mapped_column(String(3))
    authorized_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    failure_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
