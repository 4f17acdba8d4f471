"""Staff decisions that can be turned around while the unit is still on site (issue 11 §2).

- R-CORRECT: a receipt decision is corrected both ways — rejected → received (the unbought
  return-to-sender draft is dropped, the repair clock starts) and received → rejected (the
  return to sender is prepared) — until a label for the unit's way out has been bought.
- R-CANCEL-ONSITE: cancelling an RR whose unit is at the depot never strands it: the RR goes to
  rejected with its return to sender prepared and the customer told, instead of a bare cancel.
Each needs a note, kept in the RR's history."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from freight.credits.service import start_refund
from freight.errors import ConflictError, invalid
from freight.notifications.service import notify
from freight.policy import business_calendar
from freight.repairs import repository as repo
from freight.repairs.lifecycle import move
from freight.repairs.models import Receipt, RepairRequest
from freight.repairs.rules import ON_SITE, RRStatus, cancel_target, correction_target
from freight.settings import Settings
from freight.shipments.models import Shipment
from freight.shipments.rules import IN_FLIGHT
from freight.tracking.receiving import prepare_return_to_sender


def _note(note: str, what: str) -> str:
    text = note.strip()
    if not text:
        raise invalid("note", f"say why {what} (it is kept in the RR's history)")
    return text


def _receipt(session: Session, rr: RepairRequest) -> Receipt:
    receipts = repo.receipts_for(session, rr.id)
    if not receipts:
        raise ConflictError(f"Repair Request {rr.rr_number} has no receipt to correct.",
                            current=rr.status)  # fmt: skip
    return receipts[-1]


def _outbound(session: Session, rr: RepairRequest) -> list[Shipment]:
    stmt = select(Shipment).where(Shipment.rr_id == rr.id, Shipment.direction == "outbound")
    return list(session.scalars(stmt))


def _not_left(session: Session, rr: RepairRequest) -> None:
    """Refuse once a label for the way out is bought or being bought (void it first)."""
    busy = [s for s in _outbound(session, rr) if s.state in IN_FLIGHT]
    if busy:
        raise ConflictError(
            f"Repair Request {rr.rr_number} already has an outbound shipment "
            f"({busy[0].state}); void its label before changing the receipt decision.",
            current=rr.status, shipment_id=busy[0].id,
        )  # fmt: skip


def correct_receipt(
    session: Session, *, rr: RepairRequest, note: str, actor: str, now: datetime,
    settings: Settings,
) -> RepairRequest:  # fmt: skip
    """R-CORRECT: turn the receipt decision around (the unit has not left the building)."""
    target = correction_target(RRStatus(rr.status))
    if target is None:
        raise ConflictError(
            f"Repair Request {rr.rr_number} is '{rr.status}': only a received or rejected "
            "unit's receipt decision can be corrected.", current=rr.status,
        )  # fmt: skip
    why = _note(note, "the receipt decision changes")
    receipt = _receipt(session, rr)
    _not_left(session, rr)
    stamp = now.isoformat()
    if target is RRStatus.RECEIVED:
        for draft in _outbound(session, rr):
            if draft.purpose == "return_to_sender" and draft.state == "draft":
                session.delete(draft)  # never rated or bought: nothing left the building
        receipt.accepted = True
        if rr.kind == "repair":
            rr.repair_due = business_calendar(settings).repair_due(
                now, settings.repair_sla_working_days
            )
        move(session, rr, RRStatus.RECEIVED, actor=actor, at=now, rule="R-CORRECT",
             note=f"Receipt corrected to received: {why}")  # fmt: skip
        session.flush()
        if rr.kind == "credit_return":
            start_refund(session, rr=rr, now=now, settings=settings)
        else:
            due = rr.repair_due.isoformat() if rr.repair_due else ""
            notify(session, rr=rr, kind="receipt_accepted", discriminator=f"corrected:{stamp}",
                   context={"received_on": now.date().isoformat(), "repair_due": due})  # fmt: skip
        return rr
    receipt.accepted = False
    move(session, rr, RRStatus.REJECTED, actor=actor, at=now, rule="R-CORRECT",
         note=f"Receipt corrected to rejected: {why}")  # fmt: skip
    rr.repair_due = None
    session.flush()
    draft = prepare_return_to_sender(session, rr=rr, now=now, settings=settings, receipt=receipt)
    notify(
        session, rr=rr, kind="receipt_rejected", discriminator=f"corrected:{stamp}",
        context={"received_on": receipt.received_at.date().isoformat(), "reasons": [why],
                 "return_terms": draft.freight_terms.get("reason", "")},
    )  # fmt: skip
    return rr


def cancel_on_site(
    session: Session, *, rr: RepairRequest, note: str, actor: str, now: datetime,
    settings: Settings,
) -> RepairRequest:  # fmt: skip
    """R-CANCEL-ONSITE: the RR ends, and its unit goes back to the sender."""
    if cancel_target(RRStatus(rr.status)) is not RRStatus.REJECTED:
        raise ConflictError(f"Repair Request {rr.rr_number}'s unit is not on site.",
                            current=rr.status)  # fmt: skip
    why = _note(note, "the repair is cancelled")
    receipt = _receipt(session, rr)
    _not_left(session, rr)
    move(session, rr, RRStatus.REJECTED, actor=actor, at=now, rule="R-CANCEL-ONSITE",
         note=f"Cancelled with the unit on site; returning it to the sender: {why}")  # fmt: skip
    rr.repair_due = None
    session.flush()
    draft = prepare_return_to_sender(session, rr=rr, now=now, settings=settings, receipt=receipt)
    notify(
        session, rr=rr, kind="rr_cancelled_on_site",
        context={"reason": why, "return_terms": draft.freight_terms.get("reason", "")},
    )  # fmt: skip
    return rr


__all__ = ["ON_SITE", "cancel_on_site", "correct_receipt"]
