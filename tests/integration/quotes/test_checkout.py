"""Paying a quote with the card form (SPEC §6, issue 14): the intent is confirmed by the customer,
3-D Secure is a challenge and not a decline, the quote is accepted only when the card is held."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from freight.quotes.models import PaymentHold
from tests.integration.shipments.flow import API, Flow

SANDBOX = "/sandbox/stripe/v1/payment_intents"
AUTH_FAILED = (
    "We are unable to authenticate your payment method. Please choose a different payment "
    "method and try again."
)


def _quoted(flow: Flow) -> tuple[str, dict[str, Any]]:
    rr = flow.international_rr()  # Berlin: the customer pays, in Europe 3-D Secure is the rule
    return rr, flow.outbound(rr)["quote"]


def start(flow: Flow, rr: str, quote_id: str) -> dict[str, Any]:
    """The page accepts: the intent and its client secret, nothing held yet."""
    resp = flow.client.post(f"{API}/quotes/{quote_id}/accept", json={}, headers=flow.customer(rr))
    assert resp.status_code == 200, resp.text
    return dict(resp.json())


def card_form(flow: Flow, intent: dict[str, Any], pm: str, challenge: str | None = None) -> Any:
    """What the sandbox card form does in the browser: confirm, then the challenge if asked."""
    body = {"client_secret": intent["client_secret"], "payment_method": pm}
    resp = flow.client.post(f"{SANDBOX}/{intent['id']}/confirm", json=body)
    assert resp.status_code == 200, resp.text
    if challenge is not None:
        assert resp.json()["status"] == "requires_action"
        body = {"client_secret": intent["client_secret"], "outcome": challenge}
        resp = flow.client.post(f"{SANDBOX}/{intent['id']}/challenge", json=body)
        assert resp.status_code == 200, resp.text
    return resp.json()


def confirm(flow: Flow, rr: str, quote_id: str) -> Any:
    return flow.client.post(f"{API}/quotes/{quote_id}/confirm", headers=flow.customer(rr))


def test_accept_creates_one_unconfirmed_intent_per_quote(flow: Flow) -> None:
    rr, quote = _quoted(flow)
    first = start(flow, rr, quote["id"])
    again = start(flow, rr, quote["id"])
    intent = first["payment_intent"]
    assert intent["status"] == "requires_payment_method"
    assert intent["client_secret"].startswith(intent["id"] + "_secret_")
    assert intent["provider"] == "sandbox"
    assert intent["publishable_key"] is None
    assert again["payment_intent"]["id"] == intent["id"]  # keyed by the quote
    assert first["status"] == "open"
    assert first["payment"]["status"] == "pending"
    assert first["payment"]["authorized"] is None
    assert flow.payments.operations() == []  # nothing held
    flow.drain()
    assert flow.labels_for(quote["shipment_id"]) == []


def test_3ds_challenge_passed_accepts_and_label_captures(flow: Flow) -> None:
    rr, quote = _quoted(flow)
    intent = start(flow, rr, quote["id"])["payment_intent"]
    after_form = card_form(flow, intent, "pm_card_threeDSecure2Required")
    assert after_form["status"] == "requires_action"  # a challenge, not a decline
    waiting = confirm(flow, rr, quote["id"])
    assert waiting.status_code == 200, waiting.text
    assert waiting.json()["status"] == "open"
    assert waiting.json()["payment_intent"]["status"] == "requires_action"
    flow.drain()
    assert flow.labels_for(quote["shipment_id"]) == []  # nothing bought before the hold

    passed = card_form_challenge(flow, intent, "pass")
    assert passed["status"] == "requires_capture"
    done = confirm(flow, rr, quote["id"])
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "accepted"
    assert done.json()["payment"]["status"] == "authorized"
    assert done.json()["payment"]["authorized"] == quote["amount"]
    flow.drain()
    shipment = flow.shipment(quote["shipment_id"])
    assert shipment["state"] == "labeled"
    assert shipment["quote"]["payment"]["captured"] == shipment["cost"]
    assert [o["op"] for o in flow.payments.operations()] == ["authorize", "capture"]


def card_form_challenge(flow: Flow, intent: dict[str, Any], outcome: str) -> Any:
    body = {"client_secret": intent["client_secret"], "outcome": outcome}
    resp = flow.client.post(f"{SANDBOX}/{intent['id']}/challenge", json=body)
    assert resp.status_code == 200, resp.text
    return resp.json()


def test_failed_challenge_leaves_quote_open_with_the_banks_sentence(flow: Flow) -> None:
    rr, quote = _quoted(flow)
    intent = start(flow, rr, quote["id"])["payment_intent"]
    failed = card_form(flow, intent, "pm_card_authenticationRequired", challenge="fail")
    assert failed["status"] == "requires_payment_method"
    assert failed["last_payment_error"]["message"] == AUTH_FAILED
    resp = confirm(flow, rr, quote["id"])
    assert resp.status_code == 402
    assert resp.headers["content-type"].startswith("application/problem+json")
    assert resp.json()["detail"] == AUTH_FAILED
    flow.drain()
    shipment = flow.shipment(quote["shipment_id"])
    assert shipment["quote"]["status"] == "open"
    assert flow.labels_for(quote["shipment_id"]) == []
    assert flow.payments.operations() == []
    # The customer tries again (the same intent) with a card that needs no challenge.
    again = start(flow, rr, quote["id"])["payment_intent"]
    assert again["id"] == intent["id"]
    assert card_form(flow, again, "pm_card_visa")["status"] == "requires_capture"
    assert confirm(flow, rr, quote["id"]).json()["status"] == "accepted"


def test_declined_card_in_the_form_is_402_and_nothing_held(flow: Flow) -> None:
    rr, quote = _quoted(flow)
    intent = start(flow, rr, quote["id"])["payment_intent"]
    for pm, sentence in (
        ("pm_card_chargeDeclined", "Your card was declined."),
        ("pm_card_insufficientFunds", "Your card has insufficient funds."),
    ):
        answer = card_form(flow, intent, pm)
        assert answer["last_payment_error"]["message"] == sentence
        resp = confirm(flow, rr, quote["id"])
        assert resp.status_code == 402
        assert resp.json()["detail"] == sentence
    assert flow.payments.operations() == []
    assert flow.shipment(quote["shipment_id"])["quote"]["status"] == "open"


def test_token_needing_3ds_is_returned_for_the_challenge_not_declined(flow: Flow) -> None:
    rr, quote = _quoted(flow)
    resp = flow.accept(quote["id"], rr, "pm_card_threeDSecure2Required")
    assert resp.status_code == 200, resp.text
    assert resp.json()["status"] == "open"
    assert resp.json()["payment"]["status"] == "pending"
    assert resp.json()["payment_intent"]["status"] == "requires_action"


def test_confirm_after_the_quote_expired_releases_the_hold(flow: Flow) -> None:
    rr, quote = _quoted(flow)
    intent = start(flow, rr, quote["id"])["payment_intent"]
    card_form(flow, intent, "pm_card_threeDSecure2Required")
    flow.clock.now += timedelta(days=8)
    card_form_challenge(flow, intent, "pass")
    resp = confirm(flow, rr, quote["id"])
    assert resp.status_code == 200, resp.text
    assert resp.json()["payment"]["status"] == "cancelled"
    assert [o["op"] for o in flow.payments.operations()] == ["authorize", "cancel"]
    with flow.factory() as s:
        holds = s.scalars(select(PaymentHold)).all()
        assert [(h.status, h.amount) for h in holds] == [
            ("released", Decimal(quote["amount"]["amount"]))
        ]
