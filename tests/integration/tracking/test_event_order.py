"""Carrier events under faults, on SQLite and PostgreSQL (SPEC §10): out of order, twice,
malformed, and a worker killed between storing a webhook and applying it. The whole path is real:
POST /webhooks/shippo → stored → the processing job → the tracking consumer → the shipment."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from freight.jobs.models import Job
from freight.jobs.service import run_job
from freight.settings import Settings
from freight.shipments.models import Shipment
from freight.tracking import service as tracking_service
from freight.tracking.repository import due_for_poll
from freight.webhooks.models import WebhookEvent
from tests.integration.conftest import Clock
from tests.integration.tracking.helpers import (
    API,
    customer_headers,
    factory,
    iso,
    job_context,
    make_outbound,
    register,
    run_jobs,
)

HOOK = "/webhooks/shippo?token=dev-webhook-token"
UPS = "1Z999AA10123456784"
USPS = "9400111899223197428490"
CONCEALED = "If you find concealed damage"


def status_json(status: str, when: datetime, text: str, city: str = "Memphis") -> dict[str, Any]:
    return {
        "object_id": None, "status": status, "status_details": text, "status_date": iso(when),
        "substatus": None, "location": {"city": city, "state": "TN", "country": "US"},
    }  # fmt: skip


def body(number: str, history: list[dict[str, Any]], carrier: str = "ups") -> dict[str, Any]:
    """A track_updated whose current status is the last one listed (as the carrier saw it)."""
    return {
        "event": "track_updated", "test": True,
        "data": {"carrier": carrier, "tracking_number": number, "tracking_status": history[-1],
                 "tracking_history": history, "metadata": ""},
    }  # fmt: skip


@pytest.fixture
def shipped(
    open_rr: Callable[..., dict[str, Any]], settings: Settings, clock: Clock
) -> tuple[str, str]:
    """(rr number, outbound shipment id): a labeled UPS return on its way to the customer."""
    rr = open_rr()
    shipment = make_outbound(settings, rr["rr_number"], carrier="ups", number=UPS,
                             ship_date=clock.now)  # fmt: skip
    return rr["rr_number"], shipment


def _post(client: TestClient, payload: dict[str, Any]) -> None:
    resp = client.post(HOOK, json=payload)
    assert resp.status_code == 202, resp.text


def _view(client: TestClient, staff: dict[str, str], shipment_id: str) -> dict[str, Any]:
    resp = client.get(f"{API}/shipments/{shipment_id}", headers=staff)
    assert resp.status_code == 200, resp.text
    return dict(resp.json())


def _history(view: dict[str, Any]) -> list[tuple[str, str, str]]:
    return [(e["occurred_at"], e["status"], e["text"]) for e in view["events"]]


def test_delivered_then_an_older_transit_stays_delivered_and_keeps_the_damage_form(
    client: TestClient, staff: dict[str, str], settings: Settings, clock: Clock,
    shipped: tuple[str, str],
) -> None:  # fmt: skip
    rr, shipment_id = shipped
    t0 = clock.now + timedelta(hours=2)
    label = status_json("PRE_TRANSIT", t0, "Label created")
    hub = status_json("TRANSIT", t0 + timedelta(hours=20), "Arrived at hub")
    done = status_json("DELIVERED", t0 + timedelta(hours=40), "Delivered, front desk", "San Jose")
    _post(client, body(UPS, [label, done]))  # the delivery arrives first ...
    _post(client, body(UPS, [label, hub]))  # ... then the carrier's older hub scan
    clock.now += timedelta(days=3)  # processed later: processing time is not delivery time
    run_jobs(settings, clock)

    view = _view(client, staff, shipment_id)
    assert view["status"] == "DELIVERED"
    assert view["delivered_at"].startswith(iso(t0 + timedelta(hours=40)).rstrip("Z"))
    assert [s for _, s, _ in _history(view)] == ["PRE_TRANSIT", "TRANSIT", "DELIVERED"]
    shown = client.get(f"{API}/track/{rr}", headers=customer_headers(client, rr)).json()
    assert shown["status"] == "delivered"
    assert shown["outbound"][0]["status"] == "DELIVERED"
    assert any(step.startswith(CONCEALED) for step in shown["next_steps"])


def test_every_distinct_event_is_kept_once_whatever_arrives_twice(
    client: TestClient, staff: dict[str, str], settings: Settings, clock: Clock,
    shipped: tuple[str, str],
) -> None:  # fmt: skip
    _, shipment_id = shipped
    at = clock.now + timedelta(hours=5)
    # five events of one second and one status, as the sandbox's hub scans: all distinct
    five = [
        status_json("TRANSIT", at, "Arrived at facility"),
        status_json("TRANSIT", at, "Departed facility"),
        status_json("TRANSIT", at, "Arrived at facility", "Louisville"),
        status_json("TRANSIT", at, "Processed", "Louisville"),
        status_json("TRANSIT", at, "In transit to destination", "Louisville"),
    ]
    _post(client, body(UPS, five))
    _post(client, body(UPS, list(reversed(five))))  # the same events, another order and dedup key
    _post(client, body(UPS, five[:2]))
    run_jobs(settings, clock)
    run_jobs(settings, clock)  # and the jobs run again: nothing doubles
    view = _view(client, staff, shipment_id)
    assert len(view["events"]) == 5
    assert {e["text"] for e in view["events"]} == {s["status_details"] for s in five}


def test_a_malformed_event_changes_nothing_and_good_ones_still_apply(
    client: TestClient, staff: dict[str, str], settings: Settings, clock: Clock,
    shipped: tuple[str, str], session: Any,
) -> None:  # fmt: skip
    _, shipment_id = shipped
    t0 = clock.now + timedelta(hours=1)
    bad = [
        b'{"event": "track_updated", "data": {"carrier": "ups", "tracking_number": "' + UPS.encode()
        + b'", "tracking_status": {"status": "DELIVERED", "status_details": "x\\u0000"}}}',
        b'{"event": "track_updated", "test": Infinity, "data": {}}',
        b"[" * 70 + b"]" * 70,
    ]  # fmt: skip
    for raw in bad:
        resp = client.post(HOOK, content=raw, headers={"content-type": "application/json"})
        assert resp.status_code == 400, resp.text
        assert resp.headers["content-type"].startswith("application/problem+json")
    assert session.scalars(select(WebhookEvent)).all() == []
    _post(client, body(UPS, [status_json("TRANSIT", t0, "Accepted")]))
    run_jobs(settings, clock)
    view = _view(client, staff, shipment_id)
    assert (view["status"], len(view["events"])) == ("TRANSIT", 1)


class WorkerKilled(BaseException):
    """Stands in for SIGKILL: nothing of the job's transaction commits, no handler runs."""


