"""Holds that do not lapse (SPEC §6, issue 14): a card hold lasts 7 days; a quote whose label is
not bought after 6 is held again off-session (or the customer is asked again), and the label
bought on day 8 is still paid — captured once."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from email import message_from_bytes
from typing import Any

import pytest
from sqlalchemy import select

from freight.jobs.registry import REGISTRY, load_handlers
from freight.jobs.service import job_context
from freight.payments.port import PaymentsPort
from freight.quotes import holds
from freight.quotes.models import Payment, PaymentHold
from tests.integration.quotes.test_checkout import card_form, start
from tests.integration.shipments.flow import API, Flow


class WorkerKilled(Exception):
    """Stands in for SIGKILL: the job's transaction never commits."""


@pytest.fixture(autouse=True)
def _sandbox_on_the_test_clock(flow: Flow) -> None:
    flow.payments.clock = lambda: flow.clock.now.timestamp()


def _accepted(flow: Flow, pm: str = "pm_card_visa") -> tuple[str, dict[str, Any]]:
    rr = flow.international_rr()
    quote = flow.outbound(rr)["quote"]
    intent = start(flow, rr, quote["id"])["payment_intent"]
    card_form(flow, intent, pm, challenge="pass" if "uthentication" in pm else None)
    done = flow.client.post(f"{API}/quotes/{quote['id']}/confirm", headers=flow.customer(rr))
    assert done.json()["status"] == "accepted", done.text
    return rr, quote


def _renew(flow: Flow) -> int:
    load_handlers()
    with flow.factory.begin() as s:
        count: int = REGISTRY.periodic["quotes.renew_holds"].fn(
            s, job_context(flow.settings, flow.clock.now)
        )
    return count


def _holds(flow: Flow) -> list[tuple[str, str]]:
    with flow.factory() as s:
        rows = s.scalars(select(PaymentHold).order_by(PaymentHold.created_at)).all()
        return [(h.purpose, h.status) for h in rows]


def _emails(flow: Flow, kind: str) -> list[str]:
    folder = flow.settings.data_dir / "outbox"
    found = [message_from_bytes(p.read_bytes()) for p in sorted(folder.glob("*.eml"))]
    return [str(m["Subject"]) for m in found if m["X-Notification"] == kind]


def test_hold_placed_again_on_day_6_and_the_label_bought_on_day_8_is_captured_once(
    flow: Flow, make_token: Callable[[str], dict[str, str]]
) -> None:
    rr, quote = _accepted(flow)
    flow.clock.now += timedelta(days=5)
    assert _renew(flow) == 0  # still young
    flow.clock.now += timedelta(days=1, hours=1)
    assert _renew(flow) == 1
    assert _renew(flow) == 0  # the new hold is young
    assert _holds(flow) == [("accept", "released"), ("renewal", "authorized")]
    ops = flow.payments.operations()
    assert [o["op"] for o in ops] == ["authorize", "authorize", "cancel"]
    first, second = ops[0]["intent"], ops[1]["intent"]
    assert ops[2]["intent"] == first

    flow.clock.now += timedelta(days=2)  # day 8: the first hold would have lapsed by now
    flow.drain()
    shipment = flow.shipment(quote["shipment_id"])
    assert shipment["state"] == "labeled"
    assert shipment["quote"]["payment"]["status"] == "captured"
    assert shipment["quote"]["payment"]["captured"] == shipment["cost"]
    captures = flow.payments.operations("capture")
    assert [c["intent"] for c in captures] == [second]
    ledger = flow.client.get(f"{API}/finance/reconciliation", headers=make_token("finance"))
    row = next(r for r in ledger.json()["rows"] if r["shipment_id"] == shipment["id"])
    amount = quote["amount"]["amount"]
    assert row["holds"] == f"{first}:released:{amount} {second}:captured:{amount}"
    assert row["captured"] == shipment["cost"]["amount"]
    (receipt,) = _emails(flow, "card_captured")  # one receipt, naming the amount charged
    assert shipment["cost"]["amount"] in receipt


def test_without_renewal_a_hold_lapses_and_is_not_captured(flow: Flow) -> None:
    """The sandbox models the 7-day lapse (what the renewal protects against)."""
    _, quote = _accepted(flow)
    flow.clock.now += timedelta(days=8)
    flow.drain()  # no renewal ran
    payment = flow.shipment(quote["shipment_id"])["quote"]["payment"]
    assert payment["status"] == "failed"
    assert "canceled" in payment["failure_reason"]
    assert flow.payments.operations("capture") == []


