"""Card holds that do not lapse (SPEC §6): a card authorization lasts 7 days; a quote's label may
wait longer. A hold older than `hold_renew_days` (6) whose label is not bought is placed again
off-session with the saved card, then the old one is released; when the bank wants the customer
again (3-D Secure, `authentication_required`) the new intent waits for them and they are emailed,
while the old hold still covers the label until it lapses. Each hold is a PaymentHold row, so the
ledger shows every one.

Crash safety: the re-authorization's idempotency key is the payment and the number of holds it
had (`renew:{payment}:{n}`), so a rerun after a crash gets the same intent, never a second hold;
the old hold's release is keyed by that hold (`cancel:{hold}`). Never commits.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from freight.jobs.service import enqueue
from freight.money import Money
from freight.notifications import hooks
from freight.payments.port import (
    AuthenticationRequired,
    CardDeclined,
    Intent,
    PaymentError,
    PaymentsPort,
    PaymentStateError,
    PaymentUnavailable,
)
from freight.quotes import repository as repo
from freight.quotes import rules
from freight.quotes.models import Payment, PaymentHold, Quote
from freight.repairs.models import RepairRequest
from freight.shipments import rules as shipment_rules
from freight.shipments.models import Shipment

log = logging.getLogger("freight.quotes.holds")


def renew_due(session: Session, *, payments: PaymentsPort, now: datetime, days: int) -> int:
    """Re-authorize every hold older than `days` whose label is not bought; how many were."""
    cutoff = now - timedelta(days=days)
    count = 0
    for payment_id in repo.holds_older_than(session, cutoff):
        payment = session.get(Payment, payment_id, with_for_update=True)
        if payment is None or payment.status != "authorized" or payment.authorized_at is None:
            continue
        if payment.authorized_at > cutoff or repo.pending_renewal(session, payment.id):
            continue  # renewed meanwhile, or waiting for the customer
        quote = session.get(Quote, payment.quote_id)
        shipment = session.get(Shipment, quote.shipment_id) if quote is not None else None
        if quote is None or shipment is None or shipment.state != shipment_rules.PURCHASING:
            continue  # labelled (capture is due) or given up (the hold is released)
        renew(session, payments=payments, payment=payment, quote=quote, now=now)
        count += 1
    return count


def renew(
    session: Session, *, payments: PaymentsPort, payment: Payment, quote: Quote, now: datetime
) -> str:
    """Place the hold again off-session; re-ask the customer when the bank wants them."""
    earlier = len(repo.holds_of(session, payment.id))
    amount = Money(payment.authorized_amount, payment.currency)
    metadata = {"quote_id": quote.id, "renewal_of": payment.provider_ref or ""}
    key = f"renew:{payment.id}:{earlier}"
    try:
        if not payment.customer_ref or not payment.payment_method_ref:
            # No saved card (e.g. an older payment): the customer confirms a new intent.
            fresh = payments.create_intent(
                amount, idempotency_key=key, metadata=metadata, email=None
            )
            return _reask(session, payment, quote, fresh.ref, None, amount, now=now)
        intent = payments.reauthorize(
            amount, customer=payment.customer_ref, payment_method=payment.payment_method_ref,
            idempotency_key=key, metadata=metadata,
        )  # fmt: skip
    except AuthenticationRequired as exc:
        return _reask(session, payment, quote, exc.ref, exc.reason, amount, now=now)
    except CardDeclined as exc:
        payment.failure_reason = f"Re-authorization declined: {exc.reason}"
        log.warning("payment.renewal.declined", extra={"event": "payment.renewal.declined",
                                                       "payment_id": payment.id})  # fmt: skip
        return "declined"
    except PaymentUnavailable:
        return "unavailable"  # the next run retries with the same key
    hold = _new_hold(session, payment, intent.ref, amount, status="authorized", now=now)
    _swap(session, payments, payment, hold, intent, now=now)
    return "renewed"


def apply_renewal(
    session: Session,
    payments: PaymentsPort,
    payment: Payment,
    hold: PaymentHold,
    intent: Intent,
    *,
    now: datetime,
) -> str:
    """A renewal intent's news (the customer confirmed it, a webhook, the poll); idempotent."""
    if intent.status == "requires_capture":
        if hold.status == "authorized":
            return "already"
        hold.status, hold.failure_reason = "authorized", None
        _swap(session, payments, payment, hold, intent, now=now)
        return "renewed"
    if intent.status == "canceled":
        if hold.status not in ("released", "lapsed", "captured"):
            hold.status = "lapsed" if hold.status == "authorized" else "released"
            hold.ended_at = now
        return hold.status
    if hold.status in ("pending", "failed") and intent.status == "requires_payment_method":
        hold.status = "failed" if intent.reason else "pending"
        hold.failure_reason = intent.reason
    return hold.status


