"""Repair Request use cases: open, list, read, receive, move. Never commits."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from freight.agreement.rules import Agreement
from freight.credits.service import start_refund
from freight.errors import ConflictError, FieldError, NotFoundError, ValidationFailedError, invalid
from freight.limits import ROW_ID_MAX
from freight.notifications.service import notify
from freight.policy import business_calendar
from freight.repairs import repository as repo
from freight.repairs.corrections import cancel_on_site
from freight.repairs.lifecycle import issue, move
from freight.repairs.models import Receipt, RepairRequest
from freight.repairs.rules import (
    AWAITING_UNIT,
    ReceiptDecision,
    ReceiptInspection,
    RRStatus,
    TransitionError,
    cancel_target,
    check_staff_transition,
    credit_return_problems,
    credit_window_start,
    decide_receipt,
    inbound_deadline,
    new_rr_number,
)
from freight.repairs.schemas import ReceiptIn, RepairRequestIn
from freight.repairs.warranty_check import purchase_date_of, receipt_warranty
from freight.settings import Settings
from freight.terms.service import outbound_terms
from freight.text import refuse_control_characters
from freight.tracking.receiving import after_receipt  # claims, return-to-sender draft, email

CLOSED_STATUSES = frozenset({RRStatus.CANCELLED, RRStatus.CLOSED, RRStatus.REFUNDED})
_STATUS_VALUES = frozenset(s.value for s in RRStatus)


def get_rr(session: Session, rr_number: str, *, lock: bool = False) -> RepairRequest:
    """The RR or a 404 naming it."""
    rr = repo.get_by_number(session, rr_number, lock=lock)
    if rr is None:
        raise NotFoundError(f"Repair Request {rr_number} does not exist.", rr_number=rr_number)
    return rr


@dataclass(frozen=True)
class Origin:
    """Where an RR comes from: staff, or an approved online request with its agreement."""

    source: str = "staff"
    submission_id: str | None = None
    agreement: Agreement | None = None


def check_credit_return(data: RepairRequestIn) -> None:
    """P-CREDIT: a credit return must be a web-store purchase with price and payment (422)."""
    if data.kind != "credit_return":
        return
    pop = data.proof_of_purchase
    problems = credit_return_problems(
        document_type=pop.document_type, has_price=pop.price is not None,
        payment_reference=pop.payment_reference, customer_received_at=data.customer_received_at,
        purchase_date=pop.purchase_date,
    )  # fmt: skip
    if problems:
        raise ValidationFailedError(
            "; ".join(f"{f}: {m}" for f, m in problems),
            [FieldError(f, m) for f, m in problems], rule="P-CREDIT",
        )  # fmt: skip


def open_rr(
    session: Session,
    *,
    data: RepairRequestIn,
    actor: str,
    now: datetime,
    settings: Settings,
    origin: Origin | None = None,
    send_email: bool = True,
) -> RepairRequest:
    """Open an RR (P-SERIAL, P-POP, P-EXPORT, P-CREDIT checked); 409 if the serial has one."""
    origin = origin or Origin()
    check_credit_return(data)
    serial = data.serial_number.upper()
    existing = repo.open_rr_for_serial(session, serial)
    if existing is not None:
        raise ConflictError(
            f"Serial number {serial} already has an open Repair Request "
            f"({existing.rr_number}, {existing.status}); one RR per serial number (P-SERIAL).",
            rr_number=existing.rr_number,
        )
    terms = outbound_terms(settings, kind=data.kind, country=data.return_address.country)
    rr = RepairRequest(
        rr_number=_unique_rr_number(session),
        kind=data.kind,
        serial_number=serial,
        open_serial=serial,
        part_number=data.part_number,
        product_description=data.product_description,
        customer_name=data.customer.name,
        customer_email=data.customer.email,
        customer_phone=data.customer.phone,
        return_address=data.return_address.model_dump(mode="json"),
        proof_of_purchase=data.proof_of_purchase.model_dump(mode="json", exclude_none=True),
        insurance_requested=data.insurance_requested,
        declared_value_amount=data.declared_value.amount if data.declared_value else None,
        declared_value_currency=data.declared_value.currency if data.declared_value else None,
        special_requirements=data.special_requirements,
        freight_terms=terms.as_json(),
        issued_at=now,
        inbound_deadline=inbound_deadline(now, settings.inbound_window_days),
        customer_received_at=data.customer_received_at,
        created_by=actor,
        source=origin.source,
        submission_id=origin.submission_id,
        policy_version=origin.agreement.policy_version if origin.agreement else None,
        agreed_at=origin.agreement.agreed_at if origin.agreement else None,
        agreement=origin.agreement.as_json() if origin.agreement else None,
    )
    session.add(rr)
    issue(session, rr, actor=actor, at=now)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError as exc:  # a concurrent open for the same serial won the race
        raise ConflictError(
            f"Serial number {serial} already has an open Repair Request (P-SERIAL)."
        ) from exc
    if send_email:
        notify(session, rr=rr, kind="rr_issued",
               context={"inbound_deadline": rr.inbound_deadline.date().isoformat()})  # fmt: skip
    return rr


def _unique_rr_number(session: Session) -> str:
    for _ in range(10):
        number = new_rr_number()
        if not repo.rr_number_taken(session, number):
            return number
    raise RuntimeError("could not allocate an RR number")  # pragma: no cover


@dataclass(frozen=True)
class Page:
    items: Sequence[RepairRequest]
    next_cursor: str | None


def list_rrs(
    session: Session, *, status: str | None, q: str | None, limit: int, cursor: str | None
) -> Page:
    """A page of RRs, newest first; the cursor is opaque to callers."""
    if status is not None and status not in _STATUS_VALUES:
        raise invalid("status", f"unknown status '{status}'; one of {', '.join(RRStatus)}")
    after = _decode_cursor(cursor) if cursor else None
    rows = repo.list_page(session, status=status, q=q, limit=limit + 1, after_id=after)
    more = len(rows) > limit
    items = rows[:limit]
    nxt = _encode_cursor(items[-1].id) if more and items else None
    return Page(items=items, next_cursor=nxt)


# Any value of this shape is a position in the list (the RRs older than it), so the OpenAPI
# pattern describes every cursor the API accepts; 15 hex digits stay inside a 64-bit integer.
CURSOR_PATTERN = r"^r[0-9a-f]{1,15}$"


def _encode_cursor(rr_id: int) -> str:
    return f"r{rr_id:x}"


def _decode_cursor(cursor: str) -> int:
    if re.fullmatch(CURSOR_PATTERN, cursor) is None:
        raise invalid("cursor", "is not a cursor this API returned")
    return min(int(cursor[1:], 16), ROW_ID_MAX)


def change_status(
    session: Session, *, rr_number: str, target: str, note: str, actor: str, now: datetime,
    settings: Settings,
) -> RepairRequest:  # fmt: skip
    """Staff moves (received→in_repair→ready_to_ship, delivered→closed, cancel); cancelling an
    RR whose unit is on site returns the unit to its sender (R-CANCEL-ONSITE)."""
    rr = get_rr(session, rr_number, lock=True)
    if target not in _STATUS_VALUES:
        raise invalid("status", f"unknown status '{target}'; one of {', '.join(RRStatus)}")
    try:
        check_staff_transition(RRStatus(rr.status), RRStatus(target))
    except TransitionError as exc:
        raise ConflictError(str(exc), current=rr.status, allowed=exc.allowed) from exc
    if target == RRStatus.CANCELLED and cancel_target(RRStatus(rr.status)) is RRStatus.REJECTED:
        return cancel_on_site(session, rr=rr, note=note, actor=actor, now=now, settings=settings)
    move(session, rr, target, actor=actor, at=now, note=note)
    return rr


def record_receipt(
    session: Session,
    *,
    rr_number: str,
    data: ReceiptIn,
    actor: str,
    now: datetime,
    settings: Settings,
) -> tuple[RepairRequest, Receipt, ReceiptDecision]:
    """Receiving desk: accept (SLA clock starts, P-SLA) or reject with every P-REJECT reason."""
    rr = get_rr(session, rr_number, lock=True)
    if rr.status not in AWAITING_UNIT:
        raise ConflictError(
            f"Repair Request {rr.rr_number} is '{rr.status}'; a receipt can only be logged "
            f"while it is issued or inbound_in_transit.",
            current=rr.status,
        )
    refuse_control_characters(data.model_dump(mode="json"),
                              free=("notes", "warranty_override_note"))  # fmt: skip
    warranty_reason, warranty_record = receipt_warranty(
        session, rr=rr, data=data, now=now, settings=settings
    )
    inspection = ReceiptInspection(
        warranty=warranty_reason,
        rr_marked_on_carton=data.rr_marked_on_carton,
        freight_collect=data.freight_collect,
        visible_damage=data.visible_damage,
        serial_number_seen=data.serial_number_seen,
        third_party_equipment=data.third_party_equipment,
        out_of_warranty=data.out_of_warranty,
        original_packaging=data.original_packaging,
    )
    decision = decide_receipt(
        inspection, expected_serial=rr.serial_number, kind=rr.kind,  # type: ignore[arg-type]
        now=now, customer_received_at=credit_window_start(rr.customer_received_at,
                                                        purchase_date_of(rr)),
        credit_days=settings.credit_return_days,
    )  # fmt: skip
    receipt = Receipt(
        rr_id=rr.id, rr_number_seen=rr.rr_number if data.rr_marked_on_carton else None,
        received_at=now, inspection={**data.model_dump(mode="json"), "warranty": warranty_record},
        accepted=decision.accepted,
        reasons=[{"rule": d.rule, "code": d.code, "reason": d.reason} for d in decision.reasons],
        actor=actor, notes=data.notes, carrier=data.carrier, tracking_number=data.tracking_number,
    )  # fmt: skip
    session.add(receipt)
    rr.received_at = now
    if decision.accepted and rr.kind == "credit_return":
        move(session, rr, RRStatus.RECEIVED, actor=actor, at=now, rule="P-CREDIT",
            note="Return for credit received in its original packaging; refund queued",
        )  # fmt: skip
    elif decision.accepted:
        rr.repair_due = business_calendar(settings).repair_due(
            now, settings.repair_sla_working_days
        )
        move(session, rr, RRStatus.RECEIVED, actor=actor, at=now, rule="P-SLA",
            note=f"Received; repair due {rr.repair_due.isoformat()}",
        )  # fmt: skip
    else:
        first = decision.reasons[0]
        move(session, rr, RRStatus.REJECTED, actor=actor, at=now, rule=first.rule,
            note="Rejected: " + "; ".join(d.reason for d in decision.reasons),
        )  # fmt: skip
    session.flush()
    after_receipt(session, rr=rr, receipt=receipt, decision=decision, now=now, settings=settings)
    if decision.accepted and rr.kind == "credit_return":
        start_refund(session, rr=rr, now=now, settings=settings)  # P-CREDIT, in the background
    return rr, receipt, decision
