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
    is_residential: bool | None = None


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
    # Export filing: NOEEI_30_36 (US to CA), NOEEI_30_37_a (other, below the EEI threshold) or
    # AES_ITN with `aes_itn` above it. Chosen by the caller (freight/shipments/rating.py).
    eel_pfc: str | None = None
    aes_itn: str | None = None
    commercial_invoice: bool = False


@dataclass(frozen=True, slots=True)
class RateRequest:
    from_address: Address
    to_address: Address
    parcels: tuple[Parcel, ...]
    metadata: str = ""
    insurance: Money | None = None
    customs: CustomsDeclaration | None = None
    # A return label (Shippo `extra.is_return`) and the text printed in its reference fields
    # (`extra.rma_number.value`, up to 40 characters, and `extra.reference_1`, up to 50).
    is_return: bool = False
    reference: str | None = None


@dataclass(frozen=True, slots=True)
class Rate:
    rate_id: str
    carrier: str
    service: str
    service_token: str
    amount: Money
    estimated_days: int | None
    shipment_id: str
    created_at: datetime | None = None  # Shippo sells a rate for 7 days after this
    test: bool = False
    carrier_account: str | None = None  # whose `carrier` token names the carrier


class RateList(list[Rate]):
    """Rates, cheapest first, plus the carriers that could not answer this time (e.g. a
    `carrier_timeout` message): a service missing for that reason is not a refusal."""

    def __init__(self, rates: list[Rate], temporarily_missing: tuple[str, ...] = ()) -> None:
        super().__init__(rates)
        self.temporarily_missing = temporarily_missing


@dataclass(frozen=True, slots=True)
class Refund:
    refund_id: str
    transaction_id: str
    status: str  # QUEUED, PENDING, SUCCESS, ERROR (Shippo's refund statuses)
    test: bool = False

    @property
    def finished(self) -> bool:
        return self.status in ("SUCCESS", "ERROR")


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
    commercial_invoice_url: str | None = None
    test: bool = False


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
    # The current status as an event when the carrier dated it (status_date); usually also the
    # last history entry, but the history may be empty or lag behind.
    current: TrackingEvent | None = None


@dataclass(frozen=True, slots=True)
class Manifest:
    """A carrier's close-out of one day's labels (Shippo Manifest / USPS SCAN form)."""

    manifest_id: str
    carrier_account: str
    ship_date: str  # YYYY-MM-DD
    transaction_ids: tuple[str, ...]
    status: str  # QUEUED, SUCCESS, ERROR
    documents: tuple[str, ...] = ()
    errors: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Pickup:
    """A carrier pickup booked for labels (Shippo Pickup)."""

    pickup_id: str
    status: str  # PENDING, CONFIRMED, ERROR, CANCELLED
    confirmation_code: str
    start: datetime
    end: datetime
    transaction_ids: tuple[str, ...]
    metadata: str = ""
