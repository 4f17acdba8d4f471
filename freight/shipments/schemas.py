"""Shipment wire models (shared by staff API, customer tracking and pages)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel

from freight.schemas import FreightTermsOut, MoneyOut
from freight.shipments.models import Shipment


class TrackingEventOut(BaseModel):
    status: str
    substatus: str | None
    text: str
    location: str | None
    occurred_at: datetime


class LabelOut(BaseModel):
    url: str
    format: str


class ShipmentOut(BaseModel):
    id: str
    rr_number: str
    direction: str
    purpose: str
    state: str
    carrier: str | None
    service: str | None
    tracking_number: str | None
    status: str
    substatus: dict[str, Any] | None
    ship_date: datetime | None
    eta: datetime | None
    label: LabelOut | None
    insurance: MoneyOut | None
    cost: MoneyOut | None
    freight_terms: FreightTermsOut
    events: list[TrackingEventOut]
    delivered_at: datetime | None
    created_at: datetime


def shipment_out(shipment: Shipment, rr_number: str) -> ShipmentOut:
    """The shipment as users see it; the label URL is ours, never the carrier's."""
    label = (
        LabelOut(url=f"/api/v1/shipments/{shipment.id}/label", format=shipment.label_format or "PDF")
        if shipment.label_url
        else None
    )
    return ShipmentOut(
        id=shipment.id,
        rr_number=rr_number,
        direction=shipment.direction,
        purpose=shipment.purpose,
        state=shipment.state,
        carrier=shipment.carrier,
        service=shipment.service,
        tracking_number=shipment.tracking_number,
        status=shipment.status,
        substatus=shipment.substatus,
        ship_date=shipment.ship_date,
        eta=shipment.eta,
        label=label,
        insurance=MoneyOut.of(shipment.insurance_amount, shipment.insurance_currency),
        cost=MoneyOut.of(shipment.cost_amount, shipment.cost_currency),
        freight_terms=FreightTermsOut(**shipment.freight_terms),
        events=[
            TrackingEventOut(
                status=e.status, substatus=e.substatus_code, text=e.text,
                location=e.location, occurred_at=e.occurred_at,
            )
            for e in shipment.events
        ],  # fmt: skip
        delivered_at=shipment.delivered_at,
        created_at=shipment.created_at,
    )
