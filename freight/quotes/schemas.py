"""Quote wire models."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from freight.quotes.models import Payment, Quote
from freight.schemas import MoneyOut, Strict
from freight.text import Line200


class PaymentOut(BaseModel):
    status: str
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
    payment_method: Line200 = Field(
        description="A payment-method token from the browser, e.g. pm_card_visa",
    )


def payment_out(payment: Payment | None) -> PaymentOut | None:
    """The card hold as users see it (never card details: we never have them)."""
    if payment is None:
        return None
    return PaymentOut(
        status=payment.status,
        authorized=MoneyOut.of(payment.authorized_amount, payment.currency),
        captured=MoneyOut.of(payment.captured_amount, payment.currency),
        refunded=MoneyOut.of(payment.refunded_amount, payment.currency),
        failure_reason=payment.failure_reason,
    )


def quote_out(quote: Quote, rr_number: str, payment: Payment | None) -> QuoteOut:
    """A quote with its payment."""
    amount = MoneyOut.of(quote.amount, quote.currency)
    assert amount is not None
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
