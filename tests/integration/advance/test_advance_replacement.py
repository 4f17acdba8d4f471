"""Advance replacement end to end (issue 17 §2): staff offer it, the customer saves a card, and
the defective unit comes back in time (released), late or never (charged once) — on SQLite and
PostgreSQL, with a crash between the processor's charge and our commit."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session

from freight.advance.models import AdvanceReplacement
from freight.advance.service import charge
from freight.db import session_scope
from freight.jobs.service import job_context, run_periodic
from tests.integration.shipments.flow import API, Flow
from tests.integration.submissions.helpers import body_of
from tests.integration.submissions.helpers import emails_of as _outbox
from tests.integration.tracking.helpers import ACCEPTED, LABEL, apply, register, tracking_info

USPS = "9400111899223197428490"


def _offer(flow: Flow, rr: str, **body: Any) -> Any:
    return flow.client.post(
        f"{API}/repair-requests/{rr}/advance-replacement",
        json={"part_number": "MAX-1000", **body}, headers=flow.staff,
    )  # fmt: skip


def _save_card(flow: Flow, rr: str, pm: str | None = "pm_card_visa") -> Any:
    return flow.client.post(
        f"{API}/track/{rr}/advance-replacement/card",
        json={"payment_method": pm} if pm else {}, headers=flow.customer(rr),
    )  # fmt: skip


def _advance(flow: Flow, rr: str) -> dict[str, Any]:
    resp = flow.client.get(f"{API}/track/{rr}/advance-replacement", headers=flow.customer(rr))
    assert resp.status_code == 200, resp.text
    return dict(resp.json())


def _mails(flow: Flow, kind: str) -> list[Any]:
    flow.drain()  # emails leave through the outbox
    return _outbox(flow.settings, kind)


def _sweep(flow: Flow) -> None:
    run_periodic(flow.factory, lambda: job_context(flow.settings, flow.clock.now), "advance.sweep")
    flow.drain()
    flow.drain()


def _charges(flow: Flow) -> list[dict[str, Any]]:
    return flow.payments.operations("charge")


def _started(flow: Flow) -> str:
    """An issued RR with an advance replacement whose card is saved (the window runs)."""
    rr = flow.open_rr()
    offered = _offer(flow, rr, serial_number="SNREPL-1", condition="reconditioned")
    assert offered.status_code == 201, offered.text
    saved = _save_card(flow, rr)
    assert saved.status_code == 200, saved.text
    assert saved.json()["state"] == "card_saved"
    return rr


def _scan(flow: Flow, rr: str, at_days: float) -> None:
    """The customer's carrier scans the defective unit `at_days` after the card was saved."""
    assert register(flow.client, flow.staff, rr, "usps", USPS).status_code == 201
    start = flow.clock.now + timedelta(days=at_days) - timedelta(hours=6)
    info = tracking_info("usps", USPS, [LABEL, ACCEPTED], start=start)
    apply(flow.settings, flow.clock, info)


def test_staff_offer_and_the_customer_saves_a_card(flow: Flow) -> None:
    rr = flow.open_rr()
    offered = _offer(flow, rr, serial_number="SNREPL-1", condition="reconditioned")
    assert offered.status_code == 201, offered.text
    body = offered.json()
    assert (body["state"], body["price"]) == ("card_requested", {"amount": "249.00",
                                                                 "currency": "USD"})  # fmt: skip
    assert body["serial_number"] == "SNREPL-1"
    assert [d["rule"] for d in body["decisions"]] == ["ADV-ELIGIBLE", "ADV-PRICE"]
    assert "save a card" in body["summary"]
    offer_mail = _mails(flow, "advance_offered")
    assert len(offer_mail) == 1
    assert "249.00 USD" in body_of(offer_mail[0])
    detail = flow.rr(rr)
    assert detail["advance_replacement"]["state"] == "card_requested"
    assert detail["replacement"]["serial_number"] == "SNREPL-1"  # P-REPLACE: both serials
    offered_line = [h for h in detail["history"] if h["rule"] == "P-REPLACE"]
    assert offered_line[0]["note"].startswith("Advance replacement offered (MAX-1000, 249.00 USD")
    saved = _save_card(flow, rr)
    assert saved.status_code == 200, saved.text
    data = saved.json()
    assert (data["state"], data["card"], data["return_days"]) == ("card_saved", "saved", 30)
    assert data["due_at"].startswith((flow.clock.now + timedelta(days=30)).date().isoformat())
    assert "Card saved. Send the defective unit back by 2 December 2026" in data["summary"]
    assert data["client_secret"] is None
    mail = _mails(flow, "advance_card_saved")
    assert len(mail) == 1
    assert "2 December 2026" in mail[0]["Subject"]
    assert _charges(flow) == []
    assert flow.rr(rr)["advance_replacement"]["due_date"] == "2026-12-02"


