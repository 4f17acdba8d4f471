"""Online repair/return requests, their units, messages and proof-of-purchase documents."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from freight.db import Amount, Base, UTCDateTime, new_id, utcnow


class RRSubmission(Base):
    __tablename__ = "rr_submissions"

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("sub"))
    status: Mapped[str] = mapped_column(String(20))
    kind: Mapped[str] = mapped_column(String(20))
    customer_name: Mapped[str] = mapped_column(String(200))
    customer_email: Mapped[str] = mapped_column(String(320))
    customer_phone: Mapped[str | None] = mapped_column(String(50), nullable=True)
    return_address: Mapped[dict[str, Any]] = mapped_column(JSON)
    proof_of_purchase: Mapped[dict[str, Any]] = mapped_column(JSON)
    insurance_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    declared_value_amount: Mapped[Decimal | None] = mapped_column(Amount(), nullable=True)
    declared_value_currency: Mapped[str | None] = mapped_column(String(3), nullable=True)
    special_requirements: Mapped[str] = mapped_column(Text, default="")
    customer_received_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # P-AGREE: version, sha256, time, client address and user agent of the agreement.
    policy_version: Mapped[str] = mapped_column(String(40))
    agreed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    agreement: Mapped[dict[str, Any]] = mapped_column(JSON)
    proof_confirmed_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    reviewed_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    decline_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    units: Mapped[list[SubmissionUnit]] = relationship(
        order_by="SubmissionUnit.position", cascade="all, delete-orphan"
    )
    messages: Mapped[list[SubmissionMessage]] = relationship(
        order_by="SubmissionMessage.id", cascade="all, delete-orphan"
    )


class SubmissionUnit(Base):
    __tablename__ = "rr_submission_units"

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[str] = mapped_column(ForeignKey("rr_submissions.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    serial_number: Mapped[str] = mapped_column(String(100), index=True)
    # Equals serial_number while the request is open (submitted / info_requested), NULL after:
    # a unique column keeps one serial out of two open requests at once, on every backend.
    open_serial: Mapped[str | None] = mapped_column(String(100), unique=True, nullable=True)
    part_number: Mapped[str] = mapped_column(String(100))
    product_description: Mapped[str] = mapped_column(String(500), default="")
    fault_description: Mapped[str] = mapped_column(Text)
    rr_number: Mapped[str | None] = mapped_column(String(16), nullable=True)


class SubmissionMessage(Base):
    __tablename__ = "rr_submission_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[str] = mapped_column(ForeignKey("rr_submissions.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    author: Mapped[str] = mapped_column(String(10))  # customer | staff
    actor: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(
        String(20)
    )  # submitted|info_requested|reply|approved|declined
    text: Mapped[str] = mapped_column(Text, default="")


class SubmissionDocument(Base):
    """A proof-of-purchase file, kept in the database so every API process sees it and a
    rolled-back upload leaves nothing behind."""

    __tablename__ = "rr_submission_documents"

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("doc"))
    submission_id: Mapped[str] = mapped_column(ForeignKey("rr_submissions.id"), index=True)
    filename: Mapped[str] = mapped_column(String(200))
    media_type: Mapped[str] = mapped_column(String(40))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    uploaded_by: Mapped[str] = mapped_column(String(200))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = (UniqueConstraint("submission_id", "sha256"),)


Index("ix_rr_submissions_status_created", RRSubmission.status, RRSubmission.created_at)
