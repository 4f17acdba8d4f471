"""Warranty wire models."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, Field

from freight.schemas import Strict
from freight.text import SerialText
from freight.warranty.service import WarrantyView

StatusOut = Literal["in_warranty", "out_of_warranty", "unknown"]


class WarrantyLookupIn(Strict):
    serial_number: SerialText


class WarrantyOut(BaseModel):
    """What anyone may see of a serial's coverage."""

    serial_number: str
    status: StatusOut
    ends_on: date | None
    replaced_by: str | None = None
    replaces: str | None = None


class WarrantyStaffOut(WarrantyOut):
    """The registry's full record, for staff."""

    part_number: str | None = None
    shipped_on: date | None = None
    warranty_months: int | None = None
    source: str | None = Field(default=None, description="import | replacement | repair_request")
    condition: str | None = None
    rr_number: str | None = None
    rule: str
    reason: str


class RegistryImportOut(BaseModel):
    rows: int
    created: int
    updated: int
    unchanged: int


def warranty_public(view: WarrantyView) -> WarrantyOut:
    unit = view.unit
    return WarrantyOut(
        serial_number=view.serial_number,
        status=view.coverage.status,
        ends_on=view.coverage.ends_on,
        replaced_by=unit.replaced_by if unit else None,
        replaces=unit.replaces if unit else None,
    )


def warranty_staff(view: WarrantyView) -> WarrantyStaffOut:
    unit = view.unit
    return WarrantyStaffOut(
        **warranty_public(view).model_dump(),
        part_number=unit.part_number if unit else None,
        shipped_on=unit.shipped_on if unit else None,
        warranty_months=unit.warranty_months if unit else None,
        source=unit.source if unit else None,
        condition=unit.condition if unit else None,
        rr_number=unit.rr_number if unit else None,
        rule=view.coverage.decision.rule,
        reason=view.coverage.decision.reason,
    )