def test_unit_back_in_time_releases_the_card_and_nothing_is_charged(flow: Flow) -> None:
    rr = _started(flow)
    _scan(flow, rr, at_days=10)
    flow.clock.now += timedelta(days=10, hours=1)
    _sweep(flow)
    shown = _advance(flow, rr)
    assert (shown["state"], shown["released"], shown["charged"]) == ("released", True, None)
    assert "card is released" in shown["summary"]
    assert len(_mails(flow, "advance_released")) == 1
    flow.clock.now += timedelta(days=40)
    _sweep(flow)
    assert _charges(flow) == []
    assert _advance(flow, rr)["state"] == "released"


def test_never_returned_reminds_on_day_21_then_charges_once(flow: Flow) -> None:
    rr = _started(flow)
    flow.clock.now += timedelta(days=21, hours=1)
    _sweep(flow)
    _sweep(flow)
    reminders = _mails(flow, "advance_reminder")
    assert len(reminders) == 1
    assert "2 December 2026" in body_of(reminders[0])
    assert _charges(flow) == []
    flow.clock.now += timedelta(days=9)  # day 30 and an hour
    _sweep(flow)
    _sweep(flow)
    flow.clock.now += timedelta(days=5)
    _sweep(flow)
    charges = _charges(flow)
    assert [(c["amount"], c["currency"], c["key"]) for c in charges] == [
        (24900, "USD", f"advance-charge:{rr}")
    ]
    shown = _advance(flow, rr)
    assert (shown["state"], shown["charged"]) == ("charged", {"amount": "249.00",
                                                              "currency": "USD"})  # fmt: skip
    assert len(_mails(flow, "advance_charged")) == 1
    assert flow.rr(rr)["advance_replacement"]["charged_at"] is not None


def test_unit_scanned_after_the_window_is_charged_once(flow: Flow) -> None:
    rr = _started(flow)
    _scan(flow, rr, at_days=31)  # late: handed to the carrier after day 30
    flow.clock.now += timedelta(days=31, hours=1)
    _sweep(flow)
    _sweep(flow)
    assert len(_charges(flow)) == 1
    assert _advance(flow, rr)["state"] == "charged"
    assert _mails(flow, "advance_released") == []


def test_a_crash_after_the_processor_charged_never_charges_twice(flow: Flow) -> None:
    rr = _started(flow)
    flow.clock.now += timedelta(days=30, hours=1)
    run_periodic(flow.factory, lambda: job_context(flow.settings, flow.clock.now), "advance.sweep")
    with session_scope(flow.factory) as s:
        advance_id = s.query(AdvanceReplacement).one().id
    # The worker charges, then dies before its transaction commits.
    crashed: Session = flow.factory()
    try:
        charge(crashed, advance_id=advance_id, payments=flow.payments, now=flow.clock.now,
               settings=flow.settings)  # fmt: skip
    finally:
        crashed.rollback()
        crashed.close()
    assert _advance(flow, rr)["state"] == "card_saved"
    assert len(_charges(flow)) == 1
    # The outbox job runs (again): it finds the charge by its key and records it.
    flow.drain()
    flow.drain()
    _sweep(flow)
    assert _advance(flow, rr)["state"] == "charged"
    assert len(_charges(flow)) == 1
    assert len(_mails(flow, "advance_charged")) == 1


def test_a_declined_card_is_a_clear_402_and_nothing_is_saved_or_charged(flow: Flow) -> None:
    rr = flow.open_rr()
    assert _offer(flow, rr).status_code == 201
    declined = _save_card(flow, rr, "pm_card_chargeDeclined")
    assert declined.status_code == 402
    assert declined.headers["content-type"].startswith("application/problem+json")
    problem = declined.json()
    assert problem["detail"] == "Your card was declined."
    assert problem["errors"] == [{"field": "payment_method", "message": "Your card was declined."}]
    assert _advance(flow, rr)["state"] == "card_requested"
    unknown = _save_card(flow, rr, "pm_card_bogus")
    assert unknown.status_code == 422
    assert unknown.json()["errors"][0]["field"] == "payment_method"
    # Another card then saves on the same SetupIntent.
    assert _save_card(flow, rr).json()["state"] == "card_saved"
    assert _charges(flow) == []


