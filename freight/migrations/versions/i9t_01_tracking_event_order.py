"""Tracking events identified by what the carrier said, and histories already stored repaired
(SPEC §10, freight.tracking.rules T-DISTINCT / T-ORDER / T-NEWEST / T-CARRIER-TIME, P-30DAY)

Events were unique on (shipment, time, status), so distinct events of the same second and status
were dropped; they are now unique on `event_key`. Shipments whose events arrived out of order
were left with the status of the last event *received*: status, substatus, delivered_at and
first_scan_at are recomputed from the stored history, and an RR left `shipped` whose outbound
parcel the history shows delivered moves to `delivered` (its email is not sent from here).

Revision ID: i9t_01
Revises: i11a_01
Create Date: 2026-12-02 03:45:00
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

import freight.db
from freight.tracking.rules import CarrierEvent, carrier_event, tracking_state

revision: str = "i9t_01"
down_revision: str | None = "i11a_01"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_T = freight.db.UTCDateTime(timezone=True)
events = sa.table(
    "tracking_events", sa.column("id", sa.Integer), sa.column("shipment_id", sa.String),
    sa.column("status", sa.String), sa.column("substatus_code", sa.String),
    sa.column("text", sa.Text), sa.column("location", sa.String),
    sa.column("occurred_at", _T), sa.column("event_key", sa.String),
)  # fmt: skip
shipments = sa.table(
    "shipments", sa.column("id", sa.String), sa.column("rr_id", sa.Integer),
    sa.column("direction", sa.String), sa.column("status", sa.String),
    sa.column("substatus", sa.JSON), sa.column("delivered_at", _T),
    sa.column("first_scan_at", _T),
)  # fmt: skip
rrs = sa.table(
    "repair_requests", sa.column("id", sa.Integer), sa.column("status", sa.String),
    sa.column("issued_at", _T), sa.column("first_carrier_scan_at", _T),
)  # fmt: skip
history = sa.table(
    "rr_history", sa.column("rr_id", sa.Integer), sa.column("at", _T),
    sa.column("from_status", sa.String), sa.column("to_status", sa.String),
    sa.column("actor", sa.String), sa.column("rule", sa.String), sa.column("note", sa.Text),
)  # fmt: skip


def _event(row: Any) -> CarrierEvent:
    return carrier_event(
        occurred_at=row.occurred_at, status=row.status, substatus_code=row.substatus_code,
        text=row.text, location=row.location,
    )  # fmt: skip


def _rekey(conn: sa.Connection) -> dict[str, list[CarrierEvent]]:
    """Key every stored event (dropping exact repeats); the histories by shipment."""
    by_shipment: dict[str, list[CarrierEvent]] = {}
    seen: set[tuple[str, str]] = set()
    for row in conn.execute(sa.select(events).order_by(events.c.id)):
        event = _event(row)
        if (row.shipment_id, event.key) in seen:
            conn.execute(events.delete().where(events.c.id == row.id))
            continue
        seen.add((row.shipment_id, event.key))
        conn.execute(events.update().where(events.c.id == row.id).values(event_key=event.key))
        by_shipment.setdefault(row.shipment_id, []).append(event)
    return by_shipment


def _repair(conn: sa.Connection, shipment_id: str, stored: list[CarrierEvent]) -> None:
    ship = conn.execute(sa.select(shipments).where(shipments.c.id == shipment_id)).one()
    rr = conn.execute(sa.select(rrs).where(rrs.c.id == ship.rr_id)).one()
    state = tracking_state(sorted(stored, key=lambda e: e.order), issued_at=rr.issued_at)
    if state.newest is None:
        return
    newest = state.newest
    values: dict[str, Any] = {"status": newest.status, "first_scan_at": state.first_scan_at}
    if newest.status != ship.status:
        code = newest.substatus_code
        values["substatus"] = (
            {"code": code, "text": newest.text, "action_required": False} if code else None
        )
    if state.delivered_at is not None:
        values["delivered_at"] = state.delivered_at
    conn.execute(shipments.update().where(shipments.c.id == shipment_id).values(**values))
    if ship.direction == "inbound" and state.first_scan_at is not None:
        conn.execute(
            rrs.update().where(rrs.c.id == rr.id).values(first_carrier_scan_at=state.first_scan_at)
        )
    if ship.direction == "outbound" and newest.status == "DELIVERED" and rr.status == "shipped":
        conn.execute(rrs.update().where(rrs.c.id == rr.id).values(status="delivered"))
        conn.execute(
            history.insert().values(
                rr_id=rr.id, at=state.delivered_at, from_status="shipped", to_status="delivered",
                actor="migration:i9t_01", rule=None,
                note="Delivered (tracking history repaired: its events had arrived out of order)",
            )
        )  # fmt: skip


def upgrade() -> None:
    with op.batch_alter_table("tracking_events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("event_key", sa.String(length=64), nullable=True))
    conn = op.get_bind()
    for shipment_id, stored in _rekey(conn).items():
        _repair(conn, shipment_id, stored)
    with op.batch_alter_table("tracking_events", schema=None) as batch_op:
        batch_op.drop_constraint("uq_tracking_events_shipment_id", type_="unique")
        batch_op.alter_column("event_key", existing_type=sa.String(length=64), nullable=False)
        batch_op.create_unique_constraint(
            "uq_tracking_events_shipment_id", ["shipment_id", "event_key"]
        )


def downgrade() -> None:
    # back to one event per (shipment, time, status): the first of each such group is kept
    conn = op.get_bind()
    kept: set[tuple[str, Any, str]] = set()
    for row in conn.execute(sa.select(events).order_by(events.c.id)):
        group = (row.shipment_id, row.occurred_at, row.status)
        if group in kept:
            conn.execute(events.delete().where(events.c.id == row.id))
        kept.add(group)
    with op.batch_alter_table("tracking_events", schema=None) as batch_op:
        batch_op.drop_constraint("uq_tracking_events_shipment_id", type_="unique")
        batch_op.create_unique_constraint(
            "uq_tracking_events_shipment_id", ["shipment_id", "occurred_at", "status"]
        )
        batch_op.drop_column("event_key")
