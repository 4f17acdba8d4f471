"""Saved cards and off-session charges (advance replacement): the sandbox provider and the real
Stripe adapter against the local fake Stripe server — save a card with a SetupIntent, charge it
later once per key, and find that charge again before charging twice."""

from __future__ import annotations

from pathlib import Path

import pytest

from freight.money import Money
from freight.payments.port import (
    AuthenticationRequired,
    CardDeclined,
    UnknownPaymentMethod,
)
from freight.payments.sandbox import SandboxPayments
from tests.unit.payments.test_stripe_adapter import FakeStripe, _adapter, fake

__all__ = ["fake"]  # the fake Stripe server fixture


@pytest.fixture
def sandbox(tmp_path: Path) -> SandboxPayments:
    return SandboxPayments(tmp_path / "payments.db")


def test_sandbox_saves_a_visa_and_charges_it_once_per_key(sandbox: SandboxPayments) -> None:
    setup = sandbox.create_setup_intent(
        idempotency_key="advance-setup:RR-A1", metadata={"rr_number": "RR-A1"}, email=None
    )
    assert setup.status == "requires_payment_method"
    again = sandbox.create_setup_intent(
        idempotency_key="advance-setup:RR-A1", metadata={"rr_number": "RR-A1"}, email=None
    )
    assert again.ref == setup.ref
    saved = sandbox.confirm_setup_intent(setup.ref, "pm_card_visa", idempotency_key="k")
    assert (saved.status, saved.payment_method) == ("succeeded", "pm_card_visa")
    assert saved.customer
    assert sandbox.find_charge("advance-charge:RR-A1") is None
    first = sandbox.charge_off_session(
        Money.of("249.00"), customer=saved.customer or "", payment_method="pm_card_visa",
        idempotency_key="advance-charge:RR-A1", metadata={"rr_number": "RR-A1"},
    )  # fmt: skip
    replay = sandbox.charge_off_session(
        Money.of("249.00"), customer=saved.customer or "", payment_method="pm_card_visa",
        idempotency_key="advance-charge:RR-A1", metadata={"rr_number": "RR-A1"},
    )  # fmt: skip
    assert first == replay
    assert first.amount == Money.of("249.00")
    assert sandbox.find_charge("advance-charge:RR-A1") == first
    charges = sandbox.operations("charge")
    assert [(c["amount"], c["key"]) for c in charges] == [(24900, "advance-charge:RR-A1")]
    kinds = [e["type"] for e in sandbox.events()]
    assert "setup_intent.succeeded" in kinds
    assert "payment_intent.succeeded" in kinds


def test_sandbox_declines_a_declining_card_when_saving_it(sandbox: SandboxPayments) -> None:
    setup = sandbox.create_setup_intent(idempotency_key="s1", metadata={}, email=None)
    with pytest.raises(CardDeclined) as declined:
        sandbox.confirm_setup_intent(setup.ref, "pm_card_chargeDeclined", idempotency_key="k")
    assert declined.value.reason == "Your card was declined."
    after = sandbox.retrieve_setup_intent(setup.ref)
    assert (after.status, after.error_code) == ("requires_payment_method", "generic_decline")
    with pytest.raises(UnknownPaymentMethod):
        sandbox.confirm_setup_intent(setup.ref, "pm_nope", idempotency_key="k")
    # Another card then saves.
    assert sandbox.confirm_setup_intent(setup.ref, "pm_card_visa", idempotency_key="k2").status == (
        "succeeded"
    )


def test_sandbox_three_d_secure_setup_is_a_challenge_not_a_decline(
    sandbox: SandboxPayments,
) -> None:
    setup = sandbox.create_setup_intent(idempotency_key="s3", metadata={}, email=None)
    pending = sandbox.confirm_setup_intent(
        setup.ref, "pm_card_threeDSecure2Required", idempotency_key="k"
    )
    assert pending.status == "requires_action"
    done = sandbox.challenge_setup(setup.ref, pending.client_secret or "", passed=True)
    assert done["status"] == "succeeded"
    assert done["payment_method"] == "pm_card_threeDSecure2Required"


