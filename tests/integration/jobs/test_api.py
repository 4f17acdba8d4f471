"""Failed jobs as staff see and retry them; the deadline sweeps; `freight tasks run`."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from freight.db import engine_for, session_factory, session_scope
from freight.jobs import service
from freight.jobs.registry import REGISTRY, JobContext
from freight.repairs.models import RepairRequest
from freight.settings import Settings
from tests.integration.conftest import Clock

API = "/api/v1"


def _ctx(settings: Settings, now: datetime | None = None) -> Callable[[], JobContext]:
    return lambda: service.job_context(settings, now or datetime.now(UTC))


@pytest.fixture
def failed_job(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> str:
    """A job whose handler raised a permanent error while draining."""
    attempts: list[int] = []

    def flaky(_session: Session, _ctx: JobContext, **_: Any) -> None:
        attempts.append(1)
        if len(attempts) == 1:
            raise ValueError("carrier rejected the address")

    monkeypatch.setitem(REGISTRY.handlers, "test.flaky", flaky)
    factory = session_factory(engine_for(settings.db_url))
    with session_scope(factory) as session:
        job = service.enqueue(
            session, task="test.flaky", args={"shipment_id": "shp_1"}, key="flaky:1"
        )
    service.drain(factory, _ctx(settings))
    return job.id


def test_staff_see_failed_jobs_and_retry_them(
    client: TestClient, staff: dict[str, str], failed_job: str, settings: Settings
) -> None:
    listed = client.get(f"{API}/jobs?status=failed", headers=staff)
    assert listed.status_code == 200
    [job] = listed.json()
    assert (job["id"], job["task"], job["status"]) == (failed_job, "test.flaky", "failed")
    assert "carrier rejected the address" in job["last_error"]

    retried = client.post(f"{API}/jobs/{failed_job}/retry", headers=staff)
    assert retried.status_code == 202
    assert retried.json()["status"] == "pending"
    assert client.get(f"{API}/jobs?status=failed", headers=staff).json() == []
    service.drain(session_factory(engine_for(settings.db_url)), _ctx(settings))
    assert client.get(f"{API}/jobs/{failed_job}", headers=staff).json()["status"] == "succeeded"

    again = client.post(f"{API}/jobs/{failed_job}/retry", headers=staff)
    assert again.status_code == 409
    assert again.json()["current"] == "succeeded"


def test_jobs_api_needs_staff_and_known_ids(
    client: TestClient, staff: dict[str, str], make_token: Callable[[str], dict[str, str]]
) -> None:
    assert client.get(f"{API}/jobs").status_code == 401
    assert client.get(f"{API}/jobs", headers=make_token("finance")).status_code == 403
    assert client.post(f"{API}/jobs/job_nope/retry", headers=staff).status_code == 404
    assert client.get(f"{API}/jobs?status=exploded", headers=staff).status_code == 422


def test_auto_cancel_after_30_days_without_scan(
    open_rr: Callable[..., dict[str, Any]], settings: Settings, clock: Clock, session: Session
) -> None:
    waiting, scanned = open_rr(), open_rr()
    factory = session_factory(engine_for(settings.db_url))
    with session_scope(factory) as s:
        rr = s.scalars(
            select(RepairRequest).where(RepairRequest.rr_number == scanned["rr_number"])
        ).one()
        rr.first_carrier_scan_at = clock.now + timedelta(days=3)
        rr.status = "inbound_in_transit"

    day_29 = clock.now + timedelta(days=29)
    assert service.run_periodic(factory, _ctx(settings, day_29), "repairs.auto_cancel") == []
    day_31 = clock.now + timedelta(days=31)
    assert service.run_periodic(factory, _ctx(settings, day_31), "repairs.auto_cancel") == [
        waiting["rr_number"]
    ]
    assert service.run_periodic(factory, _ctx(settings, day_31), "repairs.auto_cancel") == []

    session.expire_all()
    rr = session.scalars(
        select(RepairRequest).where(RepairRequest.rr_number == waiting["rr_number"])
    ).one()
    assert rr.status == "cancelled"
    assert rr.open_serial is None
    last = rr.history[-1]
    assert (last.to_status, last.rule, last.actor) == ("cancelled", "P-30DAY", "system")
    other = session.scalars(
        select(RepairRequest).where(RepairRequest.rr_number == scanned["rr_number"])
    ).one()
    assert other.status == "inbound_in_transit"


def test_overdue_repairs_are_flagged_once(
    open_rr: Callable[..., dict[str, Any]], settings: Settings, clock: Clock, session: Session
) -> None:
    late, on_time = open_rr(), open_rr()
    factory = session_factory(engine_for(settings.db_url))
    with session_scope(factory) as s:
        for number, due in ((late["rr_number"], 20), (on_time["rr_number"], 40)):
            rr = s.scalars(select(RepairRequest).where(RepairRequest.rr_number == number)).one()
            rr.status, rr.received_at = "in_repair", clock.now
            rr.repair_due = (clock.now + timedelta(days=due)).date()
    month_later = clock.now + timedelta(days=30)
    assert service.run_periodic(factory, _ctx(settings, month_later), "repairs.flag_overdue") == [
        late["rr_number"]
    ]
    assert service.run_periodic(factory, _ctx(settings, month_later), "repairs.flag_overdue") == []
    session.expire_all()
    flagged = session.scalars(
        select(RepairRequest).where(RepairRequest.rr_number == late["rr_number"])
    ).one()
    assert flagged.sla_flagged_at == month_later
