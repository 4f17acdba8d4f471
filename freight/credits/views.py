"""A credit return's refund as the API shows it (staff RR and the customer's page)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from freight.credits import repository as repo
from freight.repairs.models import RepairRequest
from freight.repairs.schemas import CreditRefundOut
from freight.schemas import MoneyOut


def credit_refund_out(session: Session, rr: RepairRequest) -> CreditRefundOut | None:
    record = repo.for_rr(session, rr.id)
    if record is None:
        return None
    money = {
        k: MoneyOut.of(getattr(record, k), record.currency) for k in ("price", "fee", "refund")
    }
    return CreditRefundOut(
        status=record.status,
        price=money["price"],
        restocking_fee=money["fee"],
        refund=money["refund"],
        fee_rate=f"{record.fee_rate.normalize():f}",
        payment_reference=record.payment_reference,
        refunded_at=record.refunded_at,
        failure_reason=record.failure_reason,
    )
