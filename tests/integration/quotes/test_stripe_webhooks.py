"""Stripe's webhooks (SPEC §6, issue 14): signed, stored once per event id, applied to the quote
and the ledger; forged ones are refused and leave nothing behind; a poll covers a missed one."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select

from freight.jobs.registry import REGISTRY, load_handlers
from freight.jobs.service import job_context
from freight.payments.sandbox import sign
from freight.webhooks.models import WebhookEvent
from tests.integration.quotes.test_checkout import AUTH_FAILED, card_form, start
from tests.integration.shipments.flow import API, Flow


def _quoted(flow: Flow) -> tuple[str, dict[str, Any]]:
    rr = flow.international_rr()
    return rr, flow.outbound(rr)["quote"]


def _event(flow: Flow, kind: str, ref: str) -> dict[str, Any]:
    found = [
        e
        for e in flow.payments.events()
        if e["type"] == kind
        and ref in (e["data"]["object"]["id"], e["data"]["object"].get("payment_intent"))
    ]
    assert found, f"the sandbox emitted no {kind} for {ref}"
    return found[-1]


def deliver(flow: Flow, event: dict[str, Any], secret: str | None = None) -> Any:
    body = json.dumps(event).encode()
    header = sign(body, secret or flow.payments.webhook_secret or "", int(time.time()))
    return flow.client.post(
        "/webhooks/stripe",
        content=body,
        headers={"Stripe-Signature": header, "Content-Type": "application/json"},
    )


def _stored(flow: Flow) -> int:
    with flow.factory() as s:
        return int(s.scalar(select(func.count()).select_from(WebhookEvent)) or 0)


def test_capturable_event_accepts_the_quote_once_when_the_page_never_confirmed(
    flow: Flow,
) -> None:
    rr, quote = _quoted(flow)
    intent = start(flow, rr, quote["id"])["payment_intent"]
    card_form(flow, intent, "pm_card_threeDSecure2Required", challenge="pass")
    # The customer closed the tab: only Stripe's event tells the service.
    event = _event(flow, "payment_intent.amount_capturable_updated", intent["id"])
    first = deliver(flow, event)
    assert first.status_code == 200, first.text
    assert first.json() == {"status": "accepted"}
    replay = deliver(flow, event)
    assert replay.json() == {"status": "duplicate"}
    assert _stored(flow) == 1
    flow.drain()
    shipment = flow.shipment(quote["shipment_id"])
    assert shipment["quote"]["status"] == "accepted"
    assert shipment["state"] == "labeled"
    assert shipment["quote"]["payment"]["captured"] == shipment["cost"]
    assert [o["op"] for o in flow.payments.operations()] == ["authorize", "capture"]
    assert len(flow.labels_for(quote["shipment_id"])) == 1
    with flow.factory() as s:
        assert s.scalars(select(WebhookEvent.status)).all() == ["processed"]


def test_forged_or_tampered_events_are_400_and_nothing_is_stored(flow: Flow) -> None:
    rr, quote = _quoted(flow)
    intent = start(flow, rr, quote["id"])["payment_intent"]
    card_form(flow, intent, "pm_card_visa")
    event = _event(flow, "payment_intent.amount_capturable_updated", intent["id"])
    forged = deliver(flow, event, secret="whsec_someone_else_entirely_000000")
    assert forged.status_code == 400
    assert forged.headers["content-type"].startswith("application/problem+json")
    assert "Stripe-Signature" in forged.json()["detail"]
    body = json.dumps(event).encode()
    header = sign(body, flow.payments.webhook_secret or "", int(time.time()))
    tampered = flow.client.post(
        "/webhooks/stripe",
        content=body.replace(b"requires_capture", b"succeeded"),
        headers={"Stripe-Signature": header},
    )
    assert tampered.status_code == 400
    unsigned = flow.client.post("/webhooks/stripe", content=body)
    assert unsigned.status_code == 400
    stale = sign(body, flow.payments.webhook_secret or "", int(time.time()) - 3600)
    old = flow.client.post("/webhooks/stripe", content=body, headers={"Stripe-Signature": stale})
    assert old.status_code == 400
    assert _stored(flow) == 0
    flow.drain()
    assert flow.shipment(quote["shipment_id"])["quote"]["status"] == "open"


def test_payment_failed_event_shows_the_reason_and_the_quote_stays_open(flow: Flow) -> None:
    rr, quote = _quoted(flow)
    intent = start(flow, rr, quote["id"])["payment_intent"]
    card_form(flow, intent, "pm_card_authenticationRequired", challenge="fail")
    assert deliver(flow, _event(flow, "payment_intent.payment_failed", intent["id"])).json() == {
        "status": "accepted"
    }
    flow.drain()
    view = flow.client.get(f"{API}/quotes/{quote['id']}", headers=flow.customer(rr)).json()
    assert view["status"] == "open"
    assert view["payment"]["status"] == "failed"
    assert view["payment"]["failure_reason"] == AUTH_FAILED
    assert flow.labels_for(quote["shipment_id"]) == []


def test_refunded_event_reaches_the_payment_and_the_ledger(
    flow: Flow, make_token: Callable[[str], dict[str, str]]
) -> None:
    rr, quote = _quoted(flow)
    accepted = flow.accept(quote["id"], rr)
    assert accepted.json()["status"] == "accepted"
    flow.drain()
    shipment = flow.shipment(quote["shipment_id"])
    ref = flow.payments.operations("capture")[0]["intent"]
    # Refunded at the processor (e.g. from Stripe's dashboard): the ledger hears it by webhook.
    flow.payments.refund(ref, _money(shipment["cost"]), idempotency_key="dashboard")
    assert deliver(flow, _event(flow, "charge.refunded", ref)).json() == {"status": "accepted"}
    flow.drain()
    view = flow.shipment(quote["shipment_id"])
    assert view["quote"]["payment"]["refunded"] == shipment["cost"]
    finance = flow.client.get(f"{API}/finance/reconciliation", headers=make_token("finance"))
    assert finance.status_code == 200, finance.text
    row = next(r for r in finance.json()["rows"] if r["shipment_id"] == shipment["id"])
    assert row["refunds"] == shipment["cost"]["amount"]
    assert row["holds"] == f"{ref}:captured:{quote['amount']['amount']}"
    # A replayed event changes nothing (the refund is counted once).
    assert deliver(flow, _event(flow, "charge.refunded", ref)).json() == {"status": "duplicate"}


def _money(m: dict[str, str]) -> Any:
    from freight.money import Money

    return Money.of(m["amount"], m["currency"])


def test_poll_covers_a_missed_webhook(flow: Flow) -> None:
    rr, quote = _quoted(flow)
    intent = start(flow, rr, quote["id"])["payment_intent"]
    card_form(flow, intent, "pm_card_threeDSecure2Required", challenge="pass")
    load_handlers()
    poll = REGISTRY.periodic["quotes.poll_payments"].fn
    with flow.factory.begin() as s:  # too soon: the customer may still be on the page
        assert poll(s, job_context(flow.settings, flow.clock.now)) == 0
    flow.clock.now += timedelta(minutes=flow.settings.payment_poll_minutes + 1)
    with flow.factory.begin() as s:
        assert poll(s, job_context(flow.settings, flow.clock.now)) == 1
    flow.drain()
    shipment = flow.shipment(quote["shipment_id"])
    assert shipment["quote"]["status"] == "accepted"
    assert shipment["state"] == "labeled"


def test_signed_but_malformed_bodies_are_400_and_not_stored(flow: Flow) -> None:
    secret = flow.payments.webhook_secret or ""
    deep: dict[str, Any] = {}
    for _ in range(70):
        deep = {"x": deep}
    bodies = [
        b"not json",
        json.dumps(
            {
                "id": "evt_nul",
                "type": "payment_intent.canceled",
                "data": {"object": {"id": "pi_\u0000"}},
            }
        ).encode(),  # fmt: skip
        json.dumps(
            {"id": "evt_deep", "type": "payment_intent.canceled", "data": {"object": deep}}
        ).encode(),  # fmt: skip
        json.dumps({"type": "payment_intent.canceled"}).encode(),
    ]
    for body in bodies:
        resp = flow.client.post(
            "/webhooks/stripe", content=body,
            headers={"Stripe-Signature": sign(body, secret, int(time.time()))},
        )  # fmt: skip
        assert resp.status_code == 400, body[:40]
        assert resp.headers["content-type"].startswith("application/problem+json")
    assert _stored(flow) == 0
