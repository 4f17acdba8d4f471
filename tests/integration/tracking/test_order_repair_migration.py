"""Migration i9t_01 on SQLite and PostgreSQL: histories stored before it (one event per time and
status, the status of the last event *received*) are re-keyed and repaired: status, delivered_at
and first scan from the carrier's times, and an RR left `shipped` whose parcel was delivered."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from alembic import command
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, select, text
from sqlalchemy.orm import sessionmaker

from freight.app import create_app
from freight.auth.service import create_token
from freight.db import engine_for
from freight.migrate import alembic_config
from freight.repairs.models import RepairRequest
from freight.settings import Settings
from freight.shipments.models import Shipment, TrackingEvent
from freight.tracking.rules import carrier_event
from tests.integration.conftest import rr_payload

BEFORE = "i11a_01"
T0 = datetime(2026, 11, 3, 9, 0, tzinfo=UTC)


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'repair.db'}"
        return
    pg_url: str = request.getfixturevalue("pg_url")
    name = f"freight_i9t_{uuid.uuid4().hex[:8]}"
    admin = create_engine(pg_url.replace("postgresql://", "postgresql+psycopg://", 1),
                          isolation_level="AUTOCOMMIT")  # fmt: skip
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield pg_url.rsplit("/", 1)[0] + f"/{name}"
    engine_for(pg_url.rsplit("/", 1)[0] + f"/{name}").dispose()
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _old_rows(url: str, tmp_path: Path) -> tuple[str, str]:
    """(rr number, shipment id) of a shipped RR whose outbound history arrived out of order."""
    settings = Settings(database_url=url, data_dir=tmp_path / "data", env="test")
    factory = sessionmaker(bind=engine_for(settings.db_url), expire_on_commit=False)
    with factory.begin() as s:
        token = create_token(s, role="staff", name="t")
    with TestClient(create_app(settings)) as client:
        resp = client.post("/api/v1/repair-requests", json=rr_payload(),
                           headers={"Authorization": f"Bearer {token}"})  # fmt: skip
        assert resp.status_code == 201, resp.text
        number = resp.json()["rr_number"]
    with factory.begin() as s:
        rr = s.scalars(select(RepairRequest).where(RepairRequest.rr_number == number)).one()
        rr.status = "shipped"
        shipment = Shipment(
            rr_id=rr.id, direction="outbound", purpose="repair_return", state="labeled",
            carrier="ups", tracking_number="1Z999AA10123456784", status="TRANSIT",
            freight_terms={}, label_url="https://example.invalid/l.pdf",
        )  # fmt: skip
        s.add(shipment)
        s.flush()
        for hours, status, words in [(0, "PRE_TRANSIT", "Label"), (30, "DELIVERED", "Delivered"),
                                     (10, "TRANSIT", "Hub")]:  # fmt: skip
            e = carrier_event(occurred_at=T0 + timedelta(hours=hours), status=status, text=words)
            s.add(TrackingEvent(shipment_id=shipment.id, status=e.status, text=e.text,
                                occurred_at=e.occurred_at, event_key=e.key))  # fmt: skip
        shipment_id = shipment.id
    engine_for(settings.db_url).dispose()
    return number, shipment_id


def test_upgrade_repairs_histories_stored_out_of_order(url: str, tmp_path: Path) -> None:
    cfg = alembic_config(url)
    command.upgrade(cfg, "head")
    rr_number, shipment_id = _old_rows(url, tmp_path)
    command.downgrade(cfg, BEFORE)  # the schema (and the wrong state) as it was before i9t_01
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.begin() as conn:
        conn.execute(text("UPDATE shipments SET status = 'TRANSIT', delivered_at = NULL"))
        cols = list(conn.execute(text("SELECT * FROM tracking_events")).keys())
        assert "event_key" not in cols
    command.upgrade(cfg, "head")
    command.check(cfg)
    with engine.connect() as conn:
        status, delivered = conn.execute(
            text("SELECT status, delivered_at FROM shipments WHERE id = :i"), {"i": shipment_id}
        ).one()
        rr_status = conn.execute(
            text("SELECT status FROM repair_requests WHERE rr_number = :n"), {"n": rr_number}
        ).scalar_one()
        keys = conn.execute(text("SELECT event_key FROM tracking_events")).scalars().all()
        moved = (
            conn.execute(text("SELECT actor FROM rr_history WHERE to_status = 'delivered'"))
            .scalars()
            .all()
        )
    engine.dispose()
    assert status == "DELIVERED"
    when = delivered if isinstance(delivered, datetime) else datetime.fromisoformat(delivered)
    assert when.replace(tzinfo=UTC) == T0 + timedelta(hours=30)
    assert rr_status == "delivered"
    assert moved == ["migration:i9t_01"]
    assert len(keys) == 3
    assert all(k and len(k) == 64 for k in keys)
