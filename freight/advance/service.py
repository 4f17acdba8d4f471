"""Advance replacement (issue 17 §2, P-REPLACE with ADV-* rules) end to end. Never commits.

Staff offer it (ADV-ELIGIBLE, ADV-PRICE); the customer saves a card with a SetupIntent (on
session, in the customer's request, like accepting a quote: no money moves); from then the
window runs. The hourly `advance.sweep` releases the card when the defective unit was scanned by
a carrier or received in time (ADV-RELEASE), emails the reminder (ADV-REMIND), and at the due
time queues the one outbox job `advance.charge` (ADV-CHARGE). Only that job calls the processor
to charge, with the idempotency key `advance-charge:<RR>`; it first looks the charge up by that
key, so a rerun after a crash between the processor's answer and our commit records the charge
that was made instead of making a second one.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from freight.advance import rules
from freight.advance.models import AdvanceReplacement
from freight.errors import AppError, ConflictError, FieldError, NotFoundError, invalid
from freight.jobs.service import enqueue
from freight.money import Money
from freight.notifications.service import notify
from freight.payments.port import (
    CardDeclined,
    PaymentsPort,
    PaymentStateError,
    PaymentUnavailable,
    SetupIntent,
    UnknownPaymentMethod,
)
from freight.repairs import lifecycle
from freight.repairs import repository as rr_repo
from freight.repairs.models import RepairRequest
from freight.repairs.replacement import record_replacement
from freight.repairs.rules import AWAITING_UNIT
from freight.repairs.warranty_check import purchase_date_of
from freight.rules import Decision, RuleError
from freight.settings import Settings
from freight.warranty import service as warranty

log = logging.getLogger("freight.advance")
CHARGE_TASK = "advance.charge"


def for_rr(session: Session, rr_id: int, *, lock: bool = False) -> AdvanceReplacement | None:
    stmt = select(AdvanceReplacement).where(AdvanceReplacement.rr_id == rr_id)
    if lock:
        stmt = stmt.with_for_update()
    return session.scalar(stmt)


def get_for(session: Session, rr: RepairRequest) -> AdvanceReplacement:
    adv = for_rr(session, rr.id)
    if adv is None:
        raise NotFoundError(
            f"Repair Request {rr.rr_number} has no advance replacement.", rr_number=rr.rr_number
        )
    return adv


def _refused(exc: RuleError) -> AppError:
    error = invalid(exc.field or "rr_number", str(exc))
    error.extra["rule"] = exc.rule
    return error


def _decide(adv: AdvanceReplacement, decision: Decision) -> None:
    adv.decisions = [*(adv.decisions or []), decision.as_json()]


def price_of(adv: AdvanceReplacement) -> Money:
    return Money(adv.price, adv.currency).quantize()


def _price_text(adv: AdvanceReplacement) -> str:
    price = price_of(adv)
    return f"{price.amount} {price.currency}"


def offer(
    session: Session,
    *,
    rr: RepairRequest,
    part_number: str,
    serial_number: str | None,
    condition: Literal["new", "reconditioned"],
    note: str,
    actor: str,
    now: datetime,
    settings: Settings,
) -> AdvanceReplacement:
    """Staff offer the replacement before the unit arrives; the customer is asked for a card."""
    existing = for_rr(session, rr.id)
    if existing is not None:
        raise ConflictError(
            f"Repair Request {rr.rr_number} already has an advance replacement "
            f"({existing.state}).", state=existing.state, field="rr_number",
        )  # fmt: skip
    original = warranty.lookup(
        session, serial=rr.serial_number, part_number=rr.part_number,
        purchase_date=purchase_date_of(rr), now=now, settings=settings,
    )  # fmt: skip
    try:
        eligible = rules.check_eligible(
            kind=rr.kind, status=rr.status, warranty_status=original.coverage.status
        )
        price, priced = rules.price_for(part_number, settings.replacement_prices)
    except RuleError as exc:
        raise _refused(exc) from exc
    ends = original.coverage.ends_on
    adv = AdvanceReplacement(
        rr_id=rr.id, state="card_requested", part_number=part_number.strip().upper(),
        serial_number=None, condition=condition, note=note, price=price.amount,
        currency=price.currency, warranty_ends_on=ends.isoformat() if ends else None,
        charge_key=rules.charge_key(rr.rr_number), decisions=[], offered_by=actor,
        created_at=now, updated_at=now,
    )  # fmt: skip
    _decide(adv, eligible)
    _decide(adv, priced)
    session.add(adv)
    if serial_number:
        # P-REPLACE / P-WARRANTY: both serials on the RR, the new one keeps the original's end.
        record_replacement(
            session, rr=rr, serial_number=serial_number, condition=condition, note=note,
            actor=actor, now=now, settings=settings,
        )  # fmt: skip
        adv.serial_number = (rr.replacement or {}).get("serial_number")
    lifecycle.note(
        session, rr, f"Advance replacement offered ({part_number.strip().upper()}, "
        f"{_price_text(adv)} if the unit is not returned)",
        actor=actor, at=now, rule="P-REPLACE",
    )  # fmt: skip
    session.flush()
    notify(session, rr=rr, kind="advance_offered", context=email_context(adv, settings))
    log.info("advance.offered rr=%s part=%s", rr.rr_number, adv.part_number)
    return adv


def save_card(
    session: Session,
    *,
    rr: RepairRequest,
    payment_method: str | None,
    payments: PaymentsPort,
    now: datetime,
    settings: Settings,
) -> tuple[AdvanceReplacement, SetupIntent | None]:
    """The customer saves a card: create the SetupIntent once, confirm it with a token when one
    is given, and record the card once the processor says `succeeded` (then the window runs)."""
    adv = for_rr(session, rr.id, lock=True)
    if adv is None:
        raise NotFoundError(
            f"Repair Request {rr.rr_number} has no advance replacement.", rr_number=rr.rr_number
        )
    if adv.state != "card_requested":
        if adv.state == "card_saved" and not payment_method:
            return adv, None  # saved already: asking again changes nothing
        raise ConflictError(
            f"The advance replacement of {rr.rr_number} is '{adv.state}'; the card cannot be "
            "changed now.", state=adv.state,
        )  # fmt: skip
    try:
        if adv.setup_intent_ref is None:
            setup = payments.create_setup_intent(
                idempotency_key=f"advance-setup:{rr.rr_number}",
                metadata={"rr_number": rr.rr_number, "advance_id": adv.id},
                email=rr.customer_email,
            )
            adv.setup_intent_ref, adv.customer_ref = setup.ref, setup.customer
        else:
            setup = payments.retrieve_setup_intent(adv.setup_intent_ref)
        if payment_method and setup.status != "succeeded":
            setup = payments.confirm_setup_intent(
                setup.ref, payment_method,
                idempotency_key=f"advance-setup:{rr.rr_number}:{payment_method}:{now.timestamp()}",
            )  # fmt: skip
    except CardDeclined as exc:
        session.flush()  # keep the SetupIntent: the customer may try another card on it
        raise AppError(
            exc.reason, 402, "Payment declined", "https://rr-freight.example/problems/payment-declined",
            [FieldError("payment_method", exc.reason)],
            {"code": exc.code, "decline_code": exc.decline_code},
        ) from exc  # fmt: skip
    except UnknownPaymentMethod as exc:
        raise invalid("payment_method", exc.reason) from exc
    except PaymentStateError as exc:
        raise ConflictError(exc.reason, code=exc.code) from exc
    except PaymentUnavailable as exc:
        raise AppError(
            f"The payment processor is unavailable: {exc.reason}", 503,
            "Payment processor unavailable",
        ) from exc  # fmt: skip
    if setup.status == "succeeded":
        _card_saved(session, rr, adv, setup, now=now, settings=settings)
    adv.updated_at = now
    session.flush()
    return adv, setup


def _card_saved(
    session: Session, rr: RepairRequest, adv: AdvanceReplacement, setup: SetupIntent, *,
    now: datetime, settings: Settings,
) -> None:  # fmt: skip
    plan = rules.timeline(
        now, return_days=settings.advance_return_days, reminder_day=settings.advance_reminder_day
    )
    adv.state, adv.card_saved_at = "card_saved", now
    adv.remind_at, adv.due_at = plan.remind_at, plan.due_at
    adv.payment_method = setup.payment_method
    adv.customer_ref = setup.customer or adv.customer_ref
    words = (
        f"Return the defective unit by {_day(plan.due_at)}; otherwise {_price_text(adv)} is "
        "charged once to the saved card."
    )
    _decide(adv, Decision(rules.CHARGE, words))
    notify(session, rr=rr, kind="advance_card_saved", context=email_context(adv, settings))
    log.info("advance.card_saved rr=%s due=%s", rr.rr_number, plan.due_at.isoformat())


def evidence(session: Session, rr: RepairRequest) -> tuple[datetime | None, datetime | None]:
    """(first carrier scan of the inbound return, first receipt at the depot) — ADV-RELEASE."""
    receipts = [r.received_at for r in rr_repo.receipts_for(session, rr.id)]
    received = min([t for t in (rr.received_at, *receipts) if t is not None], default=None)
    return rr.first_carrier_scan_at, received


def _plan(adv: AdvanceReplacement) -> rules.Timeline | None:
    if adv.card_saved_at is None or adv.due_at is None:
        return None
    return rules.Timeline(adv.card_saved_at, adv.remind_at, adv.due_at)


def step_for(session: Session, adv: AdvanceReplacement, rr: RepairRequest, now: datetime) -> str:
    scan, received = evidence(session, rr)
    return rules.next_step(
        state=adv.state, now=now, plan=_plan(adv), reminded=adv.reminded_at is not None,
        first_scan_at=scan, received_at=received,
    )  # fmt: skip


def _release(
    session: Session, rr: RepairRequest, adv: AdvanceReplacement, *, now: datetime,
    settings: Settings,
) -> None:  # fmt: skip
    scan, received = evidence(session, rr)
    decision = rules.returned_in_time(adv.due_at, first_scan_at=scan, received_at=received)
    adv.state, adv.released_at, adv.updated_at = "released", now, now
    if decision is not None:
        _decide(adv, decision)
    notify(session, rr=rr, kind="advance_released", context=email_context(adv, settings))
    log.info("advance.released rr=%s", rr.rr_number)


def _rr_of(session: Session, adv: AdvanceReplacement) -> RepairRequest:
    rr = session.get(RepairRequest, adv.rr_id)
    if rr is None:  # pragma: no cover - a foreign key guarantees it
        raise LookupError(f"advance replacement {adv.id} has no Repair Request")
    return rr


def sweep(session: Session, *, now: datetime, settings: Settings) -> int:
    """Hourly: release, remind or queue the charge of every open advance replacement."""
    stmt = (
        select(AdvanceReplacement)
        .where(AdvanceReplacement.state.in_(sorted(rules.OPEN_STATES)))
        .order_by(AdvanceReplacement.created_at)
        .with_for_update(skip_locked=True)
    )
    acted = 0
    for adv in session.scalars(stmt).all():
        rr = _rr_of(session, adv)
        step = step_for(session, adv, rr, now)
        if step == "release":
            _release(session, rr, adv, now=now, settings=settings)
        elif step == "remind":
            adv.reminded_at, adv.updated_at = now, now
            _decide(adv, Decision(rules.REMIND, f"Reminder sent: the unit is due by "
                                  f"{_day(adv.due_at)}."))  # fmt: skip
            notify(session, rr=rr, kind="advance_reminder", context=email_context(adv, settings))
        elif step == "charge":
            if adv.charge_queued_at is None:
                adv.charge_queued_at, adv.updated_at = now, now
            enqueue(session, task=CHARGE_TASK, args={"advance_id": adv.id}, key=adv.charge_key)
        else:
            continue
        acted += 1
    return acted


def charge(
    session: Session, *, advance_id: str, payments: PaymentsPort, now: datetime,
    settings: Settings,
) -> None:  # fmt: skip
    """Job body (ADV-CHARGE): charge the saved card once; a rerun records, never repeats."""
    adv = session.scalar(
        select(AdvanceReplacement).where(AdvanceReplacement.id == advance_id).with_for_update()
    )
    if adv is None or adv.state != "card_saved":
        return  # charged, released or failed already: nothing to do
    rr = _rr_of(session, adv)
    step = step_for(session, adv, rr, now)
    if step == "release":  # the unit turned out to be scanned in time
        _release(session, rr, adv, now=now, settings=settings)
        return
    if step != "charge":
        return  # not due (a job run early by hand): the sweep queues it again in time
    amount = price_of(adv)
    done = payments.find_charge(adv.charge_key)  # a crash after the charge: record that one
    if done is None:
        try:
            done = payments.charge_off_session(
                amount, customer=adv.customer_ref or "", payment_method=adv.payment_method or "",
                idempotency_key=adv.charge_key,
                metadata={"rr_number": rr.rr_number, "advance_id": adv.id},
            )  # fmt: skip
        except (CardDeclined, UnknownPaymentMethod, PaymentStateError) as exc:
            adv.state, adv.failure_reason, adv.updated_at = "charge_failed", exc.reason, now
            _decide(adv, Decision(rules.CHARGE, f"The charge of {_price_text(adv)} failed: "
                                  f"{exc.reason}", code=exc.code or "declined"))  # fmt: skip
            notify(session, rr=rr, kind="advance_charge_failed",
                   context={**email_context(adv, settings), "reason": exc.reason})  # fmt: skip
            log.warning("advance.charge_failed rr=%s code=%s", rr.rr_number, exc.code)
            return
        # PaymentUnavailable propagates: the job is retried with the same key.
    adv.state, adv.charged_at, adv.charge_ref, adv.updated_at = "charged", now, done.ref, now
    _decide(adv, Decision(rules.CHARGE, f"The defective unit was not returned by "
                          f"{_day(adv.due_at)}; {_price_text(adv)} was charged."))  # fmt: skip
    notify(session, rr=rr, kind="advance_charged", context=email_context(adv, settings))
    log.info("advance.charged rr=%s amount=%s", rr.rr_number, done.amount.amount)


def _day(moment: datetime | None) -> str:
    return moment.strftime("%d %B %Y").lstrip("0") if moment is not None else ""


def summary(adv: AdvanceReplacement) -> str:
    """The state in words (customer page, staff console, emails)."""
    price = _price_text(adv)
    if adv.state == "card_requested":
        return (f"An advance replacement is offered: save a card, and the replacement ships "
                f"before your unit arrives. {price} is charged only if your unit is not handed "
                "to a carrier within the return window.")  # fmt: skip
    if adv.state == "card_saved":
        return (f"Card saved. Send the defective unit back by {_day(adv.due_at)}; if no carrier "
                f"has scanned it by then, {price} is charged to the card.")  # fmt: skip
    if adv.state == "released":
        return "Your defective unit came back in time: the card is released, nothing is charged."
    if adv.state == "charged":
        return (f"The defective unit was not returned by {_day(adv.due_at)}: {price} was "
                "charged to the saved card.")  # fmt: skip
    return (f"We could not charge {price} to the saved card ({adv.failure_reason}); "
            "Repair Administration will contact you.")  # fmt: skip


def email_context(adv: AdvanceReplacement, settings: Settings) -> dict[str, str]:
    return {
        "price": _price_text(adv),
        "part_number": adv.part_number,
        "due_date": _day(adv.due_at),
        "remind_date": _day(adv.remind_at),
        "return_days": str(settings.advance_return_days),
        "summary": summary(adv),
    }


def ships_ahead(session: Session, rr: RepairRequest) -> bool:
    """Whether staff may ship this RR's replacement now, before its unit arrives: the customer
    saved the card and the unit is still to come (ADV-ELIGIBLE, ADV-CHARGE)."""
    if rr.status not in AWAITING_UNIT:
        return False
    adv = for_rr(session, rr.id)
    return adv is not None and adv.state == "card_saved"
