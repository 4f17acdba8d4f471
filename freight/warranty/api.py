"""Warranty registry routes: CSV import and look-up (staff), public look-up (rate-limited)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request

from freight.deps import NowDep, SessionDep, SettingsDep, StaffDep
from freight.imports import csv_text
from freight.problems import CSV_BODY, problem_responses
from freight.tracking.lookup import check_rate, client_address
from freight.warranty import service
from freight.warranty.schemas import (
    RegistryImportOut,
    WarrantyLookupIn,
    WarrantyOut,
    WarrantyStaffOut,
    warranty_public,
    warranty_staff,
)

router = APIRouter(prefix="/api/v1/warranty", tags=["warranty"])


@router.post(
    "/registrations",
    response_model=RegistryImportOut,
    openapi_extra=CSV_BODY,
    responses=problem_responses(400, 401, 403, 413, 422),
)
async def import_registrations(
    request: Request, _: StaffDep, session: SessionDep, now: NowDep
) -> RegistryImportOut:
    """Import the warranty registry CSV (serial_number, part_number, shipped_on,
    warranty_months?) as multipart field `file` or a text/csv body; idempotent."""
    text = await csv_text(request, what="registry")
    report = service.import_registry(session, text=text, now=now)
    return RegistryImportOut(**report.__dict__)


def warranty_rate(request: Request, settings: SettingsDep) -> None:
    """Count every attempt (junk too): this runs before the body is validated."""
    client = client_address(request)
    check_rate(settings, holder=request.app.state, client=client, scope="warranty")


@router.post("/lookup", response_model=WarrantyOut, responses=problem_responses(400, 413, 422, 429))
def public_lookup(
    _: Annotated[None, Depends(warranty_rate)],
    body: WarrantyLookupIn,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
) -> WarrantyOut:
    """Anyone: a serial's warranty status and end date (rate-limited like the RR lookup)."""
    view = service.lookup(session, serial=body.serial_number, now=now, settings=settings)
    return warranty_public(view)


@router.get(
    "/{serial_number}",
    response_model=WarrantyStaffOut,
    responses=problem_responses(401, 403, 422),
)
def staff_lookup(
    serial_number: Annotated[
        str, Path(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9][A-Za-z0-9._/-]*$")
    ],
    _: StaffDep,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
) -> WarrantyStaffOut:
    """Staff: the registry's record of a serial and its coverage today (status unknown when the
    registry does not know it)."""
    return warranty_staff(service.lookup(session, serial=serial_number, now=now, settings=settings))