def test_a_worker_killed_between_store_and_apply_converges_on_rerun(
    client: TestClient, staff: dict[str, str], settings: Settings, clock: Clock,
    shipped: tuple[str, str], monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    rr, shipment_id = shipped
    t0 = clock.now + timedelta(hours=1)
    history = [
        status_json("PRE_TRANSIT", t0, "Label created"),
        status_json("TRANSIT", t0 + timedelta(hours=6), "Accepted"),
        status_json("TRANSIT", t0 + timedelta(hours=12), "Arrived at hub"),
        status_json("DELIVERED", t0 + timedelta(hours=30), "Delivered"),
    ]
    _post(client, body(UPS, history))  # stored and answered: the job has not run
    real = tracking_service._update_state

    def killed(*args: Any, **kwargs: Any) -> None:
        real(*args, **kwargs)  # the events were written in the job's transaction, then ...
        raise WorkerKilled

    monkeypatch.setattr(tracking_service, "_update_state", killed)
    with factory(settings)() as s:
        [job_id] = s.scalars(select(Job.id).where(Job.task == "webhooks.process")).all()
    ctx = lambda: job_context(settings, clock.now)  # noqa: E731
    with pytest.raises(WorkerKilled):
        run_job(factory(settings), job_id, ctx)
    view = _view(client, staff, shipment_id)
    assert (view["status"], view["events"]) == ("PRE_TRANSIT", [])  # nothing half-applied

    monkeypatch.setattr(tracking_service, "_update_state", real)
    with factory(settings).begin() as s:  # the dead worker's lease runs out
        s.execute(update(Job).where(Job.id == job_id).values(
            lease_until=datetime.now(UTC) - timedelta(seconds=1)))  # fmt: skip
    assert run_job(factory(settings), job_id, ctx) == "succeeded"
    _post(client, body(UPS, history[:3]))  # and a late, older copy of part of it
    run_jobs(settings, clock)

    view = _view(client, staff, shipment_id)
    assert view["status"] == "DELIVERED"
    assert [(s, t) for _, s, t in _history(view)] == [
        (h["status"], h["status_details"]) for h in history
    ]
    shown = client.get(f"{API}/repair-requests/{rr}", headers=staff).json()
    assert shown["status"] == "delivered"
    with factory(settings)() as s:
        events = s.scalars(select(WebhookEvent).order_by(WebhookEvent.id)).all()
        assert [e.status for e in events] == ["processed", "processed"]


def test_a_scan_before_the_rr_was_issued_is_not_its_first_scan_and_received_is_not_polled(
    client: TestClient, staff: dict[str, str], open_rr: Callable[..., dict[str, Any]],
    settings: Settings, clock: Clock,
) -> None:  # fmt: skip
    rr = open_rr()["rr_number"]
    assert register(client, staff, rr, "usps", USPS).status_code == 201
    old = status_json("TRANSIT", clock.now - timedelta(days=40), "Accepted (an earlier parcel)")
    _post(client, body(USPS, [old], carrier="usps"))
    run_jobs(settings, clock)
    shown = client.get(f"{API}/repair-requests/{rr}", headers=staff).json()
    assert shown["status"] == "issued"  # P-30DAY is not satisfied by a scan older than the RR
    scan = status_json("TRANSIT", clock.now + timedelta(hours=3), "Accepted")
    _post(client, body(USPS, [old, scan], carrier="usps"))
    run_jobs(settings, clock)
    shown = client.get(f"{API}/repair-requests/{rr}", headers=staff).json()
    assert shown["status"] == "inbound_in_transit"
    assert shown["first_carrier_scan_at"].startswith(iso(clock.now + timedelta(hours=3))[:19])

    with factory(settings)() as s:
        due = due_for_poll(s, quiet_before=clock.now + timedelta(days=30), limit=50)
        assert [x.direction for x in due] == ["inbound"]  # in transit: polled
    receipt = {"rr_marked_on_carton": True, "freight_collect": False, "visible_damage": False,
               "serial_number_seen": shown["serial_number"]}  # fmt: skip
    resp = client.post(f"{API}/repair-requests/{rr}/receipt", json=receipt, headers=staff)
    assert resp.status_code == 200, resp.text
    with factory(settings)() as s:
        inbound = s.scalars(select(Shipment).where(Shipment.direction == "inbound")).one()
        assert inbound.status not in ("DELIVERED", "RETURNED")  # still "active" at the carrier
        due = due_for_poll(s, quiet_before=clock.now + timedelta(days=30), limit=50)
        assert inbound.id not in [x.id for x in due]  # but we have the unit: no more polling


def test_the_sandbox_carriers_delivered_history_is_kept_whole_in_order(
    client: TestClient, staff: dict[str, str], open_rr: Callable[..., dict[str, Any]],
    settings: Settings, clock: Clock,
) -> None:  # fmt: skip
    rr = open_rr()["rr_number"]
    assert register(client, staff, rr, "shippo", "SHIPPO_DELIVERED").status_code == 201
    run_jobs(settings, clock)
    run_jobs(settings, clock)
    [shipment] = client.get(f"{API}/repair-requests/{rr}", headers=staff).json()["shipments"]
    events = shipment["events"]
    assert len(events) == 5
    assert [e["occurred_at"] for e in events] == sorted(e["occurred_at"] for e in events)
    assert (events[-1]["status"], shipment["status"]) == ("DELIVERED", "DELIVERED")
    assert shipment["delivered_at"] == events[-1]["occurred_at"]


def test_delivered_with_no_history_takes_the_carriers_time_not_the_processing_time(
    client: TestClient, staff: dict[str, str], settings: Settings, clock: Clock,
    shipped: tuple[str, str],
) -> None:  # fmt: skip
    rr, shipment_id = shipped
    at = clock.now + timedelta(hours=26)
    payload = body(UPS, [status_json("DELIVERED", at, "Delivered")])
    payload["data"]["tracking_history"] = []
    _post(client, payload)
    clock.now += timedelta(days=2)
    run_jobs(settings, clock)
    view = _view(client, staff, shipment_id)
    assert view["status"] == "DELIVERED"
    assert view["delivered_at"].startswith(iso(at)[:19])
    history = client.get(f"{API}/repair-requests/{rr}", headers=staff).json()["history"]
    assert history[-1]["to_status"] == "delivered"
    assert history[-1]["at"].startswith(iso(at)[:19])
