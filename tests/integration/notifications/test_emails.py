"""Customer emails: queued with the change, sent in the background, once per signal, as .eml."""

from __future__ import annotations

from collections.abc import Callable
from email import message_from_bytes
from email.message import Message
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from freight.claims.models import Claim
from freight.settings import Settings
from tests.integration.conftest import Clock
from tests.integration.tracking.helpers import (
    ACCEPTED,
    API,
    DAMAGED,
    DELIVERED,
    GOOD_RECEIPT,
    RETURNED,
    apply,
    make_outbound,
    register,
    run_jobs,
    tracking_info,
)

UPS = "1Z999AA10123456784"


def _outbox(settings: Settings) -> list[Message]:
    folder = settings.data_dir / "outbox"
    if not folder.exists():
        return []
    return [message_from_bytes(p.read_bytes()) for p in sorted(folder.glob("*.eml"))]


def _kinds(settings: Settings) -> list[str]:
    return sorted(str(m["X-Notification"]) for m in _outbox(settings))


def _body(msg: Message) -> str:
    part = next(p for p in msg.walk() if p.get_content_type() == "text/plain")
    payload = part.get_payload(decode=True)
    assert isinstance(payload, bytes)
    return payload.decode()


def test_rr_issued_email_is_written_once_to_the_outbox(
    open_rr: Callable[..., dict[str, Any]], settings: Settings, clock: Clock
) -> None:
    rr = open_rr()
    assert _outbox(settings) == []  # sending never happens inside the request
    run_jobs(settings, clock)
    run_jobs(settings, clock)
    (msg,) = _outbox(settings)
    assert msg["To"] == "ada@example.com"
    assert rr["rr_number"] in msg["Subject"]
    body = _body(msg)
    assert "COD" in body
    assert "410 East Plumeria Drive" in body
    assert rr["inbound_deadline"][:10] in body


def test_rejection_email_lists_the_reasons(
    client: TestClient, staff: dict[str, str], open_rr: Callable[..., dict[str, Any]],
    settings: Settings, clock: Clock,
) -> None:  # fmt: skip
    rr = open_rr()
    body = {**GOOD_RECEIPT, "serial_number_seen": "WRONG-1", "freight_collect": True}
    client.post(f"{API}/repair-requests/{rr['rr_number']}/receipt", json=body, headers=staff)
    run_jobs(settings, clock)
    (msg,) = [m for m in _outbox(settings) if m["X-Notification"] == "receipt_rejected"]
    text = _body(msg)
    assert "freight collect" in text
    assert "serial number" in text


def test_accepted_receipt_email_gives_the_repair_due_date(
    client: TestClient, staff: dict[str, str], open_rr: Callable[..., dict[str, Any]],
    settings: Settings, clock: Clock,
) -> None:  # fmt: skip
    rr = open_rr()
    body = {**GOOD_RECEIPT, "serial_number_seen": rr["serial_number"]}
    resp = client.post(f"{API}/repair-requests/{rr['rr_number']}/receipt", json=body, headers=staff)
    run_jobs(settings, clock)
    (msg,) = [m for m in _outbox(settings) if m["X-Notification"] == "receipt_accepted"]
    assert resp.json()["repair_request"]["repair_due"] in _body(msg)


def test_claim_email_gives_deadline_and_evidence_then_marks_the_claim_notified(
    client: TestClient, staff: dict[str, str], open_rr: Callable[..., dict[str, Any]],
    settings: Settings, clock: Clock, session: Session,
) -> None:  # fmt: skip
    rr = open_rr()
    register(client, staff, rr["rr_number"], "ups", UPS)
    for _ in range(2):  # a duplicate webhook never sends a second email
        apply(settings, clock, tracking_info("ups", UPS, [ACCEPTED, DAMAGED], start=clock.now))
    run_jobs(settings, clock)
    (msg,) = [m for m in _outbox(settings) if m["X-Notification"] == "claim_opened"]
    claim = session.scalars(select(Claim)).one()
    assert claim.file_by.isoformat() in msg["Subject"]
    text = _body(msg)
    assert "packing material" in text
    assert "not liable" in text
    assert claim.status == "notified"


def test_review_flags_send_no_claim_email(
    open_rr: Callable[..., dict[str, Any]], settings: Settings, clock: Clock
) -> None:
    rr = open_rr()
    make_outbound(settings, rr["rr_number"], carrier="ups", number=UPS, ship_date=clock.now)
    apply(settings, clock, tracking_info("ups", UPS, [ACCEPTED, RETURNED], start=clock.now))
    run_jobs(settings, clock)
    assert "claim_opened" not in _kinds(settings)


def test_delivery_email_asks_to_inspect_once(
    client: TestClient, staff: dict[str, str], open_rr: Callable[..., dict[str, Any]],
    settings: Settings, clock: Clock,
) -> None:  # fmt: skip
    rr = open_rr()
    make_outbound(settings, rr["rr_number"], carrier="ups", number=UPS, ship_date=clock.now)
    for _ in range(2):
        apply(settings, clock, tracking_info("ups", UPS, [ACCEPTED, DELIVERED], start=clock.now))
    run_jobs(settings, clock)
    assert _kinds(settings) == ["delivered", "rr_issued"]
    (msg,) = [m for m in _outbox(settings) if m["X-Notification"] == "delivered"]
    assert "concealed damage" in _body(msg).lower()
    shown = client.get(f"{API}/repair-requests/{rr['rr_number']}", headers=staff).json()
    assert shown["status"] == "delivered"


def test_hooks_for_quotes_and_labels_send_one_email_each(
    open_rr: Callable[..., dict[str, Any]], settings: Settings, clock: Clock
) -> None:
    from datetime import timedelta
    from decimal import Decimal

    from freight.db import session_scope
    from freight.notifications import hooks
    from freight.quotes.models import Quote
    from freight.repairs.models import RepairRequest
    from freight.shipments.models import Shipment
    from tests.integration.tracking.helpers import factory

    rr_number = open_rr()["rr_number"]
    shipment_id = make_outbound(settings, rr_number, carrier="ups", number=UPS, ship_date=clock.now)
    with session_scope(factory(settings)) as s:
        rr = s.query(RepairRequest).filter_by(rr_number=rr_number).one()
        shipment = s.get(Shipment, shipment_id)
        assert shipment is not None
        quote = Quote(
            shipment_id=shipment_id,
            rr_id=rr.id,
            amount=Decimal("48.10"),
            currency="USD",
            carrier="dhl_express",
            service="Express Worldwide",
            rate_id="r",
            estimated_days=3,
            expires_at=clock.now + timedelta(days=7),
            status="open",
        )
        s.add(quote)
        s.flush()
        for _ in range(2):
            hooks.quote_ready(s, rr=rr, quote=quote)
            hooks.shipped(s, rr=rr, shipment=shipment)
    run_jobs(settings, clock)
    assert _kinds(settings) == ["quote_ready", "rr_issued", "shipped"]
    texts = {m["X-Notification"]: _body(m) for m in _outbox(settings)}
    assert "48.10 USD with DHL Express" in texts["quote_ready"]
    assert "https://www.ups.com/track?tracknum=1Z999AA10123456784" in texts["shipped"]
