"""Online requests, the staff's side (P-REVIEW): the queue, approve, request information,
decline. Never commits. Each move is checked against the request's status (409 otherwise),
emails the customer once, and approving issues one RR per serial in one transaction."""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.orm import Session

from freight.agreement.rules import Agreement
from freight.errors import ConflictError, invalid
from freight.repairs.models import RepairRequest
from freight.repairs.schemas import RepairRequestIn
from freight.repairs.service import Origin, open_rr
from freight.settings import Settings
from freight.submissions import repository as repo
from freight.submissions.models import RRSubmission, SubmissionMessage, SubmissionUnit
from freight.submissions.rules import OPEN, SubmissionStatus
from freight.submissions.service import as_conflict, check_serials_free, email, get_submission
from freight.submissions.views import flags_for

log = logging.getLogger("freight.submissions")
_STATUSES = tuple(s.value for s in SubmissionStatus)


def queue(
    session: Session, *, status: str | None, limit: int, cursor: str | None
) -> tuple[Sequence[RRSubmission], str | None]:
    """Requests oldest first; without `status`, the ones waiting for staff or the customer."""
    statuses = [status] if status else [s.value for s in OPEN]
    after = _decode(session, cursor) if cursor else None
    rows = repo.queue(session, statuses=statuses, limit=limit + 1, after=after)
    items = rows[:limit]
    nxt = _encode(items[-1]) if len(rows) > limit and items else None
    return items, nxt


# The cursor is the last request of the page: any request id is a position in the queue.
CURSOR_PATTERN = r"^sub_[0-9a-f]{1,36}$"


def _encode(sub: RRSubmission) -> str:
    return sub.id


def _decode(session: Session, cursor: str) -> tuple[str, str]:
    if not re.fullmatch(CURSOR_PATTERN, cursor):
        raise invalid("cursor", "is not a cursor this API returned")
    last = get_submission(session, cursor)  # 404 when no such request
    return last.created_at.isoformat(), last.id


def _message(
    sub: RRSubmission, *, kind: str, actor: str, text: str, now: datetime
) -> SubmissionMessage:
    note = SubmissionMessage(at=now, author="staff", actor=actor, kind=kind, text=text)
    sub.messages.append(note)
    sub.updated_at = now
    return note


def approve(
    session: Session,
    *,
    submission_id: str,
    note: str,
    proof_confirmed: bool,
    actor: str,
    now: datetime,
    settings: Settings,
) -> tuple[RRSubmission, list[RepairRequest]]:
    """P-REVIEW: one RR per serial (30-day window from now), the numbers emailed once."""
    sub = get_submission(session, submission_id, lock=True)
    target = as_conflict("approve", sub.status)
    blocking = [f for f in flags_for(session, sub, settings=settings, now=now) if f.blocks_approval]
    if blocking and not proof_confirmed:
        raise invalid("proof_confirmed", blocking[0].message)
    serials = [u.serial_number for u in sub.units]
    check_serials_free(session, serials, own=sub.id)
    origin = Origin(source="online", submission_id=sub.id, agreement=_agreement(sub))
    rrs = []
    for unit in sub.units:
        unit.open_serial = None  # the RR holds the serial from now on (P-SERIAL)
    session.flush()
    for unit in sub.units:
        rr = open_rr(
            session,
            data=_rr_input(sub, unit),
            actor=actor,
            now=now,
            settings=settings,
            origin=origin,
            send_email=False,
        )
        unit.rr_number = rr.rr_number
        rrs.append(rr)
    sub.status, sub.reviewed_by, sub.reviewed_at = target.value, actor, now
    if blocking:
        sub.proof_confirmed_by = actor
    _message(
        sub,
        kind="approved",
        actor=actor,
        now=now,
        text=note or f"Approved: {', '.join(r.rr_number for r in rrs)}",
    )
    session.flush()
    units = [
        {"serial_number": u.serial_number, "part_number": u.part_number, "rr_number": u.rr_number}
        for u in sub.units
    ]
    email(
        session,
        sub,
        "submission_approved",
        settings=settings,
        now=now,
        extra={
            "units": units,
            "rr_numbers": ", ".join(r.rr_number for r in rrs),
            "note": note,
            "inbound_deadline": rrs[0].inbound_deadline.date().isoformat(),
        },
    )
    log.info("submission.approved id=%s rrs=%s", sub.id, [r.rr_number for r in rrs])
    return sub, rrs


def _agreement(sub: RRSubmission) -> Agreement:
    a = sub.agreement
    return Agreement(
        a["policy_version"],
        a["policy_sha256"],
        datetime.fromisoformat(a["agreed_at"]),
        a.get("client_address", ""),
        a.get("user_agent", ""),
    )


def _rr_input(sub: RRSubmission, u: SubmissionUnit) -> RepairRequestIn:
    body: dict[str, object] = {
        "kind": sub.kind,
        "serial_number": u.serial_number,
        "part_number": u.part_number,
        "product_description": u.product_description or u.part_number,
        "customer": {
            "name": sub.customer_name,
            "email": sub.customer_email,
            "phone": sub.customer_phone,
        },
        "return_address": sub.return_address,
        "proof_of_purchase": sub.proof_of_purchase,
        "insurance_requested": sub.insurance_requested,
        "special_requirements": sub.special_requirements,
        "customer_received_at": sub.customer_received_at,
    }
    if sub.declared_value_amount is not None:
        body["declared_value"] = {
            "amount": str(sub.declared_value_amount),
            "currency": sub.declared_value_currency,
        }
    return RepairRequestIn.model_validate(body)


def request_info(
    session: Session,
    *,
    submission_id: str,
    message: str,
    actor: str,
    now: datetime,
    settings: Settings,
) -> RRSubmission:
    """Ask the customer for more (e.g. the proof of purchase); they answer with a reply."""
    sub = get_submission(session, submission_id, lock=True)
    target = as_conflict("request_info", sub.status)
    note = _message(sub, kind="info_requested", actor=actor, text=message.strip(), now=now)
    sub.status = target.value
    session.flush()
    email(
        session,
        sub,
        "submission_info_requested",
        settings=settings,
        now=now,
        extra={"message": note.text},
        discriminator=str(note.id),
    )
    return sub


def decline(
    session: Session,
    *,
    submission_id: str,
    reason: str,
    actor: str,
    now: datetime,
    settings: Settings,
) -> RRSubmission:
    """Decline with a reason; the serials are free again."""
    sub = get_submission(session, submission_id, lock=True)
    target = as_conflict("decline", sub.status)
    _message(sub, kind="declined", actor=actor, text=reason.strip(), now=now)
    sub.status, sub.decline_reason = target.value, reason.strip()
    sub.reviewed_by, sub.reviewed_at = actor, now
    for unit in sub.units:
        unit.open_serial = None
    session.flush()
    email(
        session,
        sub,
        "submission_declined",
        settings=settings,
        now=now,
        extra={"reason": sub.decline_reason},
    )
    return sub


def unknown_status(status: str | None) -> None:
    if status is not None and status not in _STATUSES:
        raise invalid("status", f"unknown status '{status}'; one of {', '.join(_STATUSES)}")


__all__ = ["ConflictError", "approve", "decline", "queue", "request_info", "unknown_status"]