def test_a_card_refused_off_session_fails_the_charge_and_emails_the_customer(flow: Flow) -> None:
    rr = flow.open_rr()
    assert _offer(flow, rr).status_code == 201
    pending = _save_card(flow, rr, "pm_card_authenticationRequired").json()
    assert (pending["state"], pending["card"]) == ("card_requested", "requires_action")
    assert pending["client_secret"]
    flow.payments.challenge_setup(pending["setup_intent"], pending["client_secret"], passed=True)
    assert _save_card(flow, rr, None).json()["state"] == "card_saved"  # recorded once confirmed
    flow.clock.now += timedelta(days=30, hours=1)
    _sweep(flow)
    shown = _advance(flow, rr)
    assert shown["state"] == "charge_failed"
    assert "requires authentication" in shown["failure_reason"]
    assert _charges(flow) == []
    assert len(_mails(flow, "advance_charge_failed")) == 1


def test_refusals_name_the_field_and_change_nothing(flow: Flow) -> None:
    received = flow.open_rr()
    flow.receive(received)
    late = _offer(flow, received)
    assert late.status_code == 422
    assert late.headers["content-type"].startswith("application/problem+json")
    assert late.json()["errors"][0]["field"] == "status"
    assert "issued or inbound_in_transit" in late.json()["errors"][0]["message"]
    rr = flow.open_rr()
    unpriced = _offer(flow, rr, part_number="ALT-NOPRICE")
    assert unpriced.status_code == 422
    assert unpriced.json()["errors"][0]["field"] == "part_number"
    assert flow.rr(rr)["advance_replacement"] is None
    assert _offer(flow, rr).status_code == 201
    assert _offer(flow, rr).status_code == 409
    other = flow.open_rr()
    assert (
        flow.client.get(
            f"{API}/track/{other}/advance-replacement", headers=flow.customer(rr)
        ).status_code
        == 403
    )
    assert (
        flow.client.get(
            f"{API}/track/{other}/advance-replacement", headers=flow.customer(other)
        ).status_code
        == 404
    )
    assert _mails(flow, "advance_offered")
    assert _charges(flow) == []


def test_staff_ship_the_replacement_before_the_unit_arrives(flow: Flow) -> None:
    rr = flow.open_rr()
    assert _offer(flow, rr, serial_number="SNREPL-9").status_code == 201
    early = flow.request(rr)  # no card saved yet: nothing ships
    assert early.status_code == 409
    assert early.headers["content-type"].startswith("application/problem+json")
    assert _save_card(flow, rr).json()["state"] == "card_saved"
    shipment = flow.outbound(rr)
    assert (shipment["purpose"], shipment["freight_terms"]["payer"]) == ("repair_return", "vendor")
    flow.drain()
    flow.drain()
    bought = flow.shipment(shipment["id"])
    assert bought["state"] == "labeled"
    assert bought["tracking_number"]
    shown = flow.rr(rr)
    assert shown["status"] == "issued"  # still waiting for the defective unit
    shipped = _mails(flow, "shipped")
    assert len(shipped) == 1
    assert "SNREPL-9" in body_of(shipped[0])
    # The unit then arrives in time: received as usual, and the card is released.
    flow.receive(rr)
    flow.clock.now += timedelta(hours=2)
    _sweep(flow)
    assert _advance(flow, rr)["state"] == "released"
    assert _charges(flow) == []


def test_an_advance_replacement_abroad_waits_for_ready_to_ship(flow: Flow) -> None:
    from tests.integration.shipments.flow import BERLIN

    rr = flow.open_rr(return_address=BERLIN)
    assert _offer(flow, rr).status_code == 201
    assert _save_card(flow, rr).json()["state"] == "card_saved"
    refused = flow.request(rr)
    assert refused.status_code == 409
    assert "vendor pays the freight" in refused.json()["detail"]


def test_p30day_never_cancels_an_rr_whose_advance_replacement_is_active(flow: Flow) -> None:
    rr = _started(flow)  # card saved: the replacement may already be on its way
    plain = flow.open_rr()  # no advance replacement: P-30DAY applies
    flow.clock.now += timedelta(days=31)
    ctx = lambda: job_context(flow.settings, flow.clock.now)  # noqa: E731
    run_periodic(flow.factory, ctx, "repairs.auto_cancel")
    flow.drain()
    assert flow.rr(plain)["status"] == "cancelled"
    assert flow.rr(rr)["status"] == "issued"  # ADV-HOLD: expected back, charged if never
    assert len(_mails(flow, "rr_auto_cancelled")) == 1