def test_sandbox_off_session_charge_declines_and_charges_nothing(
    sandbox: SandboxPayments,
) -> None:
    with pytest.raises(CardDeclined) as declined:
        sandbox.charge_off_session(
            Money.of("249.00"), customer="cus_x", payment_method="pm_card_insufficientFunds",
            idempotency_key="advance-charge:RR-B", metadata={},
        )  # fmt: skip
    assert declined.value.decline_code == "insufficient_funds"
    with pytest.raises(AuthenticationRequired):
        sandbox.charge_off_session(
            Money.of("249.00"), customer="cus_x",
            payment_method="pm_card_authenticationRequired",
            idempotency_key="advance-charge:RR-C", metadata={},
        )  # fmt: skip
    assert sandbox.operations("charge") == []
    assert sandbox.find_charge("advance-charge:RR-B") is None


def test_stripe_adapter_saves_a_card_with_a_setup_intent(fake: tuple[FakeStripe, str]) -> None:
    state, url = fake
    stripe = _adapter(url)
    setup = stripe.create_setup_intent(
        idempotency_key="advance-setup:RR-A1", metadata={"rr_number": "RR-A1"},
        email="grete@example.de",
    )  # fmt: skip
    assert (setup.status, setup.client_secret) == ("requires_payment_method", "seti_1_secret_abc")
    created = [r for r in state.requests if r[0] == "POST /v1/setup_intents"]
    assert created[0][1]["usage"] == "off_session"
    assert created[0][1]["customer"].startswith("cus_")
    assert created[0][2] == "advance-setup:RR-A1"
    saved = stripe.confirm_setup_intent(setup.ref, "pm_card_visa", idempotency_key="confirm:1")
    assert (saved.status, saved.payment_method) == ("succeeded", "pm_card_visa")
    assert stripe.retrieve_setup_intent(setup.ref).status == "succeeded"
    with pytest.raises(CardDeclined) as declined:
        stripe.confirm_setup_intent(
            stripe.create_setup_intent(idempotency_key="s2", metadata={}, email=None).ref,
            "pm_card_chargeDeclined", idempotency_key="confirm:2",
        )  # fmt: skip
    assert declined.value.decline_code == "generic_decline"


def test_stripe_adapter_charges_off_session_once_and_finds_the_charge(
    fake: tuple[FakeStripe, str],
) -> None:
    state, url = fake
    stripe = _adapter(url)
    assert stripe.find_charge("advance-charge:RR-A1") is None
    state.lose_next_answer = True  # Stripe charged, the answer was lost: the SDK retries
    charge = stripe.charge_off_session(
        Money.of("249.00"), customer="cus_1", payment_method="pm_card_visa",
        idempotency_key="advance-charge:RR-A1", metadata={"rr_number": "RR-A1"},
    )  # fmt: skip
    assert (charge.status, charge.amount) == ("succeeded", Money.of("249.00"))
    posts = [r for r in state.requests if r[0] == "POST /v1/payment_intents"]
    assert {r[2] for r in posts} == {"advance-charge:RR-A1"}
    form = posts[0][1]
    assert (form["off_session"], form["confirm"], form["payment_method"]) == (
        "true", "true", "pm_card_visa",
    )  # fmt: skip
    assert "capture_method" not in form  # charged now, not held
    assert len(state.intents) == 1
    assert stripe.find_charge("advance-charge:RR-A1") == charge


def test_stripe_adapter_off_session_decline_and_authentication(
    fake: tuple[FakeStripe, str],
) -> None:
    _, url = fake
    stripe = _adapter(url)
    with pytest.raises(CardDeclined) as declined:
        stripe.charge_off_session(
            Money.of("249.00"), customer="cus_1", payment_method="pm_card_chargeDeclined",
            idempotency_key="advance-charge:RR-D", metadata={},
        )  # fmt: skip
    assert declined.value.reason == "Your card was declined."
    with pytest.raises(AuthenticationRequired) as auth:
        stripe.charge_off_session(
            Money.of("249.00"), customer="cus_1", payment_method="pm_card_authenticationRequired",
            idempotency_key="advance-charge:RR-E", metadata={},
        )  # fmt: skip
    assert auth.value.ref
    assert stripe.find_charge("advance-charge:RR-D") is None
