"""Paying a quote (SPEC §6): the customer's browser confirms a manual-capture PaymentIntent.

1. `accept_quote` creates the quote's intent once (idempotency key from the quote) and answers
   its client secret; scripts may pass a payment-method token, which is confirmed here.
2. The card form (Stripe.js, or the sandbox form) confirms it and runs any 3-D Secure challenge.
3. `confirm_payment` (the page, after the form) and Stripe's webhooks read the intent's status:
   only `requires_capture` is a hold, and only then is the quote accepted and its label queued.
   A failed or abandoned challenge leaves the quote open, with the bank's sentence.

Every path goes through `apply_intent`, which is idempotent: a webhook replayed, a confirm
repeated, a poll after both — the quote is accepted once and the label queued once. Never commits.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import TypeVar

from sqlalchemy.orm import Session

from freight.auth.service import Principal
from freight.errors import AppError, ConflictError, PaymentRequiredError, invalid
from freight.jobs.service import enqueue
from freight.money import Money
from freight.payments.port import (
    CardDeclined,
    Intent,
    PaymentsPort,
    PaymentStateError,
    PaymentUnavailable,
    UnknownPaymentMethod,
)
from freight.quotes import repository as repo
from freight.quotes import rules
from freight.quotes.models import Payment, PaymentHold, Quote
from freight.quotes.service import check_customer, get_quote
from freight.repairs.models import RepairRequest
from freight.shipments import rules as shipment_rules
from freight.shipments.models import Shipment

log = logging.getLogger("freight.quotes.checkout")
T = TypeVar("T")

# Stripe statuses in which the customer still has to act (enter a card, pass a challenge).
UNCONFIRMED = frozenset({"requires_payment_method", "requires_confirmation", "requires_action"})
CHALLENGE_STATUSES = frozenset({"requires_action"})


@dataclass(frozen=True)
class Checkout:
    """A quote with its payment and the intent the customer's browser works with."""

    quote: Quote
    payment: Payment
    rr: RepairRequest
    intent: Intent


def accept_quote(
    session: Session,
    *,
    quote_id: str,
    principal: Principal,
    payment_method: str | None,
    payments: PaymentsPort,
    now: datetime,
) -> Checkout:
    """The customer accepts: the quote's intent (created once), confirmed here when a token is
    given; the quote is accepted only if the card is now held."""
    quote = get_quote(session, quote_id, lock=True)
    rr = check_customer(session, quote, principal)
    _check_open(quote, now)
    payment, intent = _intent_for(session, payments, quote, rr, now=now)
    if payment_method and intent.status != "requires_capture":
        # Each confirmation is a new attempt (a card after a declined one); an intent holds at
        # most once, so a repeated confirmation cannot hold twice.
        key = f"confirm:{intent.ref}:{secrets.token_hex(8)}"
        intent = _provider(
            lambda: payments.confirm_intent(intent.ref, payment_method, idempotency_key=key), quote
        )
    apply_intent(session, payments, payment, intent, now=now)
    session.flush()
    log.info(
        "quote.checkout",
        extra={"event": "quote.checkout", "quote_id": quote.id, "intent_status": intent.status},
    )
    return Checkout(quote, payment, rr, intent)


def confirm_payment(
    session: Session, *, quote_id: str, principal: Principal, payments: PaymentsPort, now: datetime
) -> Checkout:
    """After the card form: read the intent server-side and apply it; 402 if the bank refused."""
    quote = get_quote(session, quote_id, lock=True)
    rr = check_customer(session, quote, principal)
    payment = repo.payment_for(session, quote.id, lock=True)
    if payment is None:
        raise ConflictError(f"Quote {quote.id} has no card payment to confirm; accept it first.")
    pending = repo.pending_renewal(session, payment.id)
    ref = pending.provider_ref if pending is not None else payment.provider_ref or ""
    intent = _provider(lambda: payments.retrieve_intent(ref), quote)
    apply_intent(session, payments, payment, intent, now=now)
    if intent.status == "requires_payment_method" and intent.reason:
        raise PaymentRequiredError(
            intent.reason, code=intent.error_code, decline_code=intent.error_code, quote_id=quote.id
        )
    session.flush()
    return Checkout(quote, payment, rr, intent)


