"""End-of-day routes for the shipping desk: manifests, pickups, the day's summary. Thin."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Response

from freight.closeout import service
from freight.closeout.schemas import (
    EndOfDayOut,
    ManifestIn,
    ManifestOut,
    PickupIn,
    PickupOut,
    manifest_out,
    pickup_out,
)
from freight.deps import NowDep, SessionDep, SettingsDep, StaffDep
from freight.errors import invalid
from freight.policy import business_calendar
from freight.problems import problem_responses

router = APIRouter(prefix="/api/v1", tags=["end of day"])


@router.post(
    "/manifests", status_code=201, response_model=ManifestOut, responses=problem_responses(422)
)
def create_manifest(
    body: ManifestIn, _: StaffDep, session: SessionDep, settings: SettingsDep, now: NowDep
) -> ManifestOut:
    """Close the carrier's labels of that day (not yet in a manifest) into a manifest; the
    carrier's manifest and its PDF follow in the background."""
    manifest = service.close_day(
        session, carrier=body.carrier.strip().lower(), ship_date=body.ship_date, now=now,
        settings=settings,
    )  # fmt: skip
    return manifest_out(manifest)


@router.get("/manifests/{manifest_id}", response_model=ManifestOut)
def get_manifest(manifest_id: str, _: StaffDep, session: SessionDep) -> ManifestOut:
    """One manifest as it stands."""
    return manifest_out(service.get_manifest(session, manifest_id))


@router.get(
    "/manifests/{manifest_id}/document",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}}},
)
def manifest_document(manifest_id: str, _: StaffDep, session: SessionDep) -> Response:
    """The manifest (SCAN form) PDF to hand to the driver."""
    pdf = service.manifest_file(session, manifest_id=manifest_id)
    return Response(pdf, media_type="application/pdf")


@router.post(
    "/pickups", status_code=201, response_model=PickupOut, responses=problem_responses(422)
)
def create_pickup(
    body: PickupIn, _: StaffDep, session: SessionDep, settings: SettingsDep, now: NowDep,
    response: Response,
) -> PickupOut:  # fmt: skip
    """Book a pickup of the day's labels inside business hours (P-HOURS); one per carrier and
    day: asking again answers the booked one (200)."""
    pickup, created = service.book_pickup(
        session, carrier=body.carrier.strip().lower(), start=body.requested_start_time,
        end=body.requested_end_time, now=now, settings=settings,
    )  # fmt: skip
    if not created:
        response.status_code = 200
    return pickup_out(pickup)


@router.get("/pickups/{pickup_id}", response_model=PickupOut)
def get_pickup(pickup_id: str, _: StaffDep, session: SessionDep) -> PickupOut:
    """One pickup as it stands."""
    return pickup_out(service.get_pickup(session, pickup_id))


@router.get("/end-of-day", response_model=EndOfDayOut)
def end_of_day(
    _: StaffDep,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
    day: Annotated[
        str | None,
        Query(
            alias="date",
            pattern=r"^\d{4}-\d{2}-\d{2}$",
            max_length=10,
            json_schema_extra={"format": "date"},
        ),
    ] = None,
) -> EndOfDayOut:
    """Each carrier's labels of the day (YYYY-MM-DD, default today), what is manifested, and
    the pickup window."""
    try:
        when = date.fromisoformat(day) if day else business_calendar(settings).local_date(now)
    except ValueError as exc:
        raise invalid("date", "not a calendar date (YYYY-MM-DD)") from exc
    return service.day_summary(session, day=when, settings=settings)
