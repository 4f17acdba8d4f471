"""The Stripe adapter against a local server speaking Stripe's wire format (form-encoded
requests, JSON answers with Stripe's field names, card errors as HTTP 402)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

import pytest

from freight.money import Money
from freight.payments.port import CardDeclined, PaymentUnavailable, UnknownPaymentMethod
from freight.payments.stripe_adapter import StripePayments


class FakeStripe:
    def __init__(self) -> None:
        self.intents: dict[str, dict[str, Any]] = {}
        self.replies: dict[str, tuple[int, dict[str, Any]]] = {}
        self.requests: list[tuple[str, dict[str, str], str | None]] = []
        self.fail_next: list[int] = []

    def handle(
        self, path: str, form: dict[str, str], key: str | None
    ) -> tuple[int, dict[str, Any]]:
        self.requests.append((path, form, key))
        if self.fail_next:
            return self.fail_next.pop(0), {"error": {"type": "api_error", "message": "boom"}}
        if key and key in self.replies:
            return self.replies[key]
        reply = self._route(path, form)
        if key and reply[0] < 500:
            self.replies[key] = reply
        return reply

    def _route(self, path: str, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        parts = path.strip("/").split("/")
        if parts == ["v1", "payment_intents"]:
            return self._create(form)
        if parts[:2] == ["v1", "payment_intents"] and len(parts) == 4:
            intent = self.intents[parts[2]]
            if parts[3] == "capture":
                intent.update(status="succeeded", amount_received=int(form["amount_to_capture"]))
            else:
                intent.update(status="canceled")
            return 200, intent
        if parts == ["v1", "refunds"]:
            return 200, {
                "id": "re_1",
                "object": "refund",
                "amount": int(form["amount"]),
                "payment_intent": form["payment_intent"],
                "status": "succeeded",
            }
        return 404, {"error": {"type": "invalid_request_error", "message": "no route"}}

    def _create(self, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        assert form["capture_method"] == "manual"
        assert form["confirm"] == "true"
        pm = form["payment_method"]
        if pm == "pm_card_chargeDeclined":
            return 402, {
                "error": {
                    "type": "card_error",
                    "code": "card_declined",
                    "decline_code": "generic_decline",
                    "message": "Your card was declined.",
                }
            }
        if pm != "pm_card_visa":
            return 400, {
                "error": {
                    "type": "invalid_request_error",
                    "code": "resource_missing",
                    "param": "payment_method",
                    "message": f"No such PaymentMethod: '{pm}'",
                }
            }
        intent = {
            "id": f"pi_{len(self.intents) + 1}",
            "object": "payment_intent",
            "amount": int(form["amount"]),
            "currency": form["currency"],
            "status": "requires_capture",
            "capture_method": "manual",
            "amount_received": 0,
        }
        self.intents[intent["id"]] = intent
        return 200, intent


@pytest.fixture
def fake() -> Iterator[tuple[FakeStripe, str]]:
    state = FakeStripe()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's naming
            length = int(self.headers.get("content-length") or 0)
            body = self.rfile.read(length).decode()
            form = {k: v[0] for k, v in parse_qs(body).items()}
            status, data = state.handle(self.path, form, self.headers.get("Idempotency-Key"))
            payload = json.dumps(data).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def _adapter(url: str) -> StripePayments:
    return StripePayments("sk_test_fake", base_url=url, timeout=5, max_network_retries=2)


def test_authorize_capture_refund_with_idempotency_keys(fake: tuple[FakeStripe, str]) -> None:
    state, url = fake
    stripe = _adapter(url)
    held = stripe.authorize(
        Money.of("53.80"),
        "pm_card_visa",
        idempotency_key="authorize:q1:visa",
        metadata={"quote_id": "q1"},
    )
    assert held.ref == "pi_1"
    assert held.amount == Money.of("53.80")
    path, form, key = state.requests[0]
    assert form["amount"] == "5380"
    assert form["currency"] == "usd"
    assert key == "authorize:q1:visa"
    assert form["metadata[quote_id]"] == "q1"
    again = stripe.authorize(
        Money.of("53.80"),
        "pm_card_visa",
        idempotency_key="authorize:q1:visa",
        metadata={"quote_id": "q1"},
    )
    assert again.ref == held.ref
    assert len(state.intents) == 1
    captured = stripe.capture(held.ref, Money.of("50.00"), idempotency_key="capture:p1")
    assert captured.amount == Money.of("50.00")
    assert state.requests[-1][2] == "capture:p1"
    refunded = stripe.refund(held.ref, Money.of("50.00"), idempotency_key="refund:p1")
    assert refunded.amount == Money.of("50.00")


def test_server_error_is_retried_with_the_same_key_and_captures_once(
    fake: tuple[FakeStripe, str],
) -> None:
    state, url = fake
    stripe = _adapter(url)
    held = stripe.authorize(Money.of("10"), "pm_card_visa", idempotency_key="a", metadata={})
    state.fail_next = [500]
    stripe.capture(held.ref, Money.of("10"), idempotency_key="capture:p9")
    captures = [r for r in state.requests if r[0].endswith("/capture")]
    assert len(captures) == 2
    assert {r[2] for r in captures} == {"capture:p9"}
    assert state.intents[held.ref]["amount_received"] == 1000


def test_decline_unknown_method_and_outage_are_typed(fake: tuple[FakeStripe, str]) -> None:
    state, url = fake
    stripe = _adapter(url)
    with pytest.raises(CardDeclined) as declined:
        stripe.authorize(Money.of("10"), "pm_card_chargeDeclined", idempotency_key="d", metadata={})
    assert declined.value.reason == "Your card was declined."
    assert declined.value.decline_code == "generic_decline"
    with pytest.raises(UnknownPaymentMethod):
        stripe.authorize(Money.of("10"), "pm_nope", idempotency_key="u", metadata={})
    state.fail_next = [503, 503, 503]
    with pytest.raises(PaymentUnavailable):
        stripe.authorize(Money.of("10"), "pm_card_visa", idempotency_key="o", metadata={})
