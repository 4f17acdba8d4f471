"""Online requests, the customer's side: submit (P-AGREE), follow, answer, add documents.
Never commits; staff review lives in review.py."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from freight.agreement.rules import agreement, check_agreement
from freight.agreement.service import current_policy
from freight.errors import (
    AppError,
    ConflictError,
    FieldError,
    NotFoundError,
    ValidationFailedError,
)
from freight.notifications.service import base_context, send_email
from freight.repairs import repository as rr_repo
from freight.repairs.rules import credit_return_problems
from freight.rules import TransitionError
from freight.settings import Settings
from freight.submissions import repository as repo
from freight.submissions.models import (
    RRSubmission,
    SubmissionMessage,
    SubmissionUnit,
)
from freight.submissions.rules import (
    SubmissionStatus,
    check_move,
    duplicate_serials,
    issue_token,
)
from freight.submissions.schemas import SubmissionIn
from freight.terms.service import outbound_terms
from freight.text import refuse_control_characters

log = logging.getLogger("freight.submissions")
CONFLICT = "https://rr-freight.example/problems/conflict"
_FREE = ("special_requirements", "units[].fault_description")


class SerialConflictError(AppError):
    """409 naming each unit whose serial is already taken (no other customer's data in it)."""

    def __init__(self, fields: list[FieldError]) -> None:
        detail = "; ".join(f"{f.field}: {f.message}" for f in fields)
        super().__init__(detail, 409, "Conflict", CONFLICT, fields, {"rule": "P-SERIAL"})


@dataclass(frozen=True)
class Caller:
    """Who calls a request route: its customer (by token) or staff."""

    kind: str  # customer | staff
    name: str
    submission_id: str | None = None


def get_submission(session: Session, submission_id: str, *, lock: bool = False) -> RRSubmission:
    sub = repo.get(session, submission_id, lock=lock)
    if sub is None:
        raise NotFoundError(f"Request {submission_id} does not exist.", submission_id=submission_id)
    return sub


def check_access(caller: Caller, submission_id: str) -> None:
    """A request token sees only its own request (another id looks unknown: no enumeration)."""
    if caller.kind == "customer" and caller.submission_id != submission_id:
        raise NotFoundError(f"Request {submission_id} does not exist.", submission_id=submission_id)


def _validate(data: SubmissionIn, settings: Settings) -> None:
    """Every 422 a request can get, before anything is stored."""
    refuse_control_characters(data.model_dump(mode="json"), free=_FREE)
    problems = check_agreement(
        agreed=data.agreed, policy_version=data.policy_version, current=current_policy(settings)
    )
    problems += [
        (f"units[{i}].serial_number", f"{serial} is given twice; one Repair Request per serial")
        for i, serial in duplicate_serials([u.serial_number for u in data.units])
    ]
    if data.insurance_requested and (
        data.declared_value is None or data.declared_value.amount <= 0
    ):
        problems.append(("declared_value", "insurance was requested: give the declared value"))
    if data.declared_value is not None and data.declared_value.amount < 0:
        problems.append(("declared_value", "must not be negative"))
    if data.kind == "credit_return":
        pop = data.proof_of_purchase
        problems += credit_return_problems(
            document_type=pop.document_type,
            has_price=pop.price is not None,
            payment_reference=pop.payment_reference,
            customer_received_at=data.customer_received_at,
            purchase_date=pop.purchase_date,
        )
    try:
        outbound_terms(settings, kind=data.kind, country=data.return_address.country)
    except ValidationFailedError as exc:  # P-EXPORT
        problems += [(e.field, e.message) for e in exc.errors]
    if problems:
        raise ValidationFailedError(
            "; ".join(f"{f}: {m}" for f, m in problems), [FieldError(f, m) for f, m in problems]
        )


def check_serials_free(session: Session, serials: list[str], *, own: str | None = None) -> None:
    """P-SERIAL: 409 naming each unit whose serial has an open RR or is in another open request."""
    taken = repo.open_units_for(session, serials)
    fields = []
    for i, serial in enumerate(serials):
        if rr_repo.open_rr_for_serial(session, serial) is not None:
            fields.append(
                FieldError(
                    f"units[{i}].serial_number", f"{serial} already has an open Repair Request"
                )
            )
        elif serial in taken and taken[serial].submission_id != own:
            fields.append(
                FieldError(
                    f"units[{i}].serial_number", f"{serial} is already in another open request"
                )
            )
    if fields:
        raise SerialConflictError(fields)


def submit(
    session: Session,
    *,
    data: SubmissionIn,
    client_address: str,
    user_agent: str,
    now: datetime,
    settings: Settings,
) -> tuple[RRSubmission, str, datetime]:
    """Take an online request (P-AGREE): stored whole or not at all; the customer is emailed."""
    _validate(data, settings)
    serials = [u.serial_number.upper() for u in data.units]
    check_serials_free(session, serials)
    record, _ = agreement(
        current_policy(settings), now=now, client_address=client_address, user_agent=user_agent
    )
    sub = _new_submission(data, record.as_json(), now)
    sub.units = [
        SubmissionUnit(
            position=i,
            serial_number=serials[i],
            open_serial=serials[i],
            part_number=u.part_number,
            product_description=u.product_description or "",
            fault_description=u.fault_description,
        )
        for i, u in enumerate(data.units)
    ]
    sub.messages = [
        SubmissionMessage(
            at=now,
            author="customer",
            actor=data.customer.email,
            kind="submitted",
            text="Request submitted",
        )
    ]
    try:
        with session.begin_nested():
            repo.add(session, sub)
            session.flush()
    except IntegrityError as exc:  # a concurrent request took one of the serials first
        raise SerialConflictError(
            [FieldError("units", "a serial was just taken by another open request")]
        ) from exc
    token, expires = token_for(sub, settings=settings, now=now)
    email(
        session,
        sub,
        "submission_received",
        settings=settings,
        now=now,
        token=token,
        extra={
            "units": _unit_lines(session, sub, settings, now),
            "kind_text": "return for credit" if sub.kind == "credit_return" else "repair",
            "policy_version": sub.policy_version,
        },
    )
    log.info("submission.received id=%s units=%d", sub.id, len(sub.units))
    return sub, token, expires


def _new_submission(
    data: SubmissionIn, agreement_json: dict[str, str], now: datetime
) -> RRSubmission:
    dv = data.declared_value
    return RRSubmission(
        status=SubmissionStatus.SUBMITTED.value,
        kind=data.kind,
        customer_name=data.customer.name,
        customer_email=data.customer.email,
        customer_phone=data.customer.phone,
        return_address=data.return_address.model_dump(mode="json"),
        proof_of_purchase=data.proof_of_purchase.model_dump(mode="json", exclude_none=True),
        insurance_requested=data.insurance_requested,
        declared_value_amount=dv.amount if dv else None,
        declared_value_currency=dv.currency if dv else None,
        special_requirements=data.special_requirements,
        customer_received_at=data.customer_received_at,
        policy_version=agreement_json["policy_version"],
        agreed_at=datetime.fromisoformat(agreement_json["agreed_at"]),
        agreement=agreement_json,
        created_at=now,
        updated_at=now,
    )


def _unit_lines(
    session: Session, sub: RRSubmission, settings: Settings, now: datetime
) -> list[dict[str, Any]]:
    from freight.submissions.views import submission_out

    out = submission_out(session, sub, staff=False, settings=settings, now=now)
    return [
        {
            "serial_number": u.serial_number,
            "part_number": u.part_number,
            "warranty_status": u.warranty.status,
            "rr_number": u.rr_number,
        }
        for u in out.units
    ]


def token_for(sub: RRSubmission, *, settings: Settings, now: datetime) -> tuple[str, datetime]:
    days = settings.submission_token_days
    token = issue_token(sub.id, secret=settings.secret_key, now=now, days=days)
    return token, now + timedelta(days=days)


def email(
    session: Session,
    sub: RRSubmission,
    kind: str,
    *,
    settings: Settings,
    now: datetime,
    token: str | None = None,
    extra: dict[str, Any] | None = None,
    discriminator: str = "",
) -> None:
    """Queue one email about this request (once per kind and discriminator)."""
    token = token or token_for(sub, settings=settings, now=now)[0]
    base = settings.public_base_url.rstrip("/")
    context = {
        **base_context(settings, ""),
        "submission_id": sub.id,
        "customer_name": sub.customer_name,
        "status_page": f"{base}/request/{sub.id}#token={token}",
        "token_days": settings.submission_token_days,
        **(extra or {}),
    }
    context.pop("tracking_page", None)
    send_email(
        session,
        to=sub.customer_email,
        kind=kind,
        context=context,
        key=f"notify:{sub.id}:{kind}:{discriminator}",
    )


def reply(
    session: Session,
    *,
    caller: Caller,
    submission_id: str,
    message: str,
    now: datetime,
    settings: Settings,
) -> RRSubmission:
    """The customer answers a question: the request goes back to the review queue."""
    check_access(caller, submission_id)
    sub = get_submission(session, submission_id, lock=True)
    target = as_conflict("reply", sub.status)
    text = message.strip()
    note = SubmissionMessage(at=now, author="customer", actor=caller.name, kind="reply", text=text)
    sub.messages.append(note)
    sub.status, sub.updated_at = target.value, now
    session.flush()
    email(
        session,
        sub,
        "submission_reply_received",
        settings=settings,
        now=now,
        discriminator=str(note.id),
    )
    return sub


def as_conflict(action: str, current: str) -> SubmissionStatus:
    """The status `action` leads to, or a 409 naming the moves the current status allows."""
    try:
        return check_move(action, current)
    except TransitionError as exc:
        raise ConflictError(str(exc), current=exc.current, allowed=exc.allowed) from exc
