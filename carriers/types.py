"""Normalized carrier types: our frozen dataclasses, never an SDK type."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Literal

from freight.money import Money

TrackingStatus = Literal["PRE_TRANSIT", "TRANSIT", "DELIVERED", "RETURNED", "FAILURE", "UNKNOWN"]
TRACKING_STATUSES: tuple[TrackingStatus, ...] = (
    "PRE_TRANSIT",
    "TRANSIT",
    "DELIVERED",
    "RETURNED",
    "FAILURE",
    "UNKNOWN",
)
IncidentKind = Literal["damage", "loss", "returned", "failure"]
DistanceUnit = Literal["in", "cm"]
MassUnit = Literal["lb", "kg", "oz", "g"]


@dataclass(frozen=True, slots=True)
class Address:
    name: str
    street1: str
    city: str
    postal_code: str
    country: str
    company: str | None = None
    street2: str | None = None
    state: str | None = None
    phone: str | None = None
    email: str | None = None


@dataclass(frozen=True, slots=True)
class Parcel:
    length: Decimal
    width: Decimal
    height: Decimal
    distance_unit: DistanceUnit
    weight: Decimal
    mass_unit: MassUnit


@dataclass(frozen=True, slots=True)
class CustomsItem:
    description: str
    quantity: int
    net_weight: Decimal
    mass_unit: MassUnit
    value: Money
    origin_country: str
    tariff_number: str | None = None


@dataclass(frozen=True, slots=True)
class CustomsDeclaration:
    contents_type: str  # Shippo enum: MERCHANDISE, RETURN_MERCHANDISE, DOCUMENTS, ...
    certify_signer: str
    items: tuple[CustomsItem, ...]
    non_delivery_option: str = "RETURN"
    incoterm: str | None = None
    contents_explanation: str | None = None
    certify: bool = True


@dataclass(frozen=True, slots=True)
class RateRequest:
    from_address: Address
    to_address: Address
    parcels: tuple[Parcel, ...]
    metadata: str = ""
    insurance: Money | None = None
    customs: CustomsDeclaration | None = None


@dataclass(frozen=True, slots=True)
class Rate:
    rate_id: str
    carrier: str
    service: str
    service_token: str
    amount: Money
    estimated_days: int | None
    shipment_id: str


@dataclass(frozen=True, slots=True)
class Label:
    transaction_id: str
    rate_id: str
    tracking_number: str
    carrier: str
    label_url: str
    cost: Money
    metadata: str
    eta: datetime | None = None


@dataclass(frozen=True, slots=True)
class Substatus:
    code: str
    text: str
    action_required: bool = False


@dataclass(frozen=True, slots=True)
class TrackingEvent:
    status: TrackingStatus
    substatus: Substatus | None
    text: str
    occurred_at: datetime
    location: str | None = None


@dataclass(frozen=True, slots=True)
class Incident:
    kind: IncidentKind
    code: str | None
    reason: str


@dataclass(frozen=True, slots=True)
class TrackingInfo:
    carrier: str
    tracking_number: str
    status: TrackingStatus
    substatus: Substatus | None = None
    events: tuple[TrackingEvent, ...] = field(default_factory=tuple)
    eta: datetime | None = None
    incident: Incident | None = None
    metadata: str | None = None
