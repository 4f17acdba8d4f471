"""Quoted outbound shipments (P-QUOTE, SPEC §6): quote, card hold, label, capture."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from freight.jobs.models import Job
from freight.quotes.models import Payment, Quote
from tests.integration.shipments.flow import API, Flow


def _quoted(flow: Flow, **over: object) -> tuple[str, dict[str, Any]]:
    rr = flow.international_rr(**over)
    return rr, flow.outbound(rr)


def test_international_return_is_quoted_and_rr_awaits_payment(flow: Flow, session: Session) -> None:
    rr, shipment = _quoted(flow)
    quote = shipment["quote"]
    assert shipment["state"] == "quoted"
    assert shipment["freight_terms"]["rule"] == "P-QUOTE"
    assert quote["status"] == "open"
    assert quote["payment"] is None
    assert quote["amount"]["currency"] == "USD"
    assert Decimal(quote["amount"]["amount"]) > 0
    assert quote["carrier"] == shipment["carrier"]
    assert quote["service"] == shipment["service"]
    assert quote["expires_at"].startswith((flow.clock.now + timedelta(days=7)).date().isoformat())
    assert shipment["customs"]["hs_code"] == "8517.62"
    rr_view = flow.rr(rr)
    assert rr_view["status"] == "awaiting_payment"
    assert rr_view["history"][-1]["rule"] == "P-QUOTE"
    assert [q["id"] for q in rr_view["quotes"]] == [quote["id"]]
    assert session.scalars(select(Job).where(Job.task == "shipments.buy_label")).all() == []


def test_accept_holds_card_then_label_captures_min_of_cost_and_hold(flow: Flow) -> None:
    rr, shipment = _quoted(flow)
    quote = shipment["quote"]
    resp = flow.accept(quote["id"], rr)
    assert resp.status_code == 200, resp.text
    assert resp.json()["status"] == "accepted"
    assert resp.json()["payment"]["status"] == "authorized"
    assert resp.json()["payment"]["authorized"] == quote["amount"]
    assert flow.labels_for(shipment["id"]) == []  # bought only in the background

    flow.drain()
    done = flow.shipment(shipment["id"])
    assert done["state"] == "labeled"
    assert done["tracking_number"]
    assert done["quote"]["payment"]["status"] == "captured"
    assert done["quote"]["payment"]["captured"] == done["cost"]
    assert flow.rr(rr)["status"] == "shipped"
    ops = [(o["op"], o["amount"]) for o in flow.payments.operations()]
    cents = int(Decimal(done["cost"]["amount"]) * 100)
    assert ops == [("authorize", int(Decimal(quote["amount"]["amount"]) * 100)), ("capture", cents)]
    assert len(flow.labels_for(shipment["id"])) == 1


def test_declined_card_is_402_with_reason_and_quote_stays_open(
    flow: Flow, session: Session
) -> None:
    rr, shipment = _quoted(flow)
    quote_id = shipment["quote"]["id"]
    resp = flow.accept(quote_id, rr, "pm_card_chargeDeclined")
    assert resp.status_code == 402
    assert resp.headers["content-type"].startswith("application/problem+json")
    assert resp.json()["detail"] == "Your card was declined."
    poor = flow.accept(quote_id, rr, "pm_card_insufficientFunds")
    assert poor.status_code == 402
    assert poor.json()["decline_code"] == "insufficient_funds"
    flow.drain()
    assert flow.shipment(shipment["id"])["quote"]["status"] == "open"
    assert flow.labels_for(shipment["id"]) == []
    assert session.scalars(select(Payment)).all() == []
    # The customer tries another card: it works.
    assert flow.accept(quote_id, rr, "pm_card_mastercard").status_code == 200


def test_unknown_payment_method_is_422_naming_it(flow: Flow) -> None:
    rr, shipment = _quoted(flow)
    resp = flow.accept(shipment["quote"]["id"], rr, "pm_card_bogus")
    assert resp.status_code == 422
    assert resp.json()["errors"][0]["field"] == "payment_method"
    assert flow.payments.operations() == []


def test_only_the_rrs_customer_can_accept(flow: Flow) -> None:
    rr, shipment = _quoted(flow)
    other = flow.international_rr()
    url = f"{API}/quotes/{shipment['quote']['id']}/accept"
    body = {"payment_method": "pm_card_visa"}
    assert flow.client.post(url, json=body, headers=flow.staff).status_code == 403
    assert flow.client.post(url, json=body, headers=flow.customer(other)).status_code == 404
    assert flow.client.post(url, json=body).status_code == 401
    assert flow.payments.operations() == []


def test_accepting_twice_is_409_and_never_holds_twice(flow: Flow) -> None:
    rr, shipment = _quoted(flow)
    quote_id = shipment["quote"]["id"]
    assert flow.accept(quote_id, rr).status_code == 200
    again = flow.accept(quote_id, rr)
    assert again.status_code == 409
    assert again.json()["quote_status"] == "accepted"
    assert [o["op"] for o in flow.payments.operations()] == ["authorize"]


def test_expired_quote_is_409_then_swept_and_requoted(flow: Flow) -> None:
    rr, shipment = _quoted(flow)
    quote_id = shipment["quote"]["id"]
    flow.clock.now += timedelta(days=8)
    late = flow.accept(quote_id, rr)
    assert late.status_code == 409
    assert "expired" in late.json()["detail"]
    from freight.jobs.registry import load_handlers

    periodic = load_handlers().periodic["quotes.expire"]
    from freight.jobs.service import job_context

    with flow.factory.begin() as s:
        assert periodic.fn(s, job_context(flow.settings, flow.clock.now)) == 1
    view = flow.rr(rr)
    assert view["status"] == "ready_to_ship"
    assert view["history"][-1]["rule"] == "P-QUOTE"
    assert view["quotes"][0]["status"] == "expired"
    again = flow.outbound(rr)
    assert again["id"] == shipment["id"]
    assert again["quote"]["id"] != quote_id
    assert again["quote"]["status"] == "open"
    assert flow.rr(rr)["status"] == "awaiting_payment"


def test_open_quote_blocks_a_second_request(flow: Flow) -> None:
    rr, _ = _quoted(flow)
    assert flow.request(rr).status_code == 409


def test_price_rise_beyond_tolerance_supersedes_and_reasks(flow: Flow, session: Session) -> None:
    rr, shipment = _quoted(flow)
    quote_id = shipment["quote"]["id"]
    with flow.factory.begin() as s:  # the carrier's price rose after quoting: quote well below it
        quote = s.get(Quote, quote_id)
        assert quote is not None
        quote.amount = (quote.amount / 2).quantize(Decimal("0.01"))
    assert flow.accept(quote_id, rr).status_code == 200
    flow.drain()
    view = flow.shipment(shipment["id"])
    assert view["state"] == "quoted"
    assert view["tracking_number"] is None
    assert view["quote"]["status"] == "open"
    assert view["quote"]["id"] != quote_id
    old = session.get(Quote, quote_id)
    assert old is not None
    assert old.status == "superseded"
    assert [o["op"] for o in flow.payments.operations()] == ["authorize", "cancel"]
    assert flow.labels_for(shipment["id"]) == []
    assert flow.rr(rr)["status"] == "awaiting_payment"
    # Re-asked: accepting the new quote ships it.
    assert flow.accept(view["quote"]["id"], rr).status_code == 200
    flow.drain()
    assert flow.shipment(shipment["id"])["state"] == "labeled"
