"""Inbound return label wire models."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, Field

from freight.quotes.schemas import QuoteOut
from freight.schemas import FreightTermsOut, MoneyOut, Strict
from freight.shipments.schemas import ParcelIn


class InboundLabelIn(Strict):
    parcel: ParcelIn


class RateOut(BaseModel):
    carrier: str
    service: str
    amount: MoneyOut
    estimated_days: int | None


class InboundLabelOut(BaseModel):
    """The RR's inbound return label: its rates, who pays, the quote, and once bought the
    carrier and tracking number (registered as the RR's inbound tracking)."""

    rr_number: str
    state: str = Field(description="none | quoted | quote_lapsed | purchasing | labeled | failed …")
    shipment_id: str | None = None
    freight_terms: FreightTermsOut | None = None
    rates: list[RateOut] = []
    chosen: RateOut | None = None
    quote: QuoteOut | None = None
    carrier: str | None = None
    service: str | None = None
    tracking_number: str | None = None
    tracking_status: str | None = None
    reference: str | None = Field(default=None, description="The RR number on the label")
    is_return: bool = True
    cost: MoneyOut | None = None
    ship_date: datetime | None = None
    error: str | None = None
    carton_label_url: str


def rate_out(data: dict[str, Any]) -> RateOut:
    amount = MoneyOut.known(Decimal(str(data["amount"])), str(data["currency"]))
    return RateOut(
        carrier=data["carrier"], service=data["service"], amount=amount,
        estimated_days=data.get("estimated_days"),
    )  # fmt: skip