def test_bank_wants_the_customer_again_they_are_emailed_and_confirm(flow: Flow) -> None:
    rr, quote = _accepted(flow, "pm_card_authenticationRequired")
    flow.clock.now += timedelta(days=6, hours=1)
    assert _renew(flow) == 1
    assert _renew(flow) == 0  # waiting for the customer: not asked twice
    assert _holds(flow) == [("accept", "authorized"), ("renewal", "pending")]
    flow.drain()  # the email goes out (the label purchase runs too: it is still covered)
    assert _emails(flow, "card_reconfirm") == [f"Please confirm your card again for {rr}"]


def test_customer_confirms_the_renewal_and_the_old_hold_is_released(flow: Flow) -> None:
    rr, quote = _accepted(flow, "pm_card_authenticationRequired")
    flow.clock.now += timedelta(days=6, hours=1)
    _renew(flow)
    track = flow.client.get(f"{API}/track/{rr}", headers=flow.customer(rr)).json()
    (receipt,) = track["payments"]
    assert receipt["action_needed"] is True
    assert receipt["authorized"] == quote["amount"]  # the first hold still covers the label
    waiting = flow.client.get(
        f"{API}/quotes/{quote['id']}/payment-intent", headers=flow.customer(rr)
    )
    assert waiting.status_code == 200, waiting.text
    intent = waiting.json()["payment_intent"]
    assert intent["status"] == "requires_payment_method"  # off-session needed the customer
    card_form(flow, intent, "pm_card_authenticationRequired", challenge="pass")
    resp = flow.client.post(f"{API}/quotes/{quote['id']}/confirm", headers=flow.customer(rr))
    assert resp.status_code == 200, resp.text
    assert resp.json()["payment"]["status"] == "authorized"
    assert _holds(flow) == [("accept", "released"), ("renewal", "authorized")]
    with flow.factory() as s:
        payment = s.scalars(select(Payment)).one()
        assert payment.provider_ref == intent["id"]


def test_crash_after_the_reauthorization_places_one_new_hold(
    flow: Flow, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, quote = _accepted(flow)
    flow.clock.now += timedelta(days=6, hours=1)
    original = holds._swap
    fired: list[bool] = []

    def crashing(session: Any, payments: PaymentsPort, *args: Any, **kwargs: Any) -> None:
        if not fired:
            fired.append(True)
            raise WorkerKilled("after reauthorize, before commit")
        original(session, payments, *args, **kwargs)

    monkeypatch.setattr(holds, "_swap", crashing)
    with pytest.raises(WorkerKilled):
        _renew(flow)
    assert _renew(flow) == 1
    assert [o["op"] for o in flow.payments.operations()] == ["authorize", "authorize", "cancel"]
    flow.clock.now += timedelta(days=2)
    flow.drain()
    assert len(flow.payments.operations("capture")) == 1
    assert flow.shipment(quote["shipment_id"])["quote"]["payment"]["status"] == "captured"


def test_a_lapsed_hold_buys_no_label_until_the_customer_confirms_the_new_one(
    flow: Flow,
) -> None:
    from tests.integration.quotes.test_stripe_webhooks import _event, deliver

    rr, quote = _accepted(flow, "pm_card_authenticationRequired")
    first = flow.payments.operations("authorize")[0]["intent"]
    flow.clock.now += timedelta(days=6, hours=1)
    assert _renew(flow) == 1  # the bank wants the customer: asked by email
    flow.clock.now += timedelta(days=1)  # they did not come; the first hold lapses
    assert flow.payments.retrieve_intent(first).status == "canceled"
    assert deliver(flow, _event(flow, "payment_intent.canceled", first)).status_code == 200
    flow.drain()
    assert flow.labels_for(quote["shipment_id"]) == []  # nothing bought unpaid
    track = flow.client.get(f"{API}/track/{rr}", headers=flow.customer(rr)).json()
    assert track["payments"][0]["action_needed"] is True
    intent = flow.client.get(
        f"{API}/quotes/{quote['id']}/payment-intent", headers=flow.customer(rr)
    ).json()["payment_intent"]
    card_form(flow, intent, "pm_card_authenticationRequired", challenge="pass")
    resp = flow.client.post(f"{API}/quotes/{quote['id']}/confirm", headers=flow.customer(rr))
    assert resp.json()["payment"]["status"] == "authorized"
    flow.drain()
    shipment = flow.shipment(quote["shipment_id"])
    assert shipment["state"] == "labeled"
    assert [c["intent"] for c in flow.payments.operations("capture")] == [intent["id"]]
    assert _holds(flow) == [("accept", "lapsed"), ("renewal", "captured")]
