"""Shipment wire models (shared by staff API, customer tracking and pages)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, Field

from freight.schemas import FreightTermsOut, MoneyOut, Strict
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
    # Outbound (issue 5): the RR's special requirements (P-INSURE), why this rate, customs.
    special_requirements: str | None = None
    rate_selection: str | None = None
    customs: dict[str, Any] | None = None
    refund_status: str | None = None
    error: str | None = None
    # In words for people (the customer page): "DHL Express", "DHL Express Worldwide", "In transit".
    carrier_name: str | None = None
    carrier_service: str | None = None
    status_label: str | None = None
    tracking_url: str | None = None
    replacement: dict[str, Any] | None = None


def shipment_out(shipment: Shipment, rr_number: str) -> ShipmentOut:
    """The shipment as users see it; the label URL is ours, never the carrier's."""
    url = f"/api/v1/shipments/{shipment.id}/label"
    label = LabelOut(url=url, format=shipment.label_format or "PDF") if shipment.label_url else None
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
                status=e.status,
                substatus=e.substatus_code,
                text=e.text,
                location=e.location,
                occurred_at=e.occurred_at,
            )
            for e in shipment.events
        ],  # fmt: skip
        delivered_at=shipment.delivered_at,
        created_at=shipment.created_at,
        special_requirements=(shipment.details or {}).get("special_requirements"),
        rate_selection=(shipment.details or {}).get("rate_selection"),
        customs=(shipment.details or {}).get("customs"),
        refund_status=shipment.refund_status,
        error=(shipment.details or {}).get("error"),
        replacement=(shipment.details or {}).get("replacement"),
    )


def _measure(low: str, high: int, description: str) -> Any:
    """A parcel measure: a sane minimum (a 1e-30 lb parcel buys no label), 2 decimals."""
    return Field(
        ge=Decimal(low), le=Decimal(high), decimal_places=2, description=description,
        json_schema_extra={"anyOf": [{"type": "number", "minimum": float(low), "maximum": high,
                                      "multipleOf": 0.01}]},
    )  # fmt: skip


class ParcelIn(Strict):
    length: Decimal = _measure("0.1", 10_000, "At least 0.1 (in or cm)")
    width: Decimal = _measure("0.1", 10_000, "At least 0.1 (in or cm)")
    height: Decimal = _measure("0.1", 10_000, "At least 0.1 (in or cm)")
    distance_unit: Literal["in", "cm"] = "in"
    weight: Decimal = _measure("0.01", 100_000, "At least 0.01 (of mass_unit)")
    mass_unit: Literal["lb", "kg", "oz", "g"] = "lb"


class OutboundShipmentIn(Strict):
    parcel: ParcelIn
    purpose: Literal["repair_return", "return_to_sender"] | None = None


class OutboundShipmentOut(ShipmentOut):
    """A shipment with its current quote (quoted destinations, P-QUOTE)."""

    quote: dict[str, Any] | None = None
