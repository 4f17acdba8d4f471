"""The sandbox payments provider behaves like Stripe where the service relies on it."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from freight.money import Money
from freight.payments.port import (
    AuthenticationRequired,
    CardDeclined,
    Intent,
    PaymentStateError,
    UnknownPaymentMethod,
)
from freight.payments.sandbox import SandboxPayments
from freight.payments.stripe_adapter import verify_event


@pytest.fixture
def sandbox(tmp_path: Path) -> SandboxPayments:
    return SandboxPayments(tmp_path / "payments.db")


def test_hold_capture_refund_each_once_per_key(sandbox: SandboxPayments, tmp_path: Path) -> None:
    held = sandbox.authorize(Money.of("80.00"), "pm_card_visa", idempotency_key="a:q1", metadata={})
    assert (
        sandbox.authorize(
            Money.of("80.00"), "pm_card_visa", idempotency_key="a:q1", metadata={}
        ).ref
        == held.ref
    )
    first = sandbox.capture(held.ref, Money.of("75.10"), idempotency_key="c:p1")
    replay = sandbox.capture(held.ref, Money.of("75.10"), idempotency_key="c:p1")
    assert first == replay
    assert first.amount == Money.of("75.10")
    with pytest.raises(PaymentStateError):  # a second capture under another key is refused
        sandbox.capture(held.ref, Money.of("1.00"), idempotency_key="c:other")
    sandbox.refund(held.ref, Money.of("75.10"), idempotency_key="r:p1")
    # Another process sees the same record.
    other = SandboxPayments(tmp_path / "payments.db")
    assert [o["op"] for o in other.operations()] == ["authorize", "capture", "refund"]
    assert other.intent(held.ref)["amount_refunded"] == 7510  # type: ignore[index]


def test_test_cards_decline_and_unknown_methods(sandbox: SandboxPayments) -> None:
    with pytest.raises(CardDeclined) as declined:
        sandbox.authorize(Money.of("5"), "pm_card_chargeDeclined", idempotency_key="x", metadata={})
    assert declined.value.reason == "Your card was declined."
    with pytest.raises(CardDeclined) as poor:
        sandbox.authorize(
            Money.of("5"), "pm_card_insufficientFunds", idempotency_key="y", metadata={}
        )
    assert poor.value.decline_code == "insufficient_funds"
    with pytest.raises(UnknownPaymentMethod):
        sandbox.authorize(Money.of("5"), "tok_whatever", idempotency_key="z", metadata={})
    assert sandbox.operations() == []


def test_capture_never_exceeds_hold_and_cancel_releases(sandbox: SandboxPayments) -> None:
    held = sandbox.authorize(Money.of("20"), "pm_card_amex", idempotency_key="h", metadata={})
    with pytest.raises(PaymentStateError):
        sandbox.capture(held.ref, Money.of("20.01"), idempotency_key="c")
    sandbox.cancel(held.ref, idempotency_key="k")
    with pytest.raises(PaymentStateError):
        sandbox.capture(held.ref, Money.of("1"), idempotency_key="c2")


def _new(sandbox: SandboxPayments, key: str = "i") -> Intent:
    return sandbox.create_intent(Money.of("42.10", "EUR"), idempotency_key=key, metadata={},
                                 email=None)  # fmt: skip


@pytest.mark.parametrize("pm", ["pm_card_threeDSecure2Required", "pm_card_authenticationRequired"])
def test_3ds_methods_ask_for_a_challenge_the_customer_passes_or_fails(
    sandbox: SandboxPayments, pm: str
) -> None:
    intent = _new(sandbox)
    secret = intent.client_secret or ""
    assert sandbox.confirm_from_browser(intent.ref, secret, pm)["status"] == "requires_action"
    assert sandbox.operations() == []  # a challenge is no hold yet
    failed = sandbox.challenge(intent.ref, secret, passed=False)
    assert failed["status"] == "requires_payment_method"
    assert failed["last_payment_error"]["code"] == "payment_intent_authentication_failure"
    sandbox.confirm_from_browser(intent.ref, secret, pm)  # tries again
    assert sandbox.challenge(intent.ref, secret, passed=True)["status"] == "requires_capture"
    assert [o["op"] for o in sandbox.operations()] == ["authorize"]
    with pytest.raises(PaymentStateError):
        sandbox.confirm_from_browser(intent.ref, "pi_wrong_secret", "pm_card_visa")


def test_off_session_authentication_required_fails_other_cards_are_held(
    sandbox: SandboxPayments,
) -> None:
    held = sandbox.reauthorize(Money.of("42.10", "EUR"), customer="cus_1",
                               payment_method="pm_card_threeDSecure2Required",
                               idempotency_key="r1", metadata={})  # fmt: skip
    assert held.status == "requires_capture"
    with pytest.raises(AuthenticationRequired) as needed:
        sandbox.reauthorize(Money.of("42.10", "EUR"), customer="cus_1",
                            payment_method="pm_card_authenticationRequired",
                            idempotency_key="r2", metadata={})  # fmt: skip
    assert needed.value.ref is not None
    assert sandbox.retrieve_intent(needed.value.ref).status == "requires_payment_method"


def test_an_uncaptured_hold_lapses_after_seven_days(sandbox: SandboxPayments) -> None:
    now = [1_800_000_000.0]
    sandbox.clock = lambda: now[0]
    intent = _new(sandbox)
    sandbox.confirm_intent(intent.ref, "pm_card_visa", idempotency_key="c")
    now[0] += 6.9 * 86400
    assert sandbox.retrieve_intent(intent.ref).status == "requires_capture"
    now[0] += 0.2 * 86400
    assert sandbox.retrieve_intent(intent.ref).status == "canceled"
    with pytest.raises(PaymentStateError):
        sandbox.capture(intent.ref, Money.of("40", "EUR"), idempotency_key="late")
    assert [e["type"] for e in sandbox.events()][-1] == "payment_intent.canceled"


def test_events_are_signed_like_stripe_and_posted(tmp_path: Path) -> None:
    got: list[tuple[bytes, str]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["content-length"]))
            got.append((body, self.headers["Stripe-Signature"]))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/webhooks/stripe"
        sandbox = SandboxPayments(tmp_path / "p.db", webhook_url=url)
        intent = _new(sandbox)
        sandbox.confirm_intent(intent.ref, "pm_card_visa", idempotency_key="c")
        deadline = time.monotonic() + 30
        while len(got) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        server.shutdown()
        server.server_close()
    kinds = []
    for body, header in got:
        verify_event(body, header, sandbox.webhook_secret or "")  # Stripe's own check
        kinds.append(json.loads(body)["type"])
    assert kinds == ["payment_intent.created", "payment_intent.amount_capturable_updated"]
