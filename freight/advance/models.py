"""Advance replacements: one per RR, the saved card and what became of it (P-REPLACE, ADV-*)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from freight.db import Amount, Base, UTCDateTime, new_id, utcnow


class AdvanceReplacement(Base):
    __tablename__ = "advance_replacements"

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("adv"))
    rr_id: Mapped[int] = mapped_column(ForeignKey("repair_requests.id"), unique=True)
    # card_requested | card_saved | released | charged | charge_failed (freight.advance.rules)
    state: Mapped[str] = mapped_column(String(20), index=True)
    part_number: Mapped[str] = mapped_column(String(100))
    serial_number: Mapped[str | None] = mapped_column(String(100), nullable=True)
    condition: Mapped[str] = mapped_column(String(20))
    note: Mapped[str] = mapped_column(Text, default="")
    price: Mapped[Decimal] = mapped_column(Amount())
    currency: Mapped[str] = mapped_column(String(3))
    warranty_ends_on: Mapped[str | None] = mapped_column(String(10), nullable=True)
    # The processor's side: the SetupIntent that saved the card, its customer and card.
    setup_intent_ref: Mapped[str | None] = mapped_column(String(100), nullable=True)
    customer_ref: Mapped[str | None] = mapped_column(String(100), nullable=True)
    payment_method: Mapped[str | None] = mapped_column(String(100), nullable=True)
    card_saved_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    remind_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True, index=True)
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    charge_queued_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    charged_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # `advance-charge:<RR>`: every attempt at the one charge uses it (never two charges).
    charge_key: Mapped[str] = mapped_column(String(100), unique=True)
    charge_ref: Mapped[str | None] = mapped_column(String(100), nullable=True)
    failure_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    decisions: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    offered_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
