"""Tracking wire models: inbound registration, customer lookup and the tracking page."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from pydantic import BaseModel, Field, StringConstraints

from freight.claims.schemas import ClaimPublicOut
from freight.quotes.schemas import PaymentReceiptOut
from freight.schemas import MoneyOut, Strict
from freight.shipments.schemas import ShipmentOut

Short = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
OptShort = Annotated[str | None, StringConstraints(strip_whitespace=True, max_length=100)]


class InboundShipmentIn(Strict):
    carrier: Short
    tracking_number: Short


class LookupIn(Strict):
    rr_number: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]
    email: Annotated[str | None, StringConstraints(strip_whitespace=True, max_length=320)] = None
    postal_code: Annotated[str | None, StringConstraints(strip_whitespace=True, max_length=20)] = (
        None
    )


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


class TrackOut(BaseModel):
    rr_number: str
    status: str
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


class UnmatchedReceiptIn(Strict):
    rr_number_seen: OptShort = None
    carrier: Annotated[str | None, StringConstraints(strip_whitespace=True, max_length=40)] = None
    tracking_number: OptShort = None
    sender: Annotated[str, StringConstraints(strip_whitespace=True, max_length=300)] = ""
    notes: Annotated[str, StringConstraints(max_length=4000)] = ""


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
