"""Tracking wire models: inbound registration, customer lookup and the tracking page."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from freight.carrier_registry import CARRIERS
from freight.claims.schemas import ClaimPublicOut
from freight.quotes.schemas import PaymentReceiptOut
from freight.schemas import MoneyOut, Strict
from freight.shipments.schemas import ShipmentOut
from freight.text import (
    LINE_REQUIRED_PATTERN,
    Free4000,
    Line40,
    Line100,
    Opt20,
    Opt40,
    Opt100,
    Opt300,
    Opt320,
)

Short = Line100
OptShort = Opt100 | None


class InboundShipmentIn(Strict):
    carrier: Short = Field(
        description="A carrier token (case and spaces are forgiven: 'DHL Express')",
        json_schema_extra={"enum": list(CARRIERS)},
    )
    tracking_number: Short


_GIVEN = {"type": "string", "pattern": LINE_REQUIRED_PATTERN}


class LookupIn(Strict):
    # One of the two must be given (and not blank).
    model_config = ConfigDict(
        json_schema_extra=dict[str, Any]({
            "anyOf": [
                {"required": [key], "properties": {key: _GIVEN}} for key in ("email", "postal_code")
            ]
        })
    )  # fmt: skip

    rr_number: Line40
    email: Opt320 | None = None
    postal_code: Opt20 | None = None


class LookupOut(BaseModel):
    token: str
    expires_at: datetime


class OpenQuoteOut(BaseModel):
    id: str
    shipment_id: str
    amount: MoneyOut
    carrier: str
    service: str
    estimated_days: int | None
    expires_at: datetime
    status: str
    accept_url: str
    carrier_name: str = ""
    carrier_service: str = ""


class DeadlinesOut(BaseModel):
    inbound_deadline: datetime | None
    inbound_window_satisfied: bool
    repair_due: date | None


class ReplacementPublicOut(BaseModel):
    serial_number: str
    replaces: str
    condition: str
    ends_on: date | None
    text: str


class RefundPublicOut(BaseModel):
    status: str
    price: MoneyOut
    restocking_fee: MoneyOut
    refund: MoneyOut
    refunded_at: datetime | None


class RejectionOut(BaseModel):
    """Why the unit was not accepted, and what the customer does now."""

    received_on: date
    reasons: list[str]
    what_to_do: list[str]


class TrackOut(BaseModel):
    rr_number: str
    status: str
    status_label: str = ""
    status_text: str
    next_steps: list[str]
    deadlines: DeadlinesOut
    carton_label_url: str
    inbound: list[ShipmentOut]
    outbound: list[ShipmentOut]
    open_quote: OpenQuoteOut | None
    claims: list[ClaimPublicOut]
    replacement: ReplacementPublicOut | None = None
    refund: RefundPublicOut | None = None
    payments: list[PaymentReceiptOut] = Field(default_factory=list)  # card holds and captures
    rejection: RejectionOut | None = None
    show_carton_label: bool = True  # only while the unit is still to be sent to us


class UnmatchedReceiptIn(Strict):
    rr_number_seen: Opt40 | None = None
    carrier: Opt40 | None = None
    tracking_number: OptShort = None
    sender: Opt300 = ""
    notes: Free4000 = ""


class UnmatchedReceiptOut(BaseModel):
    id: int
    rr_number_seen: str | None
    linked_rr_number: str | None
    carrier: str | None
    tracking_number: str | None
    received_at: datetime
    reasons: list[dict[str, Any]]
    notes: str
    logged_by: str
