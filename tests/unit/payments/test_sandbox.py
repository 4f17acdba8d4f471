"""The sandbox payments provider behaves like Stripe where the service relies on it."""

from __future__ import annotations

from pathlib import Path

import pytest

from freight.money import Money
from freight.payments.port import CardDeclined, PaymentStateError, UnknownPaymentMethod
from freight.payments.sandbox import SandboxPayments


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