def waiting_intent(
    session: Session, *, quote_id: str, principal: Principal, payments: PaymentsPort
) -> Checkout:
    """The intent the customer's card form should confirm now: an open quote's, or a renewal
    the bank wants them for; 409 when nothing waits for them."""
    quote = get_quote(session, quote_id)
    rr = check_customer(session, quote, principal)
    payment = repo.payment_for(session, quote.id)
    pending = repo.pending_renewal(session, payment.id) if payment is not None else None
    if payment is None or (pending is None and payment.status not in ("pending", "failed")):
        raise ConflictError(f"Nothing waits for your card on quote {quote.id}.")
    ref = pending.provider_ref if pending is not None else payment.provider_ref or ""
    intent = _provider(lambda: payments.retrieve_intent(ref), quote)
    return Checkout(quote, payment, rr, intent)


def apply_intent(
    session: Session, payments: PaymentsPort, payment: Payment, intent: Intent, *, now: datetime
) -> str:
    """Bring the payment (and its quote) in line with the intent; idempotent. The outcome word."""
    hold = repo.hold_by_ref(session, intent.ref)
    if hold is None or hold.payment_id != payment.id:
        return "unknown"
    if hold.purpose == "renewal":
        from freight.quotes.holds import apply_renewal

        return apply_renewal(session, payments, payment, hold, intent, now=now)
    quote = session.get_one(Quote, payment.quote_id)
    if intent.status == "requires_capture":
        return _held(session, payments, quote, payment, hold, intent, now=now)
    if intent.status in UNCONFIRMED:
        if hold.status in ("pending", "failed") and payment.status in ("pending", "failed"):
            failed = intent.status == "requires_payment_method" and bool(intent.reason)
            payment.status = hold.status = "failed" if failed else "pending"
            payment.failure_reason = hold.failure_reason = intent.reason if failed else None
        return payment.status
    if intent.status == "canceled":
        return _released(payment, hold, now=now)
    return "unchanged"  # succeeded: the capture path records it


def _held(
    session: Session,
    payments: PaymentsPort,
    quote: Quote,
    payment: Payment,
    hold: PaymentHold,
    intent: Intent,
    *,
    now: datetime,
) -> str:
    if hold.status == "authorized" or payment.status in ("authorized", "captured"):
        return "already"
    if quote.status != rules.OPEN or rules.is_expired(quote.expires_at, now):
        # Confirmed after the quote lapsed or was superseded: release the hold at once.
        try:
            payments.cancel(intent.ref, idempotency_key=f"cancel:{hold.id}")
        except PaymentStateError as exc:  # cancelled meanwhile (e.g. lapsed): nothing is held
            log.info("payment.release.skipped", extra={"event": "payment.release.skipped",
                                                       "reason": exc.reason})  # fmt: skip
        hold.status, hold.ended_at, payment.status = "released", now, "cancelled"
        payment.failure_reason = f"Quote {quote.id} is {quote.status}; the hold was released."
        return "released"
    capturable = intent.capturable
    held = capturable if capturable is not None and capturable.amount > 0 else intent.amount
    payment.status, payment.failure_reason = "authorized", None
    payment.authorized_amount, payment.currency = held.amount, held.currency
    payment.authorized_at = hold.authorized_at = now
    payment.customer_ref = intent.customer or payment.customer_ref
    payment.payment_method_ref = intent.payment_method or payment.payment_method_ref
    hold.status, hold.failure_reason = "authorized", None
    quote.status = rules.ACCEPTED
    shipment = session.get_one(Shipment, quote.shipment_id, with_for_update=True)
    shipment.state = shipment_rules.PURCHASING
    enqueue(
        session,
        task="shipments.buy_label",
        args={"shipment_id": shipment.id},
        key=f"buy_label:{shipment.id}:{quote.id}",
    )
    log.info("quote.accepted", extra={"event": "quote.accepted", "quote_id": quote.id})
    return "accepted"


