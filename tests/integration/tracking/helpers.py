"""Shared helpers for tracking, claims and notification tests: jobs, Shippo-shaped updates."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from carriers.sandbox.app import SandboxApp
from carriers.sandbox.transport import IN_PROCESS_BASE_URL, WsgiTransport
from carriers.types import TrackingInfo
from carriers.webhooks import parse_webhook
from freight.db import engine_for, session_scope
from freight.jobs.registry import JobContext
from freight.jobs.service import drain, enqueue
from freight.ports import carrier_port
from freight.settings import Settings
from freight.tracking.service import apply_tracking_update
from tests.integration.conftest import Clock

API = "/api/v1"
Step = tuple[str, str, str]  # (status, substatus code, text)


def factory(settings: Settings) -> sessionmaker[Session]:
    return sessionmaker(bind=engine_for(settings.db_url), expire_on_commit=False)


def job_context(settings: Settings, now: datetime) -> JobContext:
    """A job context with the sandbox carrier (these features never touch payments)."""
    return JobContext(
        settings=settings, now=now, carrier=carrier_port(settings), payments=None, enqueue=enqueue
    )


def sandbox_on_test_clock(settings: Settings, clock: Clock) -> None:
    """The in-process sandbox carrier's clock follows the test clock (it stamps scans with it)."""
    carrier = carrier_port(settings)
    transport = carrier.session.get_adapter(IN_PROCESS_BASE_URL + "/")  # type: ignore[attr-defined]
    assert isinstance(transport, WsgiTransport)
    assert isinstance(transport.app, SandboxApp)
    transport.app.ctx.now = clock


def run_jobs(settings: Settings, clock: Clock) -> int:
    """Run every queued background job inline, at the test clock's time."""
    return drain(factory(settings), lambda: job_context(settings, clock.now))


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def track_payload(
    carrier: str, number: str, steps: Sequence[Step], *, start: datetime
) -> dict[str, Any]:
    """A Shippo Track object (as in a track_updated webhook's `data`), one step per 6 hours."""
    history = [
        {
            "status": status, "status_details": text,
            "status_date": iso(start + timedelta(hours=6 * i)),
            "substatus": {"code": code, "text": text, "action_required": False},
            "location": {"city": "Memphis", "state": "TN", "zip": "38118", "country": "US"},
        }
        for i, (status, code, text) in enumerate(steps)
    ]  # fmt: skip
    return {
        "carrier": carrier, "tracking_number": number,
        "tracking_status": history[-1] if history else {"status": "UNKNOWN"},
        "tracking_history": history, "metadata": "", "test": True,
    }  # fmt: skip


def webhook_body(
    carrier: str, number: str, steps: Sequence[Step], *, start: datetime
) -> dict[str, Any]:
    """A Shippo track_updated webhook body."""
    return {"event": "track_updated", "test": True,
            "data": track_payload(carrier, number, steps, start=start)}  # fmt: skip


def tracking_info(
    carrier: str, number: str, steps: Sequence[Step], *, start: datetime
) -> TrackingInfo:
    """What the carriers layer makes of that webhook (the webhook processor's input)."""
    info = parse_webhook(webhook_body(carrier, number, steps, start=start)).tracking
    assert info is not None
    return info


def apply(
    settings: Settings, clock: Clock, info: TrackingInfo, *, ctx: JobContext | None = None
) -> None:
    """Apply one carrier update in its own transaction, as the webhook processor does."""
    with session_scope(factory(settings)) as session:
        apply_tracking_update(session, ctx or job_context(settings, clock.now), info, "webhook")


ACCEPTED: Step = ("TRANSIT", "package_accepted", "Accepted at origin facility")
LABEL: Step = ("PRE_TRANSIT", "information_received", "Shipping label created")
DELIVERED: Step = ("DELIVERED", "delivered", "Delivered, left at front desk")
DAMAGED: Step = ("TRANSIT", "package_damaged", "Package damaged in transit, carton crushed")
LOST: Step = ("FAILURE", "package_lost", "Package lost, carrier trace unsuccessful")
RETURNED: Step = ("RETURNED", "return_to_sender", "Returned to sender")


def register(
    client: TestClient, headers: dict[str, str], rr_number: str, carrier: str, number: str
) -> Any:
    return client.post(
        f"{API}/repair-requests/{rr_number}/inbound-shipments",
        json={"carrier": carrier, "tracking_number": number},
        headers=headers,
    )


def customer_headers(
    client: TestClient, rr_number: str, email: str = "ada@example.com"
) -> dict[str, str]:
    resp = client.post(f"{API}/track/lookup", json={"rr_number": rr_number, "email": email})
    assert resp.status_code == 200, resp.text
    return {"Authorization": f"Bearer {resp.json()['token']}"}


GOOD_RECEIPT = {
    "rr_marked_on_carton": True, "freight_collect": False, "visible_damage": False,
    "third_party_equipment": False,
}  # fmt: skip


def make_outbound(
    settings: Settings, rr_number: str, *, carrier: str, number: str, ship_date: datetime,
    international: bool = False, rr_status: str | None = "shipped",
) -> str:  # fmt: skip
    """A labeled outbound shipment (as the outbound feature leaves it); returns its id."""
    from freight.repairs.models import RepairRequest
    from freight.shipments.models import Shipment

    with session_scope(factory(settings)) as session:
        rr = session.query(RepairRequest).filter_by(rr_number=rr_number).one()
        shipment = Shipment(
            rr_id=rr.id, direction="outbound", purpose="repair_return", state="labeled",
            carrier=carrier, tracking_number=number, status="PRE_TRANSIT", ship_date=ship_date,
            freight_terms=dict(rr.freight_terms), international=international,
            label_url="https://example.invalid/label.pdf", cost_amount=None,
        )  # fmt: skip
        session.add(shipment)
        if rr_status:
            rr.status = rr_status
        session.flush()
        return shipment.id
