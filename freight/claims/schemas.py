"""Claim wire models: the customer's view, the staff view, status changes."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel

from freight.claims.rules import ClaimStatus
from freight.schemas import Strict
from freight.text import Free4000


class ClaimPublicOut(BaseModel):
    """A claim as the customer sees it: who files, by when, with what (no internal notes)."""

    id: str
    shipment_id: str | None
    rr_number: str
    source: str
    kind: str
    filer: str
    carrier: str | None
    carrier_name: str = ""  # "DHL Express", for people
    file_by: date
    deadline_rule: str
    evidence: list[str]
    status: str
    review_required: bool
    created_at: datetime


class ClaimOut(ClaimPublicOut):
    """The staff view adds the notes, the carrier incident and any photos."""

    notes: list[dict[str, Any]]
    incident: str | None
    photos: list[dict[str, Any]]
    updated_at: datetime


class ClaimStatusIn(Strict):
    status: ClaimStatus
    note: Free4000 = ""


class DamageReportOut(BaseModel):
    claim: ClaimPublicOut
    photos_stored: int
