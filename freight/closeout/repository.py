"""Queries of the end of day: the day's labels per carrier, manifests, pickups."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from freight.closeout.models import Manifest, ManifestLabel, Pickup
from freight.shipments.models import Shipment


def labels_between(
    session: Session, start: datetime, end: datetime, *, carrier: str | None = None
) -> Sequence[Shipment]:
    """Outbound labels (bought, not voided) shipping in [start, end), oldest first."""
    stmt = select(Shipment).where(
        Shipment.direction == "outbound",
        Shipment.state == "labeled",
        Shipment.transaction_id.is_not(None),
        Shipment.ship_date >= start,
        Shipment.ship_date < end,
    )
    if carrier is not None:
        stmt = stmt.where(Shipment.carrier == carrier)
    return session.scalars(stmt.order_by(Shipment.created_at, Shipment.id)).all()


def manifested_ids(session: Session, shipment_ids: Sequence[str]) -> set[str]:
    """Which of these shipments are in a manifest (pending or closed)."""
    if not shipment_ids:
        return set()
    stmt = select(ManifestLabel.shipment_id).where(ManifestLabel.shipment_id.in_(shipment_ids))
    return set(session.scalars(stmt).all())


def manifest_of_labels(session: Session, shipment_ids: Sequence[str]) -> dict[str, str]:
    """shipment id → the manifest it is in."""
    if not shipment_ids:
        return {}
    stmt = select(ManifestLabel.shipment_id, ManifestLabel.manifest_id).where(
        ManifestLabel.shipment_id.in_(shipment_ids)
    )
    return {row[0]: row[1] for row in session.execute(stmt)}


def add_labels(session: Session, manifest: Manifest, shipment_ids: Sequence[str]) -> None:
    for shipment_id in shipment_ids:
        session.add(ManifestLabel(manifest_id=manifest.id, shipment_id=shipment_id))


def release_labels(session: Session, manifest: Manifest) -> None:
    """A refused manifest frees its labels for the next one."""
    for row in session.scalars(
        select(ManifestLabel).where(ManifestLabel.manifest_id == manifest.id)
    ):
        session.delete(row)


def get_manifest(session: Session, manifest_id: str, *, lock: bool = False) -> Manifest | None:
    return session.get(Manifest, manifest_id, with_for_update=lock)


def manifests_of(session: Session, ship_date: date) -> Sequence[Manifest]:
    stmt = select(Manifest).where(Manifest.ship_date == ship_date)
    return session.scalars(stmt.order_by(Manifest.created_at, Manifest.id)).all()


def get_pickup(session: Session, pickup_id: str, *, lock: bool = False) -> Pickup | None:
    return session.get(Pickup, pickup_id, with_for_update=lock)


def pickup_for(session: Session, carrier: str, day: date, *, lock: bool = False) -> Pickup | None:
    stmt = select(Pickup).where(Pickup.carrier == carrier, Pickup.pickup_date == day)
    if lock:
        stmt = stmt.with_for_update()
    return session.scalars(stmt).first()


def pickups_of(session: Session, day: date) -> Sequence[Pickup]:
    return session.scalars(select(Pickup).where(Pickup.pickup_date == day)).all()
