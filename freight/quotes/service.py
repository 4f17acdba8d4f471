"""Quote use cases (P-QUOTE): make, expire, capture, release (accepting: quotes.checkout).

Never commits.
"""

from __future__ import annotations

import logging
from datetime import datetime
from decimal import Decimal

from sqlalchemy.orm import Session, object_session

from carriers.types import Rate
from freight.auth.service import Principal
from freight.db import utcnow
from freight.errors import ForbiddenError, NotFoundError
from freight.jobs.service import enqueue
from freight.money import Money
from freight.notifications import hooks
from freight.payments.port import PaymentsPort, PaymentStateError
from freight.quotes import repository as repo
from freight.quotes import rules
from freight.quotes.models import Payment, Quote
from freight.repairs.lifecycle import move
from freight.repairs.models import RepairRequest
from freight.repairs.rules import RRStatus, can_transition
from freight.settings import Settings
from freight.shipments import rules as shipment_rules
from freight.shipments.models import Shipment

log = logging.getLogger("freight.quotes")
RELEASE = "quotes.release_payment"


def get_quote(session: Session, quote_id: str, *, lock: bool = False) -> Quote:
    quote = repo.get(session, quote_id, lock=lock)
    if quote is None:
        raise NotFoundError(f"Quote {quote_id} does not exist.", quote_id=quote_id)
    return quote


def create_quote(
    session: Session, *, shipment: Shipment, rate: Rate, now: datetime, settings: Settings
) -> Quote:
    """A new open quote for the shipment's chosen rate; a still-open older quote is superseded."""
    live = repo.live_for_shipment(session, shipment.id)
    if live is not None and live.status == rules.OPEN:
        live.status = rules.SUPERSEDED
    quote = Quote(
        shipment_id=shipment.id,
        rr_id=shipment.rr_id,
        amount=rate.amount.quantize().amount,
        currency=rate.amount.currency,
        carrier=rate.carrier,
        service=rate.service,
        rate_id=rate.rate_id,
        estimated_days=rate.estimated_days,
        expires_at=rules.expires_at(now, settings.quote_validity_days),
        status=rules.OPEN,
    )
    session.add(quote)
    session.flush()
    rr = session.get(RepairRequest, shipment.rr_id)
    if rr is not None:
        hooks.quote_ready(session, rr=rr, quote=quote)
    log.info("quote.created", extra={"event": "quote.created", "quote_id": quote.id})
    return quote


def expire_quote(session: Session, quote: Quote, *, now: datetime, actor: str) -> None:
    """An open quote past its validity: expired; the RR goes back to ready_to_ship (P-QUOTE)."""
    quote.status = rules.EXPIRED
    shipment = session.get(Shipment, quote.shipment_id)
    if shipment is not None and shipment.state == shipment_rules.QUOTED:
        shipment.state = shipment_rules.QUOTE_LAPSED
    rr = session.get(RepairRequest, quote.rr_id)
    if (
        rr is not None
        and rr.status == RRStatus.AWAITING_PAYMENT
        and can_transition(rr.status, RRStatus.READY_TO_SHIP)
    ):
        move(
            session,
            rr,
            RRStatus.READY_TO_SHIP,
            actor=actor,
            at=now,
            rule="P-QUOTE",
            note=f"Quote {quote.id} expired unaccepted; re-rate to ship",
        )
    if rr is not None:
        hooks.quote_expired(session, rr=rr, quote=quote)
    log.info("quote.expired", extra={"event": "quote.expired", "quote_id": quote.id})


def expire_due(session: Session, *, now: datetime) -> int:
    """Expire every open quote whose validity has run out; returns how many."""
    count = 0
    for quote_id in repo.open_expired(session, now):
        quote = repo.get(session, quote_id, lock=True)
        if (
            quote is not None
            and quote.status == rules.OPEN
            and rules.is_expired(quote.expires_at, now)
        ):
            expire_quote(session, quote, now=now, actor="system")
            count += 1
    return count


