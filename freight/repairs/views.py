"""RR → response model (shared by the staff API, customer tracking and pages)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy.orm import Session

from freight.credits.views import credit_refund_out
from freight.repairs import repository as repo
from freight.repairs.models import RepairRequest
from freight.repairs.rules import RR_STAFF_MOVES, RRStatus, correction_target
from freight.repairs.schemas import (
    AgreementOut,
    CustomerOut,
    DecisionOut,
    HistoryOut,
    ReceiptOut,
    RepairRequestOut,
    ReplacementOut,
)
from freight.schemas import AddressOut, FreightTermsOut, MoneyOut

# A section of the full RR answer another feature fills (shipments, quotes, claims …): the
# composition (freight/wiring.py RR_SECTIONS) names them, so repairs need not import them.
SectionLoader = Callable[[Session, RepairRequest], Any]


def _correction(rr: RepairRequest) -> str | None:
    target = correction_target(RRStatus(rr.status))
    return target.value if target is not None else None


def rr_out(
    session: Session, rr: RepairRequest, *, full: bool = True,
    sections: Mapping[str, SectionLoader] | None = None,
) -> RepairRequestOut:  # fmt: skip
    """The RR as the API shows it; `full` adds history, receipts and the given sections."""
    out = RepairRequestOut(
        rr_number=rr.rr_number,
        kind=rr.kind,
        serial_number=rr.serial_number,
        part_number=rr.part_number,
        product_description=rr.product_description,
        customer=CustomerOut(
            name=rr.customer_name, email=rr.customer_email, phone=rr.customer_phone
        ),
        return_address=AddressOut(**rr.return_address),
        proof_of_purchase=rr.proof_of_purchase,
        insurance_requested=rr.insurance_requested,
        declared_value=MoneyOut.of(rr.declared_value_amount, rr.declared_value_currency),
        special_requirements=rr.special_requirements,
        status=rr.status,
        issued_at=rr.issued_at,
        inbound_deadline=rr.inbound_deadline,
        first_carrier_scan_at=rr.first_carrier_scan_at,
        received_at=rr.received_at,
        repair_due=rr.repair_due,
        freight_terms=FreightTermsOut(**rr.freight_terms),
        source=rr.source or "staff",
        submission_id=rr.submission_id,
        policy_version=rr.policy_version,
        agreed_at=rr.agreed_at,
        agreement=AgreementOut(**rr.agreement) if rr.agreement else None,
        replacement=ReplacementOut(**rr.replacement) if rr.replacement else None,
        credit_refund=credit_refund_out(session, rr) if rr.kind == "credit_return" else None,
        allowed_moves=sorted(s.value for s in RR_STAFF_MOVES.allowed(rr.status)),
        receipt_correction=_correction(rr),
    )
    if not full:
        return out
    out.history = [
        HistoryOut(
            at=h.at, from_status=h.from_status, to_status=h.to_status, actor=h.actor,
            rule=h.rule, note=h.note,
        )
        for h in rr.history
    ]  # fmt: skip
    out.receipts = [
        ReceiptOut(
            id=r.id, accepted=r.accepted, received_at=r.received_at, notes=r.notes,
            reasons=[DecisionOut(**d) for d in r.reasons],
        )
        for r in repo.receipts_for(session, rr.id)
    ]  # fmt: skip
    for name, loader in (sections or {}).items():
        setattr(out, name, loader(session, rr))
    return out
