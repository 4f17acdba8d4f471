"""The payments port: card holds with manual capture (SPEC §6); typed results, no SDK types."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from freight.money import Money, minor_units


@dataclass(frozen=True, slots=True)
class Authorization:
    """A card hold: `ref` is the provider's id (a PaymentIntent id for Stripe)."""

    ref: str
    status: str  # authorized
    amount: Money
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class Intent:
    """A PaymentIntent as the service needs it (Stripe's statuses, never card details).

    `status` is Stripe's: requires_payment_method | requires_confirmation | requires_action |
    processing | requires_capture | canceled | succeeded. A hold exists only in
    `requires_capture`; `requires_action` is a 3-D Secure challenge, not a decline.
    """

    ref: str
    status: str
    amount: Money
    client_secret: str | None = None
    capturable: Money | None = None
    customer: str | None = None
    payment_method: str | None = None
    error_code: str | None = None  # last_payment_error: decline_code or code
    reason: str | None = None  # last_payment_error.message
    metadata: dict[str, str] | None = None


@dataclass(frozen=True, slots=True)
class Settlement:
    """The outcome of a capture, cancel or refund."""

    ref: str
    status: str  # captured | cancelled | refunded
    amount: Money
    refund_id: str | None = None  # a refund's own id at the processor (re_…)


@dataclass(frozen=True, slots=True)
class SetupIntent:
    """A card saved for a later off-session charge (a Stripe SetupIntent, usage=off_session).

    `status` is Stripe's: requires_payment_method | requires_confirmation | requires_action |
    processing | canceled | succeeded. The card is saved only in `succeeded`; then
    `payment_method` is the card to charge and `customer` the one it is attached to.
    """

    ref: str
    status: str
    client_secret: str | None = None
    customer: str | None = None
    payment_method: str | None = None
    error_code: str | None = None  # last_setup_error: decline_code or code
    reason: str | None = None  # last_setup_error.message
    metadata: dict[str, str] | None = None


@dataclass(frozen=True, slots=True)
class Charge:
    """An off-session charge that went through (a PaymentIntent in `succeeded`)."""

    ref: str
    status: str  # succeeded
    amount: Money


class PaymentError(Exception):
    """Base of every payments error; `reason` is the processor's sentence."""

    def __init__(self, reason: str, *, code: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.code = code


class CardDeclined(PaymentError):
    """The processor declined the card (HTTP 402 to the customer, with its reason)."""

    def __init__(
        self, reason: str, *, code: str | None = "card_declined", decline_code: str | None = None
    ) -> None:
        super().__init__(reason, code=code)
        self.decline_code = decline_code


class AuthenticationRequired(CardDeclined):
    """Off-session: the bank wants the customer again (3-D Secure); `ref` is the intent that the
    customer can confirm on-session with its client secret."""

    def __init__(self, reason: str, *, ref: str | None) -> None:
        super().__init__(
            reason, code="authentication_required", decline_code="authentication_required"
        )
        self.ref = ref


class UnknownPaymentMethod(PaymentError):
    """The payment-method token is not one the processor knows (422 on payment_method)."""


class PaymentUnavailable(PaymentError):
    """The processor could not be reached or failed; safe to retry with the same key."""


class PaymentStateError(PaymentError):
    """The hold cannot do that any more (already cancelled, captured, expired)."""


class PaymentsPort(Protocol):
    """Manual-capture PaymentIntents confirmed by the customer's browser (or, for scripts, with a
    payment-method token here); capture, cancel, refund. Every write has an idempotency key."""

    name: str
    # The secret Stripe-Signature headers are checked with (the sandbox has its own; Stripe's
    # comes from settings), and the publishable key the browser uses (None in the sandbox).
    webhook_secret: str | None

    def create_intent(
        self, amount: Money, *, idempotency_key: str, metadata: dict[str, str], email: str | None
    ) -> Intent:
        """A manual-capture intent for `amount`, saved for off-session use, not yet confirmed."""
        ...

    def confirm_intent(self, ref: str, payment_method: str, *, idempotency_key: str) -> Intent:
        """Confirm with a payment-method token; raises CardDeclined or UnknownPaymentMethod."""
        ...

    def retrieve_intent(self, ref: str) -> Intent:
        """The intent as the processor has it now."""
        ...

    def reauthorize(
        self,
        amount: Money,
        *,
        customer: str,
        payment_method: str,
        idempotency_key: str,
        metadata: dict[str, str],
    ) -> Intent:
        """A new hold off-session; AuthenticationRequired when the bank wants the customer."""
        ...

    def capture(self, ref: str, amount: Money, *, idempotency_key: str) -> Settlement:
        """Capture up to the authorized amount (once per key)."""
        ...

    def cancel(self, ref: str, *, idempotency_key: str) -> Settlement:
        """Release an uncaptured hold."""
        ...

    def refund(self, ref: str, amount: Money, *, idempotency_key: str) -> Settlement:
        """Refund a captured amount (once per key); `ref` is a PaymentIntent (pi_…) or, for
        web-store orders, a charge (ch_…/py_…) or any payment the processor knows."""
        ...

    # Save a card now, charge it later without the customer (advance replacement, P-REPLACE):
    # a manual-capture hold lapses after 7 days, so it cannot stand for 30.

    def create_setup_intent(
        self, *, idempotency_key: str, metadata: dict[str, str], email: str | None
    ) -> SetupIntent:
        """An unconfirmed SetupIntent (usage=off_session) for a new Customer."""
        ...

    def confirm_setup_intent(
        self, ref: str, payment_method: str, *, idempotency_key: str
    ) -> SetupIntent:
        """Confirm with a payment-method token; CardDeclined or UnknownPaymentMethod; a 3-D
        Secure challenge comes back as `requires_action` (not a decline)."""
        ...

    def retrieve_setup_intent(self, ref: str) -> SetupIntent:
        """The SetupIntent as the processor has it now."""
        ...

    def charge_off_session(
        self,
        amount: Money,
        *,
        customer: str,
        payment_method: str,
        idempotency_key: str,
        metadata: dict[str, str],
    ) -> Charge:
        """Charge the saved card now (PaymentIntent off_session=true, confirm=true, automatic
        capture); CardDeclined (or AuthenticationRequired) when the bank refuses."""
        ...

    def find_charge(self, idempotency_key: str) -> Charge | None:
        """The succeeded charge made with that key, if any (looked up before charging again)."""
        ...


def to_minor(amount: Money) -> int:
    """Money → integer minor units (cents), as processors want it."""
    return int(amount.quantize().amount.scaleb(minor_units(amount.currency)))


def from_minor(value: int, currency: str) -> Money:
    """Integer minor units → Money."""
    return Money(Decimal(value).scaleb(-minor_units(currency)), currency.upper())
