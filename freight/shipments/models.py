"""Shipments (inbound and outbound) and their tracking events."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, ForeignKey, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from freight.db import Amount, Base, UTCDateTime, new_id, utcnow


class Shipment(Base):
    __tablename__ = "shipments"

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("shp"))
    rr_id: Mapped[int] = mapped_column(ForeignKey("repair_requests.id"), index=True)
    direction: Mapped[str] = mapped_column(String(10))  # inbound | outbound
    purpose: Mapped[str] = mapped_column(String(30))
    # Internal life cycle: rating, quoted, purchasing, labeled, voided, failed, registered
    state: Mapped[str] = mapped_column(String(20), index=True)
    carrier: Mapped[str | None] = mapped_column(String(40), nullable=True)
    service: Mapped[str | None] = mapped_column(String(100), nullable=True)
    service_token: Mapped[str | None] = mapped_column(String(100), nullable=True)
    # Unique per carrier: the same tracking number cannot belong to two RRs.
    tracking_number: Mapped[str | None] = mapped_column(String(100), nullable=True, index=True)
    status: Mapped[str] = mapped_column(String(20), default="UNKNOWN")  # normalized (Shippo)
    substatus: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    ship_date: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    eta: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    label_url: Mapped[str | None] = mapped_column(Text, nullable=True)
    label_format: Mapped[str | None] = mapped_column(String(20), nullable=True)
    transaction_id: Mapped[str | None] = mapped_column(String(100), nullable=True)
    rate_id: Mapped[str | None] = mapped_column(String(100), nullable=True)
    carrier_shipment_id: Mapped[str | None] = mapped_column(String(100), nullable=True)
    insurance_amount: Mapped[Decimal | None] = mapped_column(Amount(), nullable=True)
    insurance_currency: Mapped[str | None] = mapped_column(String(3), nullable=True)
    cost_amount: Mapped[Decimal | None] = mapped_column(Amount(), nullable=True)
    cost_currency: Mapped[str | None] = mapped_column(String(3), nullable=True)
    freight_terms: Mapped[dict[str, Any]] = mapped_column(JSON)
    parcel: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    international: Mapped[bool] = mapped_column(default=False)
    first_scan_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    last_tracking_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    refund_status: Mapped[str | None] = mapped_column(String(20), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    events: Mapped[list[TrackingEvent]] = relationship(
        # the carrier's time order (freight.tracking.rules T-ORDER: time, then identity)
        order_by="[TrackingEvent.occurred_at, TrackingEvent.event_key]",
        cascade="all, delete-orphan",
    )

    __table_args__ = (UniqueConstraint("carrier", "tracking_number"),)


class TrackingEvent(Base):
    __tablename__ = "tracking_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    shipment_id: Mapped[str] = mapped_column(ForeignKey("shipments.id"), index=True)
    status: Mapped[str] = mapped_column(String(20))
    substatus_code: Mapped[str | None] = mapped_column(String(60), nullable=True)
    text: Mapped[str] = mapped_column(Text, default="")
    location: Mapped[str | None] = mapped_column(String(200), nullable=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # sha256 of what the carrier said (freight.tracking.rules.CarrierEvent.key, T-DISTINCT)
    event_key: Mapped[str] = mapped_column(String(64))

    __table_args__ = (UniqueConstraint("shipment_id", "event_key"),)


class ShipmentDocument(Base):
    """A carrier document kept at purchase (the label, the commercial invoice): the carrier's
    URLs are signed links that expire, so the file itself is stored."""

    __tablename__ = "shipment_documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    shipment_id: Mapped[str] = mapped_column(ForeignKey("shipments.id"), index=True)
    kind: Mapped[str] = mapped_column(String(30))  # label | commercial_invoice
    content_type: Mapped[str] = mapped_column(String(100))
    transaction_id: Mapped[str] = mapped_column(String(100))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = (UniqueConstraint("shipment_id", "kind"),)
