"""Customer tracking routes: lookup, the tracking page data, the carton label, damage reports."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import Response

from freight.claims.reports import Photo, report_damage
from freight.claims.schemas import DamageReportOut
from freight.claims.views import claim_public
from freight.deps import NowDep, PrincipalDep, SessionDep, SettingsDep, rr_access
from freight.inbound.service import carton_with_label
from freight.problems import problem_responses
from freight.reads import cached_answer, render
from freight.repairs.service import get_rr
from freight.tracking import lookup as lookup_service
from freight.tracking.carton_label import carton_label_pdf
from freight.tracking.schemas import LookupIn, LookupOut, TrackOut
from freight.tracking.views import track_out

router = APIRouter(tags=["customer tracking"])


@router.post(
    "/track/lookup",
    response_model=LookupOut,
    responses={
        404: {"description": "No RR matches (same answer for a wrong number or email)"},
        **problem_responses(429),
    },
)
def lookup(
    body: LookupIn, request: Request, session: SessionDep, settings: SettingsDep, now: NowDep
) -> LookupOut:
    """Trade an RR number and its email or postal code for a 24-hour token scoped to that RR."""
    client = lookup_service.client_address(request)
    lookup_service.check_rate(settings, holder=request.app.state, client=client)
    token, expires_at = lookup_service.lookup(
        session, rr_number=body.rr_number, email=body.email, postal_code=body.postal_code,
        settings=settings, now=now,
    )  # fmt: skip
    return LookupOut(token=token, expires_at=expires_at)


@router.get(
    "/track/{rr_number}",
    response_model=TrackOut,
    responses={304: {"description": "Not modified (If-None-Match names the current ETag)"}},
)
def track(
    rr_number: str, request: Request, who: PrincipalDep, session: SessionDep, now: NowDep
) -> Response:
    """Status, deadlines, next steps, inbound/outbound tracking, the open quote and claims.
    The answer carries an ETag; polling with If-None-Match gets 304 while nothing changed."""
    rr_access(who, rr_number)

    def draw() -> tuple[bytes, datetime | None]:
        out = track_out(session, get_rr(session, rr_number), now=now)
        return render(out), out.open_quote.expires_at if out.open_quote else None  # it expires

    return cached_answer(request, session, view="track", rr_number=rr_number, now=now, render=draw)


@router.get(
    "/track/{rr_number}/carton-label",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}}},
)
def carton_label(
    rr_number: str, who: PrincipalDep, session: SessionDep, settings: SettingsDep
) -> Response:
    """A PDF to tape on the carton: RR number large and as a barcode, depot address, no COD;
    then the carrier's return label once one was bought from the RR (inbound label)."""
    rr_access(who, rr_number)
    rr = get_rr(session, rr_number)
    pdf = carton_with_label(session, rr, carton_label_pdf(rr.rr_number, settings))
    return Response(
        pdf, media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{rr.rr_number}-carton-label.pdf"'},
    )  # fmt: skip


@router.post("/track/{rr_number}/damage-reports", status_code=201, response_model=DamageReportOut)
def damage_report(
    rr_number: str,
    who: PrincipalDep,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
    description: Annotated[str, Form(min_length=1, max_length=4000)],
    concealed: Annotated[bool, Form()] = False,
    shipment_id: Annotated[str | None, Form(max_length=40)] = None,
    photos: Annotated[list[UploadFile] | None, File()] = None,
) -> DamageReportOut:
    """Report damage on a delivered outbound shipment; photos (JPEG/PNG/WebP/HEIC) as evidence."""
    rr_access(who, rr_number)
    rr = get_rr(session, rr_number, lock=True)
    limit = settings.max_photo_bytes + 1
    files = [Photo(p.filename or "", p.file.read(limit)) for p in (photos or [])]
    claim, stored = report_damage(
        session, rr=rr, description=description.strip(), concealed=concealed, photos=files,
        shipment_id=shipment_id, actor=who.name, now=now, settings=settings,
    )  # fmt: skip
    return DamageReportOut(claim=claim_public(claim, rr.rr_number), photos_stored=stored)
