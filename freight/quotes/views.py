"""The customer's receipts for card payments (the tracking page's `payments`)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from freight.quotes import repository as repo
from freight.quotes.models import Payment, Quote
from freight.quotes.schemas import PaymentReceiptOut, payment_shown, quote_out
from freight.repairs.models import RepairRequest
from freight.schemas import MoneyOut

SHOWN = frozenset({"authorized", "captured", "cancelled"})


def receipts(session: Session, rr: RepairRequest) -> list[PaymentReceiptOut]:
    """Every held, captured or released payment of the RR's quotes, oldest first."""
    quotes = repo.for_rr(session, rr.id)
    payments = repo.payments_for(session, [q.id for q in quotes])
    out = []
    for quote in quotes:
        payment = payments.get(quote.id)
        if payment is not None and payment.status in SHOWN:
            out.append(_receipt(session, quote, payment))
    return out


def _receipt(session: Session, quote: Quote, payment: Payment) -> PaymentReceiptOut:
    shown = payment_shown(payment)
    amount = MoneyOut.known(quote.amount, quote.currency)
    waits = payment.status in ("authorized", "cancelled") and quote.status == "accepted"
    renewal = repo.pending_renewal(session, payment.id) if waits else None
    message = None
    if renewal is not None:
        message = (
            "Your bank asks you to confirm your card again: the hold is placed again because "
            "the label is not bought yet. Nothing is charged until we ship."
        )
    return PaymentReceiptOut(
        quote_id=quote.id, carrier=quote.carrier, service=quote.service, amount=amount,
        status=shown.status, authorized=shown.authorized, captured=shown.captured,
        refunded=shown.refunded, action_needed=renewal is not None,
        message=message or (renewal.failure_reason if renewal else None),
    )  # fmt: skip


def quotes_section(session: Session, rr: RepairRequest) -> list[dict[str, Any]]:
    """The "quotes" list on the staff RR response, each with its payment."""
    quotes = repo.for_rr(session, rr.id)
    payments = repo.payments_for(session, [q.id for q in quotes])
    return [quote_out(q, rr.rr_number, payments.get(q.id)).model_dump(mode="json") for q in quotes]
