"""Voiding a label is a request to the carrier, not a fact: Shippo's refunds go QUEUED → PENDING
→ SUCCESS | ERROR (the label REFUNDPENDING → REFUNDED | REFUNDREJECTED), and there is no refund
webhook. So a void leaves the shipment `void_pending` with the refund id stored; only a SUCCESS
(from `transaction_updated`, or polling GET /refunds/{id}) makes it `voided`, puts the RR back to
ready_to_ship and refunds the customer's capture. A rejection puts the label back in force with
the carrier's answer for staff to see."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from carriers.errors import CarrierError
from carriers.port import CarrierPort
from carriers.types import Refund
from freight.quotes import repository as quotes_repo
from freight.quotes import service as quotes
from freight.repairs.lifecycle import move
from freight.repairs.models import RepairRequest
from freight.repairs.rules import RRStatus, can_transition
from freight.shipments import rules
from freight.shipments.models import Shipment

log = logging.getLogger("freight.shipments")
CHECK_REFUND = "shipments.check_refund"
SYSTEM = "system"
DONE, REJECTED = ("SUCCESS", "REFUNDED"), ("ERROR", "REFUNDREJECTED")
QUICK_CHECKS = 6  # the check job retries (with back-off) this often; then the periodic poll


class RefundPending(CarrierError):
    """The carrier has not decided the refund yet: look again later."""

    retryable = True


def request_refund(
    session: Session, carrier: CarrierPort, shipment: Shipment, *, enqueue: Any
) -> Refund:
    """Ask the carrier for the refund; the shipment waits in `void_pending` for its answer."""
    refund = carrier.void_label(shipment.transaction_id or "")
    shipment.state, shipment.refund_status = rules.VOID_PENDING, refund.status
    shipment.details = {
        **(shipment.details or {}), "refund_id": refund.refund_id, "error": None,
    }  # fmt: skip
    enqueue(
        session, task=CHECK_REFUND, args={"shipment_id": shipment.id},
        key=f"check_refund:{shipment.id}:{refund.refund_id}",
    )  # fmt: skip
    return refund


def refund_id(shipment: Shipment) -> str | None:
    value = (shipment.details or {}).get("refund_id")
    return str(value) if value else None


def check(session: Session, ctx: Any, *, shipment_id: str) -> None:
    """Job: ask the carrier how the refund stands; settle it, or look again later."""
    shipment = session.get(Shipment, shipment_id, with_for_update=True)
    if shipment is None or shipment.state != rules.VOID_PENDING or not refund_id(shipment):
        return
    refund = ctx.carrier.get_refund(refund_id(shipment))
    settle(session, shipment, refund.status, now=ctx.now)
    if shipment.state == rules.VOID_PENDING and (ctx.attempt or 1) < QUICK_CHECKS:
        raise RefundPending(f"refund {refund.refund_id} is still {refund.status}")


def settle(session: Session, shipment: Shipment, status: str, *, now: datetime) -> None:
    """Apply a refund or label status to a void-pending shipment (idempotent)."""
    if shipment.state != rules.VOID_PENDING:
        return
    if status in DONE:
        _voided(session, shipment, now)
    elif status in REJECTED:
        _rejected(shipment, now)
    else:
        shipment.refund_status = status


def _rr(session: Session, shipment: Shipment) -> RepairRequest:
    rr = session.get_one(RepairRequest, shipment.rr_id, with_for_update=True)
    return rr


def _voided(session: Session, shipment: Shipment, now: datetime) -> None:
    shipment.state, shipment.refund_status = rules.VOIDED, "SUCCESS"
    rr = _rr(session, shipment)
    if rr.status == RRStatus.SHIPPED and can_transition(rr.status, RRStatus.READY_TO_SHIP):
        move(session, rr, RRStatus.READY_TO_SHIP, actor=SYSTEM, at=now,
            note=f"Label {shipment.tracking_number} voided: the carrier refunded it",
        )  # fmt: skip
    quote = quotes_repo.latest_for_shipment(session, shipment.id)
    if quote is not None:
        quotes.release_payment(session, quote=quote, reason="label voided")
    log.info(
        "shipment.label.voided",
        extra={"event": "shipment.label.voided", "shipment_id": shipment.id},
    )


def _rejected(shipment: Shipment, now: datetime) -> None:
    """The carrier keeps the label (and its charge): it is in force again; staff decide."""
    shipment.state, shipment.refund_status = rules.LABELED, "REFUNDREJECTED"
    message = (
        f"The carrier refused to refund label {shipment.tracking_number}: it remains valid and "
        "billed. Ship with it, or take the refund up with the carrier."
    )
    shipment.details = {
        **(shipment.details or {}), "error": message, "refund_rejected_at": now.isoformat(),
    }  # fmt: skip
    log.warning(
        "shipment.label.refund_rejected",
        extra={"event": "shipment.label.refund_rejected", "shipment_id": shipment.id},
    )