def check_customer(session: Session, quote: Quote, principal: Principal) -> RepairRequest:
    rr = session.get_one(RepairRequest, quote.rr_id)
    if principal.kind != "customer":
        raise ForbiddenError("Only the Repair Request's customer can accept its freight quote.")
    if principal.rr_number != rr.rr_number:
        # Another RR's customer: the same answer as an unknown quote (no enumeration).
        raise NotFoundError(f"Quote {quote.id} does not exist.", quote_id=quote.id)
    return rr


def capture(payments: PaymentsPort, payment: Payment, label_cost: Money) -> None:
    """Capture min(label cost, hold) once (idempotency key from the payment id)."""
    if payment.status != "authorized":
        return
    authorized = Money(payment.authorized_amount, payment.currency)
    amount = rules.capture_amount(label_cost, authorized).quantize()
    try:
        done = payments.capture(
            payment.provider_ref or "", amount, idempotency_key=f"capture:{payment.id}"
        )
    except PaymentStateError as exc:
        payment.status, payment.failure_reason = "failed", exc.reason
        log.warning(
            "payment.capture.failed",
            extra={"event": "payment.capture.failed", "payment_id": payment.id},
        )
        return
    payment.status, payment.captured_amount = "captured", done.amount.amount
    _end_hold(payment, "captured")
    if (session := object_session(payment)) is not None:
        hooks.card_captured(session, payment=payment)
    log.info("payment.captured", extra={"event": "payment.captured", "payment_id": payment.id})


def cancel_hold(
    payments: PaymentsPort, payment: Payment | None, *, reason: str = "the shipment was cancelled"
) -> None:
    """Release an uncaptured hold (idempotent)."""
    if payment is None or payment.status != "authorized":
        return
    try:
        payments.cancel(payment.provider_ref or "", idempotency_key=f"cancel:{payment.id}")
    except PaymentStateError as exc:
        log.warning(
            "payment.cancel.refused",
            extra={"event": "payment.cancel.refused", "reason": exc.reason},
        )
    payment.status = "cancelled"
    _end_hold(payment, "released")
    if (session := object_session(payment)) is not None:
        hooks.hold_voided(session, payment=payment, reason=reason)


def _end_hold(payment: Payment, status: str) -> None:
    """The live hold's row follows the payment (the ledger lists every hold)."""
    session = object_session(payment)
    hold = repo.hold_by_ref(session, payment.provider_ref or "") if session is not None else None
    if hold is not None and hold.status == "authorized":
        hold.status, hold.ended_at = status, utcnow()


def release_payment(session: Session, *, quote: Quote, reason: str) -> None:
    """After a void: queue the cancel (hold) or refund (capture) of the quote's payment."""
    payment = repo.payment_for(session, quote.id)
    if payment is None or payment.status not in ("authorized", "captured"):
        return
    enqueue(
        session,
        task=RELEASE,
        args={"payment_id": payment.id, "reason": reason},
        key=f"release:{payment.id}",
    )


def settle_release(
    session: Session, *, payments: PaymentsPort, payment_id: str, reason: str = "label voided"
) -> None:
    """Job body: cancel an open hold or refund what was captured and not yet refunded."""
    payment = session.get(Payment, payment_id, with_for_update=True)
    if payment is None:
        return
    if payment.status == "authorized":
        cancel_hold(payments, payment, reason=reason)
        return
    captured = payment.captured_amount or Decimal(0)
    due = captured - (payment.refunded_amount or Decimal(0))
    if payment.status != "captured" or due <= 0:
        return
    done = payments.refund(
        payment.provider_ref or "",
        Money(due, payment.currency),
        idempotency_key=f"refund:{payment.id}",
    )
    # A charge.refunded webhook may have recorded it already: never count a refund twice.
    payment.refunded_amount = min(
        captured, (payment.refunded_amount or Decimal(0)) + done.amount.amount
    )
    hooks.refunded(session, payment=payment, amount=done.amount.amount, reason=reason)
    log.info("payment.refunded", extra={"event": "payment.refunded", "payment_id": payment.id})
