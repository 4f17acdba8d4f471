"""Manifests (a carrier's close-out of a day's labels) and pickups."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from freight.db import Base, UTCDateTime, new_id, utcnow


class Manifest(Base):
    __tablename__ = "manifests"

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("mft"))
    carrier: Mapped[str] = mapped_column(String(40), index=True)
    ship_date: Mapped[date] = mapped_column(Date, index=True)
    state: Mapped[str] = mapped_column(String(20))  # pending | closed | failed
    carrier_account: Mapped[str | None] = mapped_column(String(100), nullable=True)
    carrier_manifest_id: Mapped[str | None] = mapped_column(String(100), nullable=True)
    transaction_ids: Mapped[list[Any]] = mapped_column(JSON, default=list)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    document: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    document_url: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class ManifestLabel(Base):
    """A label closed out in a manifest: a label is in one live manifest at most."""

    __tablename__ = "manifest_labels"

    id: Mapped[int] = mapped_column(primary_key=True)
    manifest_id: Mapped[str] = mapped_column(ForeignKey("manifests.id"), index=True)
    shipment_id: Mapped[str] = mapped_column(ForeignKey("shipments.id"))

    __table_args__ = (UniqueConstraint("shipment_id"),)


class Pickup(Base):
    """One pickup per carrier and day (a rerun or a second request finds this one)."""

    __tablename__ = "pickups"

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("pku"))
    carrier: Mapped[str] = mapped_column(String(40))
    pickup_date: Mapped[date] = mapped_column(Date)
    state: Mapped[str] = mapped_column(String(20))  # pending | confirmed | failed
    requested_start: Mapped[datetime] = mapped_column(UTCDateTime())
    requested_end: Mapped[datetime] = mapped_column(UTCDateTime())
    confirmed_start: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    confirmed_end: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    carrier_account: Mapped[str | None] = mapped_column(String(100), nullable=True)
    carrier_pickup_id: Mapped[str | None] = mapped_column(String(100), nullable=True)
    confirmation_code: Mapped[str | None] = mapped_column(String(100), nullable=True)
    transaction_ids: Mapped[list[Any]] = mapped_column(JSON, default=list)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = (UniqueConstraint("carrier", "pickup_date"),)
