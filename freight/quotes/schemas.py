"""Quote wire models."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from freight.payments.port import Intent
from freight.quotes.models import Payment, Quote
from freight.schemas import MoneyOut, Strict
from freight.text import Line200


class PaymentOut(BaseModel):
    status: Literal["pending", "authorized", "captured", "cancelled", "failed"] = Field(
        description="pending: the customer has not confirmed the card yet (e.g. 3-D Secure)"
    )
    authorized: MoneyOut | None
    captured: MoneyOut | None
    refunded: MoneyOut | None = None
    failure_reason: str | None = None


class QuoteOut(BaseModel):
    id: str
    shipment_id: str
    rr_number: str
    amount: MoneyOut
    carrier: str
    service: str
    estimated_days: int | None
    expires_at: datetime
    status: str
    payment: PaymentOut | None
    created_at: datetime


class AcceptQuoteIn(Strict):
    payment_method: Line200 | None = Field(
        default=None,
        description="Optional: a payment-method token (e.g. pm_card_visa) to confirm with now. "
        "Without it the answer carries the intent's client secret for the card form.",
    )


class PaymentIntentOut(BaseModel):
    """What the customer's card form needs to confirm the hold (Stripe.js or the sandbox)."""

    id: str
    status: str = Field(description="Stripe's PaymentIntent status; requires_capture = held")
    client_secret: str | None
    provider: Literal["stripe", "sandbox"]
    publishable_key: str | None = Field(description="Stripe.js key; null on the sandbox")
    confirm_url: str | None = Field(description="The sandbox form's confirmation endpoint")
    reason: str | None = Field(default=None, description="The bank's sentence after a failure")


class CheckoutOut(QuoteOut):
    payment_intent: PaymentIntentOut | None


def payment_out(payment: Payment | None) -> PaymentOut | None:
    """The card hold as users see it (never card details: we never have them)."""
    return None if payment is None else payment_shown(payment)


def payment_shown(payment: Payment) -> PaymentOut:
    """The card hold of a payment that exists."""
    held = payment.authorized_at is not None or payment.status in ("authorized", "captured")
    return PaymentOut(
        status=payment.status,
        authorized=MoneyOut.of(payment.authorized_amount, payment.currency) if held else None,
        captured=MoneyOut.of(payment.captured_amount, payment.currency),
        refunded=MoneyOut.of(payment.refunded_amount, payment.currency),
        failure_reason=payment.failure_reason,
    )


def quote_out(quote: Quote, rr_number: str, payment: Payment | None) -> QuoteOut:
    """A quote with its payment."""
    amount = MoneyOut.known(quote.amount, quote.currency)
    return QuoteOut(
        id=quote.id,
        shipment_id=quote.shipment_id,
        rr_number=rr_number,
        amount=amount,
        carrier=quote.carrier,
        service=quote.service,
        estimated_days=quote.estimated_days,
        expires_at=quote.expires_at,
        status=quote.status,
        payment=payment_out(payment),
        created_at=quote.created_at,
    )


def intent_out(intent: Intent, *, provider: str, publishable_key: str | None) -> PaymentIntentOut:
    """The intent for the card form (its client secret goes only to the RR's customer)."""
    sandbox = provider != "stripe"
    return PaymentIntentOut(
        id=intent.ref, status=intent.status, client_secret=intent.client_secret,
        provider="sandbox" if sandbox else "stripe", publishable_key=publishable_key,
        confirm_url=f"/sandbox/stripe/v1/payment_intents/{intent.ref}/confirm" if sandbox else None,
        reason=intent.reason,
    )  # fmt: skip


class PaymentReceiptOut(BaseModel):
    """A quote's card payment as the customer's page shows it (never card details)."""

    quote_id: str
    carrier: str
    service: str
    amount: MoneyOut
    status: Literal["pending", "authorized", "captured", "cancelled", "failed"]
    authorized: MoneyOut | None
    captured: MoneyOut | None
    refunded: MoneyOut | None
    action_needed: bool = Field(description="The bank wants the customer to confirm the card again")
    message: str | None
