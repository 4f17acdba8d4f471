"""Advance replacement routes: staff offer it; the customer reads it and saves a card. Thin."""

from __future__ import annotations

from fastapi import APIRouter

from freight.advance import service
from freight.advance.schemas import AdvanceReplacementIn, AdvanceReplacementOut, SaveCardIn
from freight.advance.views import advance_out
from freight.deps import NowDep, PrincipalDep, SessionDep, SettingsDep, StaffDep, rr_access
from freight.payments.api import PaymentsDep
from freight.problems import problem_responses
from freight.repairs.service import get_rr

router = APIRouter(prefix="/api/v1", tags=["advance replacement"])


@router.post(
    "/repair-requests/{rr_number}/advance-replacement", status_code=201,
    response_model=AdvanceReplacementOut,
    responses=problem_responses(400, 401, 403, 404, 409, 413, 422),
)  # fmt: skip
def offer(
    rr_number: str, body: AdvanceReplacementIn, who: StaffDep, session: SessionDep,
    settings: SettingsDep, now: NowDep,
) -> AdvanceReplacementOut:  # fmt: skip
    """Ship the replacement before the defective unit arrives (P-REPLACE, ADV-ELIGIBLE): the
    customer is asked to save a card, charged the part's list price (ADV-PRICE) only if the unit
    is not scanned by a carrier within FREIGHT_ADVANCE_RETURN_DAYS (ADV-CHARGE)."""
    rr = get_rr(session, rr_number, lock=True)
    adv = service.offer(
        session, rr=rr, part_number=body.part_number, serial_number=body.serial_number,
        condition=body.condition, note=body.note, actor=who.name, now=now, settings=settings,
    )  # fmt: skip
    return advance_out(rr.rr_number, adv, timezone=settings.timezone)


@router.get(
    "/track/{rr_number}/advance-replacement", response_model=AdvanceReplacementOut,
    responses=problem_responses(401, 403, 404),
)  # fmt: skip
def read(
    rr_number: str, who: PrincipalDep, session: SessionDep, settings: SettingsDep
) -> AdvanceReplacementOut:
    """The RR's advance replacement: state, price, due date, released or charged."""
    rr_access(who, rr_number)
    rr = get_rr(session, rr_number)
    return advance_out(rr.rr_number, service.get_for(session, rr), timezone=settings.timezone)


@router.post(
    "/track/{rr_number}/advance-replacement/card", response_model=AdvanceReplacementOut,
    responses=problem_responses(400, 401, 402, 403, 404, 409, 413, 422, 503),
)  # fmt: skip
def save_card(
    rr_number: str, body: SaveCardIn, who: PrincipalDep, session: SessionDep,
    settings: SettingsDep, now: NowDep, payments: PaymentsDep,
) -> AdvanceReplacementOut:  # fmt: skip
    """Save the card the replacement's price may be charged to (a Stripe SetupIntent for an
    off-session charge): with `payment_method` it is confirmed here; without, the answer carries
    the client secret for Stripe.js, and a second POST records the confirmed card."""
    rr_access(who, rr_number)
    rr = get_rr(session, rr_number)
    adv, setup = service.save_card(
        session, rr=rr, payment_method=body.payment_method or None, payments=payments, now=now,
        settings=settings,
    )  # fmt: skip
    return advance_out(
        rr.rr_number, adv, timezone=settings.timezone, setup=setup,
        publishable_key=getattr(payments, "publishable_key", None),
    )  # fmt: skip
