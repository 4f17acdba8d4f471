"""Advance replacement wire models."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field

from freight.schemas import MoneyOut, Strict
from freight.text import Free2000, Line100, Opt100, SerialText

State = Literal["card_requested", "card_saved", "released", "charged", "charge_failed"]


class AdvanceReplacementIn(Strict):
    part_number: Line100 = Field(
        description="The replacement's part number; its list price (FREIGHT_REPLACEMENT_PRICES) "
        "is what the saved card is charged if the defective unit does not come back in time"
    )
    serial_number: SerialText | None = Field(
        default=None, description="The replacement unit's serial, when known (P-REPLACE)"
    )
    condition: Literal["new", "reconditioned"] = "new"
    note: Free2000 = ""


class SaveCardIn(Strict):
    payment_method: Opt100 | None = Field(
        default=None,
        description="A payment-method token to confirm the SetupIntent with here (the sandbox's "
        "card form and scripts: pm_card_visa, …). Without it the answer carries the client "
        "secret for Stripe.js (confirmCardSetup); POST again afterwards to record the card.",
    )


class DecisionOut(BaseModel):
    rule: str
    reason: str
    code: str = ""


class AdvanceReplacementOut(BaseModel):
    rr_number: str
    state: State
    part_number: str
    serial_number: str | None
    condition: Literal["new", "reconditioned"]
    price: MoneyOut
    return_days: int | None = Field(description="Days from the saved card to return the unit")
    card_saved_at: datetime | None
    remind_at: datetime | None
    due_at: datetime | None = Field(description="Charged after this without a scan or receipt")
    due_date: date | None
    reminded_at: datetime | None
    released_at: datetime | None
    charged_at: datetime | None
    charged: MoneyOut | None
    released: bool
    failure_reason: str | None
    warranty_ends_on: date | None = Field(
        description="The replacement keeps the original unit's warranty end (P-WARRANTY)"
    )
    card: Literal["none", "requires_action", "saved"]
    setup_intent: str | None = None
    client_secret: str | None = Field(
        default=None, description="Only to the customer while the card is still to be saved"
    )
    publishable_key: str | None = None
    summary: str = Field(description="The state in words, as the customer page shows it")
    decisions: list[DecisionOut] = []
