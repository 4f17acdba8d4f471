"""Receiving desk follow-ups: damage claims, the return-to-sender draft, unmatched packages."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from freight.carrier_registry import normalize_carrier
from freight.claims.service import ClaimSignal, flag
from freight.errors import ConflictError
from freight.geo.rules import ExportRestrictedError
from freight.notifications.service import notify
from freight.policy import terms_policy
from freight.repairs import repository as rr_repo
from freight.repairs.models import Receipt, RepairRequest
from freight.repairs.rules import AWAITING_UNIT, ReceiptDecision
from freight.settings import Settings
from freight.shipments.models import Shipment
from freight.terms.rules import decide_terms
from freight.tracking import repository as repo
from freight.tracking.rules import normalize_tracking_number
from freight.tracking.schemas import UnmatchedReceiptOut

log = logging.getLogger("freight.tracking")


def after_receipt(
    session: Session,
    *,
    rr: RepairRequest,
    receipt: Receipt,
    decision: ReceiptDecision,
    now: datetime,
    settings: Settings,
) -> None:
    """P-REJECT / P-CLAIM follow-ups of a logged receipt, and the customer's email."""
    inbound = _inbound_shipment(session, rr, receipt)
    if inbound is not None and inbound.delivered_at is None:
        inbound.delivered_at = now  # it is on our dock, whatever the carrier said last
    if decision.damage:
        signal = ClaimSignal(
            source="receipt_inspection", kind="damage", code="visible_damage",
            note="The receiving desk saw visible damage on the carton or unit.",
            carrier=normalize_carrier(receipt.carrier) if receipt.carrier else None,
            delivered_at=now,
        )  # fmt: skip
        flag(session, rr=rr, shipment=inbound, signal=signal, actor=receipt.actor, now=now)
    received_on = now.date().isoformat()
    if decision.accepted and rr.kind == "credit_return":
        return  # the refund's own email (credits.refund) tells the customer the amounts
    if decision.accepted:
        due = rr.repair_due.isoformat() if rr.repair_due else ""
        notify(session, rr=rr, kind="receipt_accepted",
               context={"received_on": received_on, "repair_due": due})  # fmt: skip
        return
    draft = prepare_return_to_sender(session, rr=rr, now=now, settings=settings, receipt=receipt)
    notify(
        session, rr=rr, kind="receipt_rejected",
        context={"received_on": received_on, "reasons": [d.reason for d in decision.reasons],
                 "return_terms": draft.freight_terms.get("reason", "")},
    )  # fmt: skip


def _inbound_shipment(session: Session, rr: RepairRequest, receipt: Receipt) -> Shipment | None:
    """The inbound shipment this package came as: the receipt's number, else the latest one."""
    inbound = list(repo.shipments_of(session, rr.id, direction="inbound"))
    if receipt.tracking_number:
        number = normalize_tracking_number(receipt.tracking_number)
        for shipment in inbound:
            if shipment.tracking_number == number:
                return shipment
    delivered = [s for s in inbound if s.status == "DELIVERED"]
    candidates = delivered or inbound
    return candidates[-1] if candidates else None


def prepare_return_to_sender(
    session: Session, *, rr: RepairRequest, now: datetime, settings: Settings, receipt: Receipt
) -> Shipment:
    """A draft outbound return-to-sender shipment (rated and bought later by staff)."""
    existing = session.scalar(
        select(Shipment).where(
            Shipment.rr_id == rr.id, Shipment.purpose == "return_to_sender",
            Shipment.state == "draft",
        )
    )  # fmt: skip
    if existing is not None:
        return existing
    country = str(rr.return_address.get("country", ""))
    details: dict[str, object] = {"receipt_id": receipt.id, "reason": "rejected at receipt"}
    try:
        terms = decide_terms(
            direction="outbound", country=country, kind=rr.kind,  # type: ignore[arg-type]
            purpose="return_to_sender", policy=terms_policy(settings),
        ).as_json()  # fmt: skip
        international = terms["region"] != "north_america"
    except ExportRestrictedError as exc:
        terms = {"payer": "customer", "card_required": True, "rule": "P-EXPORT",
                 "reason": str(exc), "region": "international"}  # fmt: skip
        details["note"] = f"Export restricted: staff must decide how to return the unit. {exc}"
        international = True
    draft = Shipment(
        rr_id=rr.id, direction="outbound", purpose="return_to_sender", state="draft",
        status="UNKNOWN", freight_terms=terms, details=details, international=international,
        insurance_amount=rr.declared_value_amount if rr.insurance_requested else None,
        insurance_currency=rr.declared_value_currency if rr.insurance_requested else None,
        created_at=now, updated_at=now,
    )  # fmt: skip
    session.add(draft)
    session.flush()
    log.info("shipment.return_to_sender.drafted rr=%s shipment=%s", rr.rr_number, draft.id)
    return draft


def log_unmatched(
    session: Session,
    *,
    rr_number_seen: str | None,
    carrier: str | None,
    tracking_number: str | None,
    sender: str,
    notes: str,
    actor: str,
    now: datetime,
) -> Receipt:
    """Log a package for an unknown or closed RR so nothing on the dock is lost."""
    rr = rr_repo.get_by_number(session, rr_number_seen) if rr_number_seen else None
    if rr is not None and rr.status in AWAITING_UNIT:
        raise ConflictError(
            f"Repair Request {rr.rr_number} is expecting this package; log it with "
            f"POST /api/v1/repair-requests/{rr.rr_number}/receipt instead.",
            rr_number=rr.rr_number, current=rr.status,
        )  # fmt: skip
    if rr is None:
        code, reason = "rr_unknown", "No open Repair Request matches the number on the carton."
    else:
        code = f"rr_{rr.status}"
        reason = f"Repair Request {rr.rr_number} is {rr.status}; it is not expecting a package."
    receipt = Receipt(
        rr_id=rr.id if rr else None, rr_number_seen=rr_number_seen, received_at=now,
        inspection={"unmatched": True, "sender": sender}, accepted=False,
        reasons=[{"rule": "P-MARK", "code": code, "reason": reason}], actor=actor, notes=notes,
        carrier=normalize_carrier(carrier) if carrier else None,
        tracking_number=normalize_tracking_number(tracking_number) if tracking_number else None,
    )  # fmt: skip
    session.add(receipt)
    session.flush()
    log.info("receipt.unmatched id=%s rr_seen=%s", receipt.id, rr_number_seen)
    return receipt


def unmatched_receipts(session: Session, *, limit: int = 200) -> Sequence[Receipt]:
    """Packages logged without a receivable RR, newest first."""
    stmt = (
        select(Receipt)
        .where(Receipt.inspection["unmatched"].as_boolean().is_(True))
        .order_by(Receipt.id.desc())
        .limit(limit)
    )
    return session.scalars(stmt).all()


def unmatched_out(session: Session, receipt: Receipt) -> UnmatchedReceiptOut:
    """The wire shape of an unmatched receipt."""
    linked = session.get(RepairRequest, receipt.rr_id) if receipt.rr_id else None
    return UnmatchedReceiptOut(
        id=receipt.id, rr_number_seen=receipt.rr_number_seen,
        linked_rr_number=linked.rr_number if linked else None, carrier=receipt.carrier,
        tracking_number=receipt.tracking_number, received_at=receipt.received_at,
        reasons=list(receipt.reasons), notes=receipt.notes, logged_by=receipt.actor,
    )  # fmt: skip