def _released(payment: Payment, hold: PaymentHold, *, now: datetime) -> str:
    """The processor cancelled the intent (by us, by Stripe when a hold lapsed, or by staff)."""
    if hold.status in ("released", "lapsed", "captured"):
        return "already"
    was_held = hold.status == "authorized"
    hold.status, hold.ended_at = ("lapsed" if was_held else "released"), now
    if payment.provider_ref == hold.provider_ref and payment.status in (
        "pending", "failed", "authorized",
    ):  # fmt: skip
        payment.status = "cancelled"
    return hold.status


def _check_open(quote: Quote, now: datetime) -> None:
    if quote.status == rules.OPEN and rules.is_expired(quote.expires_at, now):
        raise ConflictError(
            f"Quote {quote.id} expired at {quote.expires_at.isoformat()}; ask for a new quote.",
            quote_status="expired",
            expires_at=quote.expires_at.isoformat(),
        )
    if quote.status != rules.OPEN:
        raise ConflictError(
            f"Quote {quote.id} is {quote.status}; only an open quote can be accepted.",
            quote_status=quote.status,
        )


def _intent_for(
    session: Session, payments: PaymentsPort, quote: Quote, rr: RepairRequest, *, now: datetime
) -> tuple[Payment, Intent]:
    """The quote's live intent, or a new one: one per quote (and per earlier one cancelled)."""
    payment = repo.payment_for(session, quote.id, lock=True)
    if payment is not None and payment.provider_ref:
        ref = payment.provider_ref
        current = _provider(lambda: payments.retrieve_intent(ref), quote)
        if current.status in UNCONFIRMED or current.status == "requires_capture":
            return payment, current
    earlier = len(repo.holds_of(session, payment.id)) if payment is not None else 0
    amount = Money(quote.amount, quote.currency)
    intent = _provider(
        lambda: payments.create_intent(
            amount,
            idempotency_key=f"intent:{quote.id}" + (f":{earlier}" if earlier else ""),
            metadata={
                "quote_id": quote.id,
                "shipment_id": quote.shipment_id,
                "rr_number": rr.rr_number,
            },
            email=rr.customer_email,
        ),  # fmt: skip
        quote,
    )
    if payment is None:
        payment = Payment(quote_id=quote.id, authorized_amount=Decimal(0))
        session.add(payment)
    payment.provider, payment.provider_ref, payment.status = payments.name, intent.ref, "pending"
    payment.currency, payment.customer_ref = quote.currency, intent.customer
    payment.failure_reason = None
    session.flush()
    if repo.hold_by_ref(session, intent.ref) is None:
        session.add(
            PaymentHold(
                payment_id=payment.id,
                provider_ref=intent.ref,
                purpose="accept",
                status="pending",
                amount=quote.amount,
                currency=quote.currency,
                created_at=now,
            )
        )
        session.flush()
    return payment, intent


def _provider(call: Callable[[], T], quote: Quote) -> T:
    """A processor call; its errors as the customer should see them."""
    try:
        return call()
    except CardDeclined as exc:
        raise PaymentRequiredError(
            exc.reason, code=exc.code, decline_code=exc.decline_code, quote_id=quote.id
        ) from exc
    except UnknownPaymentMethod as exc:
        raise invalid("payment_method", exc.reason) from exc
    except PaymentStateError as exc:
        raise ConflictError(exc.reason, code=exc.code) from exc
    except PaymentUnavailable as exc:
        raise AppError(
            f"The payment processor is unavailable: {exc.reason}",
            503,
            "Payment processor unavailable",
        ) from exc
