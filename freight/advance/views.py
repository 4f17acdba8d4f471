"""AdvanceReplacement → response model (staff RR detail, customer tracking, pages)."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from freight.advance.models import AdvanceReplacement
from freight.advance.schemas import AdvanceReplacementOut, DecisionOut
from freight.advance.service import for_rr, price_of, summary
from freight.payments.port import SetupIntent
from freight.repairs.models import RepairRequest
from freight.schemas import MoneyOut


def advance_out(
    rr_number: str,
    adv: AdvanceReplacement,
    *,
    timezone: str = "UTC",
    setup: SetupIntent | None = None,
    publishable_key: str | None = None,
) -> AdvanceReplacementOut:
    """The advance replacement as the API shows it; `setup` (the customer's own answer while the
    card is still to be saved) adds the client secret Stripe.js confirms with."""
    price = price_of(adv)
    pending = setup if setup is not None and adv.state == "card_requested" else None
    card = "saved" if adv.card_saved_at is not None else "none"
    if pending is not None and pending.status == "requires_action":
        card = "requires_action"
    days = (adv.due_at - adv.card_saved_at).days if adv.due_at and adv.card_saved_at else None
    due_date = adv.due_at.astimezone(ZoneInfo(timezone)).date() if adv.due_at else None
    return AdvanceReplacementOut(
        rr_number=rr_number, state=adv.state,
        part_number=adv.part_number, serial_number=adv.serial_number,
        condition=adv.condition,
        price=MoneyOut(**price.as_json()), return_days=days, card_saved_at=adv.card_saved_at,
        remind_at=adv.remind_at, due_at=adv.due_at, due_date=due_date,
        reminded_at=adv.reminded_at, released_at=adv.released_at, charged_at=adv.charged_at,
        charged=MoneyOut(**price.as_json()) if adv.state == "charged" else None,
        released=adv.state == "released", failure_reason=adv.failure_reason,
        warranty_ends_on=date.fromisoformat(adv.warranty_ends_on) if adv.warranty_ends_on else None,
        card=card, setup_intent=adv.setup_intent_ref,
        client_secret=pending.client_secret if pending is not None else None,
        publishable_key=publishable_key if pending is not None else None,
        summary=summary(adv),
        decisions=[DecisionOut(**d) for d in adv.decisions or []],
    )  # fmt: skip


def advance_section(session: Session, rr: RepairRequest) -> AdvanceReplacementOut | None:
    """The "advance_replacement" field on the staff RR response."""
    adv = for_rr(session, rr.id)
    return advance_out(rr.rr_number, adv) if adv is not None else None
