"""Repair Requests, their history and receiving-desk receipts."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from freight.db import Amount, Base, UTCDateTime, utcnow


class RepairRequest(Base):
    __tablename__ = "repair_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    rr_number: Mapped[str] = mapped_column(String(16), unique=True)
    kind: Mapped[str] = mapped_column(String(20))
    serial_number: Mapped[str] = mapped_column(String(100), index=True)
    # Equals serial_number while the RR is open, NULL after: a unique column gives P-SERIAL
    # (one open RR per serial) on SQLite and PostgreSQL alike.
    open_serial: Mapped[str | None] = mapped_column(String(100), unique=True, nullable=True)
    part_number: Mapped[str] = mapped_column(String(100))
    product_description: Mapped[str] = mapped_column(String(500))
    customer_name: Mapped[str] = mapped_column(String(200))
    customer_email: Mapped[str] = mapped_column(String(320), index=True)
    customer_phone: Mapped[str | None] = mapped_column(String(50), nullable=True)
    return_address: Mapped[dict[str, Any]] = mapped_column(JSON)
    proof_of_purchase: Mapped[dict[str, Any]] = mapped_column(JSON)
    insurance_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    declared_value_amount: Mapped[Decimal | None] = mapped_column(Amount(), nullable=True)
    declared_value_currency: Mapped[str | None] = mapped_column(String(3), nullable=True)
    special_requirements: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(30), index=True)
    freight_terms: Mapped[dict[str, Any]] = mapped_column(JSON)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime())
    inbound_deadline: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    first_carrier_scan_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    received_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    repair_due: Mapped[date | None] = mapped_column(Date, nullable=True)
    sla_flagged_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    customer_received_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    created_by: Mapped[str] = mapped_column(String(200))
    # Where the RR came from (SPEC §8): staff opened it, or it was approved from an online
    # request; then the customer's agreement to the policy (P-AGREE) is kept with it.
    source: Mapped[str] = mapped_column(String(10), default="staff", server_default="staff")
    submission_id: Mapped[str | None] = mapped_column(String(40), nullable=True, index=True)
    policy_version: Mapped[str | None] = mapped_column(String(40), nullable=True)
    agreed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    agreement: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    # P-REPLACE: the unit going back instead of the repaired one (serial, condition, note, …).
    replacement: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    history: Mapped[list[RRHistory]] = relationship(
        back_populates="rr", order_by="RRHistory.id", cascade="all, delete-orphan"
    )


class RRHistory(Base):
    __tablename__ = "rr_history"

    id: Mapped[int] = mapped_column(primary_key=True)
    rr_id: Mapped[int] = mapped_column(ForeignKey("repair_requests.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    from_status: Mapped[str | None] = mapped_column(String(30), nullable=True)
    to_status: Mapped[str] = mapped_column(String(30))
    actor: Mapped[str] = mapped_column(String(200))
    rule: Mapped[str | None] = mapped_column(String(20), nullable=True)
    note: Mapped[str] = mapped_column(Text, default="")

    rr: Mapped[RepairRequest] = relationship(back_populates="history")


class Receipt(Base):
    """What the receiving desk logged for a package (matched to an RR or not)."""

    __tablename__ = "receipts"

    id: Mapped[int] = mapped_column(primary_key=True)
    rr_id: Mapped[int | None] = mapped_column(
        ForeignKey("repair_requests.id"), nullable=True, index=True
    )
    rr_number_seen: Mapped[str | None] = mapped_column(String(40), nullable=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    inspection: Mapped[dict[str, Any]] = mapped_column(JSON)
    accepted: Mapped[bool] = mapped_column(Boolean)
    reasons: Mapped[list[Any]] = mapped_column(JSON)
    actor: Mapped[str] = mapped_column(String(200))
    notes: Mapped[str] = mapped_column(Text, default="")
    carrier: Mapped[str | None] = mapped_column(String(40), nullable=True)
    tracking_number: Mapped[str | None] = mapped_column(String(100), nullable=True)


Index("ix_repair_requests_status_id", RepairRequest.status, RepairRequest.id)
