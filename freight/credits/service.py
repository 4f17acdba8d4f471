"""Credit-return refunds (P-CREDIT) end to end. Never commits.

Crash safety: the refund is computed and recorded `pending` in the receipt's transaction, with a
job in the outbox; the job calls the processor with an idempotency key derived from the RR
(`credit-refund:<RR number>`), so a crash after the processor refunded but before our commit,
a redelivered job or a staff retry replays the same refund instead of making a second one. The
RR becomes `refunded` in the job's transaction, together with the refund's own record.
"""

from __future__ import annotations

import logging
from datetime import datetime
from decimal import Decimal

from sqlalchemy.orm import Session

from freight.credits import repository as repo
from freight.credits.models import CreditRefund
from freight.jobs.service import enqueue
from freight.money import Money
from freight.notifications.service import notify
from freight.payments.port import PaymentsPort, PaymentStateError
from freight.repairs.lifecycle import move
from freight.repairs.models import RepairRequest
from freight.repairs.rules import RRStatus, credit_refund
from freight.settings import Settings

log = logging.getLogger("freight.credits")
REFUND_TASK = "credits.refund"


def _price(rr: RepairRequest) -> Money:
    price = (rr.proof_of_purchase or {}).get("price") or {}
    return Money.of(str(price["amount"]), str(price.get("currency") or "USD"))


def start_refund(
    session: Session, *, rr: RepairRequest, now: datetime, settings: Settings
) -> CreditRefund:
    """An accepted credit return: compute refund = price − restocking fee and queue the payment."""
    existing = repo.for_rr(session, rr.id)
    if existing is not None:
        return existing
    price = _price(rr)
    refund, fee = credit_refund(price, settings.restocking_fee_rate)
    record = CreditRefund(
        rr_id=rr.id,
        status="pending",
        currency=price.currency,
        price=price.quantize().amount,
        fee=fee.amount,
        refund=refund.amount,
        fee_rate=settings.restocking_fee_rate,
        payment_reference=str((rr.proof_of_purchase or {}).get("payment_reference") or ""),
        idempotency_key=f"credit-refund:{rr.rr_number}",
        created_at=now,
        updated_at=now,
    )
    repo.add(session, record)
    session.flush()
    enqueue(session, task=REFUND_TASK, args={"refund_id": record.id}, key=f"refund:{record.id}")
    log.info("credit.refund.queued rr=%s refund=%s fee=%s", rr.rr_number, refund, fee)
    return record


def pay_refund(session: Session, *, refund_id: str, payments: PaymentsPort, now: datetime) -> None:
    """Job body: refund through the processor once, move the RR to refunded, email the amounts."""
    record = repo.get(session, refund_id, lock=True)
    if record is None or record.status != "pending":
        return  # already paid (or given up): a rerun changes nothing
    rr = session.get_one(RepairRequest, record.rr_id, with_for_update=True)
    if rr.status != RRStatus.RECEIVED:  # e.g. staff cancelled it meanwhile: pay nothing
        record.status, record.updated_at = "failed", now
        record.failure_reason = f"The Repair Request is {rr.status}; no refund was made."
        return
    amount = Money(record.refund, record.currency)
    if amount.amount > 0:
        try:
            done = payments.refund(
                record.payment_reference, amount, idempotency_key=record.idempotency_key
            )
        except PaymentStateError as exc:  # permanent: unknown payment, nothing left to refund
            record.status, record.failure_reason, record.updated_at = "failed", exc.reason, now
            log.warning("credit.refund.refused rr=%s reason=%s", rr.rr_number, exc.reason)
            return
        record.provider, record.provider_refund_id = payments.name, done.refund_id
    record.status, record.refunded_at, record.updated_at = "refunded", now, now
    move(
        session,
        rr,
        RRStatus.REFUNDED,
        actor="system",
        at=now,
        rule="P-CREDIT",
        note=f"Refunded {_text(record.refund, record.currency)} (price "
        f"{_text(record.price, record.currency)} less restocking fee "
        f"{_text(record.fee, record.currency)})",
    )
    notify(session, rr=rr, kind="credit_refunded", context=refund_context(record))
    log.info("credit.refunded rr=%s amount=%s", rr.rr_number, amount.amount)


def _text(amount: Decimal, currency: str) -> str:
    return f"{Money(amount, currency).quantize().amount} {currency}"


def refund_context(record: CreditRefund) -> dict[str, str]:
    """The figures the customer's email and pages show."""
    return {
        "price": _text(record.price, record.currency),
        "fee": _text(record.fee, record.currency),
        "refund": _text(record.refund, record.currency),
        "fee_percent": f"{(record.fee_rate * 100).normalize():f}",
        "payment_reference": record.payment_reference,
    }
