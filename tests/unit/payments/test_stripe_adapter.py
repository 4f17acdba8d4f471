"""The real Stripe adapter (the official SDK, api_base pointed at 127.0.0.1) against a local
server speaking Stripe's wire format: form-encoded requests, JSON answers with Stripe's field
names, card errors as HTTP 402 with the intent, one path per PaymentIntent status."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

import pytest

from freight.money import Money
from freight.payments.port import (
    AuthenticationRequired,
    CardDeclined,
    Intent,
    PaymentStateError,
    PaymentUnavailable,
    UnknownPaymentMethod,
)
from freight.payments.sandbox import sign
from freight.payments.stripe_adapter import SignatureError, StripePayments, verify_event

CARD_ERRORS = {
    "pm_card_chargeDeclined": ("card_declined", "generic_decline", "Your card was declined."),
    "pm_card_insufficientFunds": (
        "card_declined", "insufficient_funds", "Your card has insufficient funds.",
    ),
    "pm_card_authenticationRequired": (
        "authentication_required", "authentication_required",
        "Your card was declined. This transaction requires authentication.",
    ),
}  # fmt: skip


class FakeStripe:
    """Stripe's API as the adapter uses it: customers, PaymentIntents (create, confirm, retrieve,
    capture, cancel), refunds; idempotency keys replay the first answer; card errors are 402 with
    the intent embedded, as Stripe sends them."""

    def __init__(self) -> None:
        self.intents: dict[str, dict[str, Any]] = {}
        self.setups: dict[str, dict[str, Any]] = {}
        self.replies: dict[str, tuple[int, dict[str, Any]]] = {}
        self.requests: list[tuple[str, dict[str, str], str | None]] = []
        self.fail_next: list[int] = []
        self.lose_next_answer = False  # process the request, then answer 500 (a lost answer)

    def handle(
        self, method: str, path: str, form: dict[str, str], key: str | None
    ) -> tuple[int, dict[str, Any]]:
        self.requests.append((f"{method} {path}", form, key))
        if self.fail_next:
            return self.fail_next.pop(0), {"error": {"type": "api_error", "message": "boom"}}
        if key and key in self.replies:
            return self.replies[key]
        reply = self._route(method, path, form)
        if key and reply[0] < 500:
            self.replies[key] = reply
        if self.lose_next_answer:
            self.lose_next_answer = False
            return 500, {"error": {"type": "api_error", "message": "connection reset"}}
        return reply

    def _route(self, method: str, path: str, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        parts = path.split("?")[0].strip("/").split("/")
        if parts[:2] == ["v1", "setup_intents"]:
            return self._setup(method, parts[2:], form)
        if parts == ["v1", "payment_intents", "search"] and method == "GET":
            return 200, self._search(parse_qs(path.partition("?")[2]).get("query", [""])[0])
        if parts == ["v1", "customers"]:
            return 200, {"id": f"cus_{len(self.requests)}", "object": "customer"}
        if parts == ["v1", "payment_intents"]:
            return self._create(form)
        if parts[:2] == ["v1", "payment_intents"] and len(parts) == 3 and method == "GET":
            if parts[2] not in self.intents:
                return 404, _invalid("resource_missing", f"No such payment_intent: '{parts[2]}'")
            return 200, self.intents[parts[2]]
        if parts[:2] == ["v1", "payment_intents"] and len(parts) == 4:
            intent = self.intents[parts[2]]
            if parts[3] == "confirm":
                return self._confirm(intent, form["payment_method"])
            if intent["status"] != "requires_capture":
                message = (
                    f"This PaymentIntent could not be {parts[3]}d because it has a status of "
                    f"{intent['status']}."
                )
                return 400, _invalid("payment_intent_unexpected_state", message)
            if parts[3] == "capture":
                received = int(form["amount_to_capture"])
                intent.update(status="succeeded", amount_received=received, amount_capturable=0)
            else:
                intent.update(status="canceled", amount_capturable=0)
            return 200, intent
        if parts == ["v1", "refunds"]:
            return 200, {
                "id": "re_1", "object": "refund", "amount": int(form["amount"]),
                "payment_intent": form["payment_intent"], "status": "succeeded",
            }  # fmt: skip
        return 404, _invalid("resource_missing", "no route")

    def _setup(
        self, method: str, rest: list[str], form: dict[str, str]
    ) -> tuple[int, dict[str, Any]]:
        """SetupIntents: create (usage=off_session), retrieve, confirm with a test card."""
        if not rest:
            n = len(self.setups) + 1
            created: dict[str, Any] = {
                "id": f"seti_{n}", "object": "setup_intent", "status": "requires_payment_method",
                "client_secret": f"seti_{n}_secret_abc", "customer": form.get("customer"),
                "usage": form.get("usage"), "payment_method": None, "last_setup_error": None,
                "next_action": None,
                "metadata": {k[9:-1]: v for k, v in form.items() if k.startswith("metadata[")},
            }  # fmt: skip
            self.setups[created["id"]] = created
            return 200, created
        setup = self.setups.get(rest[0])
        if setup is None:
            return 404, _invalid("resource_missing", f"No such setupintent: '{rest[0]}'")
        if method == "GET":
            return 200, setup
        pm = form["payment_method"]
        if pm in ("pm_card_chargeDeclined", "pm_card_insufficientFunds"):
            code, decline, message = CARD_ERRORS[pm]
            error = {"type": "card_error", "code": code, "decline_code": decline,
                     "message": message}  # fmt: skip
            setup.update(status="requires_payment_method", last_setup_error=error)
            return 402, {"error": {**error, "setup_intent": setup}}
        if pm in ("pm_card_threeDSecure2Required", "pm_card_authenticationRequired"):
            setup.update(status="requires_action", next_action={"type": "use_stripe_sdk"})
            return 200, setup
        setup.update(status="succeeded", payment_method=pm)
        return 200, setup

    def _search(self, query: str) -> dict[str, Any]:
        """Search by `metadata['charge_key']:'…'` (the only query the adapter makes)."""
        wanted = query.partition(":")[2].strip("'")
        hits = [i for i in self.intents.values() if i["metadata"].get("charge_key") == wanted]
        return {"object": "search_result", "data": hits, "has_more": False}

    def _create(self, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        assert form.get("capture_method") == "manual" or form.get("off_session") == "true"
        n = len(self.intents) + 1
        intent: dict[str, Any] = {
            "id": f"pi_{n}", "object": "payment_intent", "amount": int(form["amount"]),
            "amount_capturable": 0, "amount_received": 0, "currency": form["currency"],
            "status": "requires_payment_method",
            "client_secret": f"pi_{n}_secret_abc", "customer": form.get("customer"),
            "payment_method": None, "last_payment_error": None, "next_action": None,
            "setup_future_usage": form.get("setup_future_usage"),
            "capture_method": form.get("capture_method", "automatic"),
            "metadata": {k[9:-1]: v for k, v in form.items() if k.startswith("metadata[")},
        }  # fmt: skip
        self.intents[intent["id"]] = intent
        if form.get("confirm") == "true":
            assert form["off_session"] == "true"
            return self._confirm(intent, form["payment_method"], off_session=True)
        return 200, intent

    def _confirm(
        self, intent: dict[str, Any], pm: str, *, off_session: bool = False
    ) -> tuple[int, dict[str, Any]]:
        intent["payment_method"] = pm
        if pm in ("pm_card_chargeDeclined", "pm_card_insufficientFunds") or (
            off_session and pm == "pm_card_authenticationRequired"
        ):
            code, decline, message = CARD_ERRORS[pm]
            error = {
                "type": "card_error",
                "code": code,
                "decline_code": decline,
                "message": message,
            }
            intent.update(status="requires_payment_method", last_payment_error=error)
            return 402, {"error": {**error, "payment_intent": intent}}
        if pm in ("pm_card_threeDSecure2Required", "pm_card_authenticationRequired"):
            intent.update(status="requires_action", next_action={"type": "use_stripe_sdk"})
            return 200, intent
        if pm != "pm_card_visa":
            return 400, {
                "error": {**_invalid("resource_missing", f"No such PaymentMethod: '{pm}'")["error"],
                          "param": "payment_method"}
            }  # fmt: skip
        if intent["capture_method"] == "automatic":  # an off-session charge
            intent.update(status="succeeded", amount_received=intent["amount"])
            return 200, intent
        intent.update(status="requires_capture", amount_capturable=intent["amount"])
        return 200, intent


def _invalid(code: str, message: str) -> dict[str, Any]:
    return {"error": {"type": "invalid_request_error", "code": code, "message": message}}


@pytest.fixture
def fake() -> Iterator[tuple[FakeStripe, str]]:
    state = FakeStripe()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self._answer(*state.handle("GET", self.path, {}, None))

        def do_POST(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            body = self.rfile.read(length).decode()
            form = {k: v[0] for k, v in parse_qs(body).items()}
            key = self.headers.get("Idempotency-Key")
            self._answer(*state.handle("POST", self.path, form, key))

        def _answer(self, status: int, data: dict[str, Any]) -> None:
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


def _intent(stripe: StripePayments, amount: str = "53.80", key: str = "intent:q1") -> Intent:
    return stripe.create_intent(
        Money.of(amount, "EUR"), idempotency_key=key, metadata={"quote_id": "q1"},
        email="grete@example.de",
    )  # fmt: skip


def test_intent_is_created_unconfirmed_for_a_customer_once_per_key(
    fake: tuple[FakeStripe, str],
) -> None:
    state, url = fake
    stripe = _adapter(url)
    intent = _intent(stripe)
    assert intent.status == "requires_payment_method"
    assert intent.client_secret == "pi_1_secret_abc"
    assert intent.amount == Money.of("53.80", "EUR")
    (customer, customer_form, customer_key), (create, form, key) = state.requests
    assert customer == "POST /v1/customers"
    assert customer_form["email"] == "grete@example.de"
    assert customer_key == "intent:q1:customer"
    assert create == "POST /v1/payment_intents"
    assert form["amount"] == "5380"
    assert form["currency"] == "eur"
    assert form["capture_method"] == "manual"
    assert form["setup_future_usage"] == "off_session"
    assert "confirm" not in form  # the browser confirms
    assert form["metadata[quote_id]"] == "q1"
    assert key == "intent:q1"
    assert _intent(stripe).ref == intent.ref  # replayed by the key
    assert len(state.intents) == 1


def test_each_status_path_of_a_confirmation(fake: tuple[FakeStripe, str]) -> None:
    _, url = fake
    stripe = _adapter(url)
    held = stripe.confirm_intent(_intent(stripe, key="a").ref, "pm_card_visa", idempotency_key="c1")
    assert held.status == "requires_capture"
    assert held.capturable == Money.of("53.80", "EUR")
    assert held.payment_method == "pm_card_visa"
    challenged = stripe.confirm_intent(
        _intent(stripe, key="b").ref, "pm_card_threeDSecure2Required", idempotency_key="c2"
    )
    assert challenged.status == "requires_action"  # a 3-D Secure challenge is not a decline
    assert stripe.retrieve_intent(challenged.ref).status == "requires_action"
    declined_ref = _intent(stripe, key="d").ref
    with pytest.raises(CardDeclined) as declined:
        stripe.confirm_intent(declined_ref, "pm_card_insufficientFunds", idempotency_key="c3")
    assert declined.value.decline_code == "insufficient_funds"
    after = stripe.retrieve_intent(declined_ref)
    assert after.status == "requires_payment_method"
    assert after.reason == "Your card has insufficient funds."
    with pytest.raises(UnknownPaymentMethod):
        stripe.confirm_intent(_intent(stripe, key="u").ref, "pm_nope", idempotency_key="c4")
    cancelled = stripe.cancel(held.ref, idempotency_key="k1")
    assert cancelled.status == "cancelled"
    assert stripe.retrieve_intent(held.ref).status == "canceled"
    with pytest.raises(PaymentStateError):
        stripe.capture(held.ref, Money.of("1", "EUR"), idempotency_key="late")


def test_off_session_reauthorization_held_or_customer_needed(fake: tuple[FakeStripe, str]) -> None:
    state, url = fake
    stripe = _adapter(url)
    again = stripe.reauthorize(
        Money.of("53.80", "EUR"), customer="cus_1", payment_method="pm_card_visa",
        idempotency_key="renew:p1:1", metadata={"quote_id": "q1"},
    )  # fmt: skip
    assert again.status == "requires_capture"
    _, form, key = state.requests[-1]
    assert (form["off_session"], form["confirm"], form["customer"]) == ("true", "true", "cus_1")
    assert key == "renew:p1:1"
    with pytest.raises(AuthenticationRequired) as needed:
        stripe.reauthorize(
            Money.of("53.80", "EUR"), customer="cus_1",
            payment_method="pm_card_authenticationRequired", idempotency_key="renew:p2:1",
            metadata={},
        )  # fmt: skip
    assert needed.value.ref is not None
    waiting = stripe.retrieve_intent(needed.value.ref)
    assert waiting.status == "requires_payment_method"  # the customer confirms this one
    assert waiting.error_code == "authentication_required"


def test_capture_after_a_lost_answer_is_retried_with_the_same_key_and_captures_once(
    fake: tuple[FakeStripe, str],
) -> None:
    """A crash or lost answer between authorization and capture never captures twice."""
    state, url = fake
    stripe = _adapter(url)
    held = stripe.confirm_intent(_intent(stripe).ref, "pm_card_visa", idempotency_key="c")
    state.lose_next_answer = True  # Stripe captured, the answer never arrived
    captured = stripe.capture(held.ref, Money.of("50.00", "EUR"), idempotency_key="capture:p1")
    assert captured.amount == Money.of("50.00", "EUR")
    captures = [r for r in state.requests if r[0].endswith("/capture")]
    assert len(captures) == 2  # the SDK retried ...
    assert {r[2] for r in captures} == {"capture:p1"}  # ... with the same key: replayed
    # The job that died after capturing runs again: same key, the first answer, no new capture.
    assert (
        stripe.capture(held.ref, Money.of("50.00", "EUR"), idempotency_key="capture:p1") == captured
    )
    assert state.intents[held.ref]["amount_received"] == 5000
    refunded = stripe.refund(held.ref, Money.of("50.00", "EUR"), idempotency_key="refund:p1")
    assert refunded.amount == Money.of("50.00", "EUR")


def test_outage_is_typed_after_bounded_retries(fake: tuple[FakeStripe, str]) -> None:
    state, url = fake
    stripe = _adapter(url)
    state.fail_next = [503, 503, 503]
    with pytest.raises(PaymentUnavailable):
        _intent(stripe)
    assert len(state.requests) == 3  # one try and the SDK's two retries


def test_webhook_signature_is_checked_with_the_sdk() -> None:
    body = b'{"id": "evt_1", "type": "payment_intent.canceled", "data": {"object": {}}}'
    secret = "whsec_test_0123456789abcdef0123456789"
    assert verify_event(body, sign(body, secret, int(time.time())), secret) == "evt_1"
    for header in (sign(body, "whsec_other", int(time.time())), None,
                   sign(body, secret, int(time.time()) - 3600)):  # fmt: skip
        with pytest.raises(SignatureError):
            verify_event(body, header, secret)
