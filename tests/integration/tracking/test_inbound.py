"""Inbound tracking: registration, first carrier scan (P-30DAY), delivery, polling."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from carriers.types import TrackingInfo
from freight.db import session_scope
from freight.jobs.models import Job
from freight.jobs.registry import JobContext
from freight.jobs.service import enqueue
from freight.settings import Settings
from freight.shipments.models import Shipment
from freight.tracking.service import poll
from tests.integration.conftest import Clock
from tests.integration.tracking.helpers import (
    ACCEPTED,
    API,
    DELIVERED,
    LABEL,
    apply,
    customer_headers,
    factory,
    register,
    run_jobs,
    sandbox_on_test_clock,
    tracking_info,
)

USPS = "9400111899223197428490"


def _shipments(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Shipment)) or 0


def test_staff_registers_inbound_tracking_with_sender_paid_terms(
    client: TestClient, staff: dict[str, str], open_rr: Callable[..., dict[str, Any]],
    session: Session,
) -> None:  # fmt: skip
    rr = open_rr()
    resp = register(client, staff, rr["rr_number"], "USPS", "9400 1118 9922 3197 4284 90")
    assert resp.status_code == 201, resp.text
    body = resp.json()
    assert (body["direction"], body["purpose"], body["state"]) == (
        "inbound", "customer_inbound", "registered",
    )  # fmt: skip
    assert (body["carrier"], body["tracking_number"]) == ("usps", USPS)
    assert body["freight_terms"]["payer"] == "sender"
    assert body["freight_terms"]["rule"] == "P-INBOUND"
    assert session.scalar(select(Job.key).where(Job.task == "tracking.subscribe")) == (
        f"subscribe:{body['id']}"
    )
    again = register(client, staff, rr["rr_number"], "usps", USPS)
    assert again.status_code == 200
    assert again.json()["id"] == body["id"]
    shown = client.get(f"{API}/repair-requests/{rr['rr_number']}", headers=staff).json()
    assert [s["id"] for s in shown["shipments"]] == [body["id"]]


def test_a_reship_adds_a_second_inbound_but_a_number_cannot_serve_two_rrs(
    client: TestClient, staff: dict[str, str], open_rr: Callable[..., dict[str, Any]],
    session: Session,
) -> None:  # fmt: skip
    first, second = open_rr(), open_rr()
    assert register(client, staff, first["rr_number"], "usps", USPS).status_code == 201
    assert (
        register(client, staff, first["rr_number"], "ups", "1Z999AA10123456784").status_code == 201
    )
    clash = register(client, staff, second["rr_number"], "usps", USPS)
    assert clash.status_code == 409
    assert clash.headers["content-type"].startswith("application/problem+json")
    assert USPS in clash.json()["detail"]
    assert _shipments(session) == 2


def test_bad_carrier_or_number_is_422_naming_the_field_and_stores_nothing(
    client: TestClient, staff: dict[str, str], open_rr: Callable[..., dict[str, Any]],
    session: Session,
) -> None:  # fmt: skip
    rr = open_rr()["rr_number"]
    unknown = register(client, staff, rr, "pony_express", USPS)
    assert unknown.status_code == 422
    assert unknown.json()["errors"][0]["field"] == "carrier"
    malformed = register(client, staff, rr, "ups", "12345")
    assert malformed.status_code == 422
    assert malformed.json()["errors"][0]["field"] == "tracking_number"
    assert "UPS" in malformed.json()["errors"][0]["message"]
    assert _shipments(session) == 0


def test_customer_registers_own_rr_but_not_another_customers(
    client: TestClient, open_rr: Callable[..., dict[str, Any]], session: Session
) -> None:
    mine, theirs = open_rr(), open_rr()
    headers = customer_headers(client, mine["rr_number"])
    ok = register(client, headers, mine["rr_number"], "fedex", "449044304137821")
    assert ok.status_code == 201, ok.text
    assert ok.json()["cost"] is None
    other = register(client, headers, theirs["rr_number"], "fedex", "449044304137822")
    assert other.status_code == 403
    assert _shipments(session) == 1


def test_first_carrier_scan_moves_rr_in_transit_once(
    client: TestClient, staff: dict[str, str], open_rr: Callable[..., dict[str, Any]],
    settings: Settings, clock: Clock,
) -> None:  # fmt: skip
    rr = open_rr()
    register(client, staff, rr["rr_number"], "usps", USPS)
    start = clock.now + timedelta(days=2)
    info = tracking_info("usps", USPS, [LABEL, ACCEPTED], start=start)
    clock.now = start + timedelta(days=1)
    apply(settings, clock, info)
    apply(settings, clock, info)  # the same webhook twice
    shown = client.get(f"{API}/repair-requests/{rr['rr_number']}", headers=staff).json()
    assert shown["status"] == "inbound_in_transit"
    assert shown["first_carrier_scan_at"].startswith(
        (start + timedelta(hours=6)).date().isoformat()
    )
    moves = [h for h in shown["history"] if h["to_status"] == "inbound_in_transit"]
    assert len(moves) == 1
    assert moves[0]["rule"] == "P-30DAY"
    assert [e["status"] for e in shown["shipments"][0]["events"]] == ["PRE_TRANSIT", "TRANSIT"]


def test_label_only_is_not_a_scan_and_a_scan_after_the_deadline_does_not_save_the_rr(
    client: TestClient, staff: dict[str, str], open_rr: Callable[..., dict[str, Any]],
    settings: Settings, clock: Clock,
) -> None:  # fmt: skip
    rr = open_rr()
    register(client, staff, rr["rr_number"], "usps", USPS)
    apply(settings, clock, tracking_info("usps", USPS, [LABEL], start=clock.now))
    assert client.get(f"{API}/track/{rr['rr_number']}", headers=staff).json()["status"] == "issued"
    late = clock.now + timedelta(days=31)
    apply(settings, clock, tracking_info("usps", USPS, [LABEL, ACCEPTED], start=late))
    shown = client.get(f"{API}/repair-requests/{rr['rr_number']}", headers=staff).json()
    assert shown["status"] == "issued"


def test_delivery_to_the_depot_shows_on_the_receiving_desk_list(
    client: TestClient, staff: dict[str, str], open_rr: Callable[..., dict[str, Any]],
    settings: Settings, clock: Clock,
) -> None:  # fmt: skip
    rr = open_rr()
    register(client, staff, rr["rr_number"], "usps", USPS)
    assert client.get(f"{API}/inbound-shipments?delivered=true", headers=staff).json() == []
    apply(settings, clock, tracking_info("usps", USPS, [ACCEPTED, DELIVERED], start=clock.now))
    desk = client.get(f"{API}/inbound-shipments?delivered=true", headers=staff).json()
    assert [(s["rr_number"], s["status"]) for s in desk] == [(rr["rr_number"], "DELIVERED")]
    assert desk[0]["delivered_at"] is not None


def test_subscribe_job_takes_the_carriers_current_state_from_the_sandbox(
    client: TestClient, staff: dict[str, str], open_rr: Callable[..., dict[str, Any]],
    settings: Settings, clock: Clock,
) -> None:  # fmt: skip
    sandbox_on_test_clock(settings, clock)  # the scans end when it was registered: after the RR
    rr = open_rr()
    assert register(client, staff, rr["rr_number"], "shippo", "SHIPPO_TRANSIT").status_code == 201
    run_jobs(settings, clock)
    shown = client.get(f"{API}/repair-requests/{rr['rr_number']}", headers=staff).json()
    assert shown["status"] == "inbound_in_transit"
    assert shown["shipments"][0]["status"] == "TRANSIT"
    assert len(shown["shipments"][0]["events"]) == 3


def test_updates_for_unknown_numbers_are_ignored(
    settings: Settings, clock: Clock, session: Session
) -> None:
    apply(settings, clock, tracking_info("usps", USPS, [ACCEPTED], start=clock.now))
    assert _shipments(session) == 0


@dataclass
class FakeCarrier:
    """Answers get_tracking from a table and records the numbers asked for."""

    answers: dict[str, TrackingInfo]
    asked: list[str] = field(default_factory=list)

    def get_tracking(self, carrier: str, tracking_number: str) -> TrackingInfo:
        self.asked.append(f"{carrier}:{tracking_number}")
        return self.answers[tracking_number]


def test_poll_refreshes_only_quiet_active_trackers(
    client: TestClient, staff: dict[str, str], open_rr: Callable[..., dict[str, Any]],
    settings: Settings, clock: Clock,
) -> None:  # fmt: skip
    quiet, fresh = open_rr(), open_rr()
    register(client, staff, quiet["rr_number"], "usps", USPS)
    register(client, staff, fresh["rr_number"], "ups", "1Z999AA10123456784")
    apply(settings, clock, tracking_info("ups", "1Z999AA10123456784", [LABEL], start=clock.now))
    carrier = FakeCarrier({USPS: tracking_info("usps", USPS, [ACCEPTED], start=clock.now)})
    ctx = JobContext(settings=settings, now=clock.now + timedelta(minutes=5), carrier=carrier,
                     payments=None, enqueue=enqueue)  # fmt: skip
    with session_scope(factory(settings)) as s:
        assert poll(s, ctx) == 1
    assert carrier.asked == [f"usps:{USPS}"]
    assert client.get(f"{API}/track/{quiet['rr_number']}", headers=staff).json()["status"] == (
        "inbound_in_transit"
    )
    with session_scope(factory(settings)) as s:  # both were heard from just now
        assert poll(s, ctx) == 0


def test_a_posted_shippo_webhook_reaches_the_rr_through_the_background_processor(
    client: TestClient, staff: dict[str, str], open_rr: Callable[..., dict[str, Any]],
    settings: Settings, clock: Clock,
) -> None:  # fmt: skip
    from tests.integration.tracking.helpers import webhook_body

    rr = open_rr()
    register(client, staff, rr["rr_number"], "usps", USPS)
    body = webhook_body("usps", USPS, [LABEL, ACCEPTED], start=clock.now)
    for _ in range(2):
        resp = client.post(f"/webhooks/shippo?token={settings.webhook_token}", json=body)
        assert resp.status_code in (200, 202), resp.text
    run_jobs(settings, clock)
    shown = client.get(f"{API}/repair-requests/{rr['rr_number']}", headers=staff).json()
    assert shown["status"] == "inbound_in_transit"
    # The subscribe job also took the sandbox's own state; the duplicate webhook added nothing.
    texts = [e["text"] for e in shown["shipments"][0]["events"]]
    assert texts.count("Accepted at origin facility") == 1
    assert texts.count("Shipping label created") == 1


def test_after_30_days_only_the_unscanned_rr_is_cancelled(
    client: TestClient, staff: dict[str, str], open_rr: Callable[..., dict[str, Any]],
    settings: Settings, clock: Clock,
) -> None:  # fmt: skip
    from freight.repairs.jobs import auto_cancel
    from tests.integration.tracking.helpers import job_context

    scanned, idle = open_rr(), open_rr()
    register(client, staff, scanned["rr_number"], "usps", USPS)
    apply(settings, clock, tracking_info("usps", USPS, [ACCEPTED],
                                         start=clock.now + timedelta(days=29)))  # fmt: skip
    with session_scope(factory(settings)) as s:
        auto_cancel(s, job_context(settings, clock.now + timedelta(days=30, minutes=1)))
    status = {
        rr["rr_number"]: client.get(f"{API}/track/{rr['rr_number']}", headers=staff).json()[
            "status"
        ]
        for rr in (scanned, idle)
    }
    assert status == {scanned["rr_number"]: "inbound_in_transit", idle["rr_number"]: "cancelled"}