def _swap(
    session: Session,
    payments: PaymentsPort,
    payment: Payment,
    new: PaymentHold,
    intent: Intent,
    *,
    now: datetime,
) -> None:
    """The new hold covers the label from now on; the old one is released."""
    old = repo.hold_by_ref(session, payment.provider_ref or "")
    if payment.status == "authorized" and old is not None and old.id != new.id:
        try:
            payments.cancel(old.provider_ref, idempotency_key=f"cancel:{old.id}")
        except PaymentStateError as exc:
            log.info("payment.release.skipped", extra={"event": "payment.release.skipped",
                                                       "reason": exc.reason})  # fmt: skip
        if old.status not in ("lapsed", "captured"):
            old.status = "released"
        old.ended_at = old.ended_at or now
    held = (
        intent.capturable if intent.capturable and intent.capturable.amount > 0 else intent.amount
    )
    resume = payment.status != "authorized"  # the old hold had lapsed: the label waited
    new.authorized_at = now
    payment.provider_ref, payment.status = new.provider_ref, "authorized"
    payment.failure_reason = None
    payment.authorized_amount, payment.authorized_at = held.amount, now
    payment.payment_method_ref = intent.payment_method or payment.payment_method_ref
    payment.customer_ref = intent.customer or payment.customer_ref
    log.info("payment.renewed", extra={"event": "payment.renewed", "payment_id": payment.id})
    quote = session.get(Quote, payment.quote_id)
    shipment = session.get(Shipment, quote.shipment_id) if quote is not None else None
    if resume and quote is not None and shipment is not None:
        if shipment.state == shipment_rules.PURCHASING:
            enqueue(
                session, task="shipments.buy_label", args={"shipment_id": shipment.id},
                key=f"buy_label:{shipment.id}:{quote.id}:{new.id}",
            )  # fmt: skip


def _reask(
    session: Session,
    payment: Payment,
    quote: Quote,
    ref: str | None,
    reason: str | None,
    amount: Money,
    *,
    now: datetime,
) -> str:
    if ref is None:
        payment.failure_reason = reason
        return "declined"
    hold = repo.hold_by_ref(session, ref) or _new_hold(
        session, payment, ref, amount, status="pending", now=now
    )
    hold.failure_reason = reason
    rr = session.get(RepairRequest, quote.rr_id)
    if rr is not None:
        hooks.card_reconfirm(session, rr=rr, quote=quote, hold_id=hold.id)
    log.info("payment.renewal.reask", extra={"event": "payment.renewal.reask",
                                             "payment_id": payment.id})  # fmt: skip
    return "reask"


def _new_hold(
    session: Session, payment: Payment, ref: str, amount: Money, *, status: str, now: datetime
) -> PaymentHold:
    hold = PaymentHold(
        payment_id=payment.id, provider_ref=ref, purpose="renewal", status=status,
        amount=amount.amount, currency=amount.currency, created_at=now,
        authorized_at=now if status == "authorized" else None,
    )  # fmt: skip
    session.add(hold)
    session.flush()
    return hold


def poll_unconfirmed(
    session: Session, *, payments: PaymentsPort, now: datetime, minutes: int
) -> int:
    """A missed webhook: read every intent still waiting since `minutes` ago and apply it; an
    intent whose quote can no longer be accepted is cancelled. How many changed."""
    from freight.quotes.checkout import apply_intent

    changed = 0
    for hold_id in repo.unconfirmed_holds(session, now - timedelta(minutes=minutes)):
        hold = session.get(PaymentHold, hold_id, with_for_update=True)
        payment = session.get(Payment, hold.payment_id, with_for_update=True) if hold else None
        if hold is None or payment is None:
            continue
        before = hold.status
        try:
            intent = payments.retrieve_intent(hold.provider_ref)
            quote = session.get(Quote, payment.quote_id)
            stale = quote is not None and quote.status not in (rules.OPEN, rules.ACCEPTED)
            # A renewal the customer never confirmed, once the payment no longer needs it.
            moot = hold.purpose == "renewal" and (
                payment.status == "captured"
                or (quote is not None and quote.status != rules.ACCEPTED)
            )
            if (stale or moot) and intent.status != "requires_capture":
                payments.cancel(hold.provider_ref, idempotency_key=f"cancel:{hold.id}")
                hold.status, hold.ended_at = "released", now
            else:
                apply_intent(session, payments, payment, intent, now=now)
        except PaymentError as exc:
            log.warning("payment.poll.failed", extra={"event": "payment.poll.failed",
                                                      "reason": exc.reason})  # fmt: skip
            continue
        changed += hold.status != before
    return changed
