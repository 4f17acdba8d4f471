"""End-of-day wire models."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import AwareDatetime, BaseModel, Field

from freight.closeout.models import Manifest, Pickup
from freight.schemas import Strict
from freight.text import Line200


class ManifestIn(Strict):
    carrier: Line200 = Field(description="Carrier token (usps, ups, fedex, dhl_express …)")
    ship_date: date = Field(description="The day to close out (company time); not in the future")


class PickupIn(Strict):
    carrier: Line200
    requested_start_time: AwareDatetime = Field(description="Inside business hours (P-HOURS)")
    requested_end_time: AwareDatetime = Field(description="By closing time the same day")


class ManifestOut(BaseModel):
    id: str
    carrier: str
    ship_date: date
    state: str = Field(description="pending | closed | failed")
    labels: int
    transaction_ids: list[str]
    carrier_manifest_id: str | None
    document_url: str | None = Field(description="Our PDF link once closed")
    error: str | None
    created_at: datetime
    closed_at: datetime | None


class PickupOut(BaseModel):
    id: str
    carrier: str
    pickup_date: date
    state: str = Field(description="pending | confirmed | failed")
    requested_start_time: datetime
    requested_end_time: datetime
    confirmed_start_time: datetime | None
    confirmed_end_time: datetime | None
    confirmation_code: str | None
    labels: int
    error: str | None


class LabelLine(BaseModel):
    shipment_id: str
    rr_number: str
    tracking_number: str | None
    service: str | None
    manifest_id: str | None


class CarrierDay(BaseModel):
    carrier: str
    labels: list[LabelLine]
    manifested: int
    waiting: int
    manifests: list[ManifestOut]
    pickup: PickupOut | None


class EndOfDayOut(BaseModel):
    date: date
    timezone: str
    utc_offset: str = Field(description="The company time zone's offset that day, e.g. -08:00")
    business_hours: str
    carriers: list[CarrierDay]


def manifest_out(m: Manifest) -> ManifestOut:
    return ManifestOut(
        id=m.id, carrier=m.carrier, ship_date=m.ship_date, state=m.state,
        labels=len(m.transaction_ids or []), transaction_ids=list(m.transaction_ids or []),
        carrier_manifest_id=m.carrier_manifest_id,
        document_url=f"/api/v1/manifests/{m.id}/document" if m.document is not None else None,
        error=m.error, created_at=m.created_at, closed_at=m.closed_at,
    )  # fmt: skip


def pickup_out(p: Pickup) -> PickupOut:
    return PickupOut(
        id=p.id, carrier=p.carrier, pickup_date=p.pickup_date, state=p.state,
        requested_start_time=p.requested_start, requested_end_time=p.requested_end,
        confirmed_start_time=p.confirmed_start, confirmed_end_time=p.confirmed_end,
        confirmation_code=p.confirmation_code, labels=len(p.transaction_ids or []),
        error=p.error,
    )  # fmt: skip
