"""Repair Request routes: thin — dependencies, one service call, a schema."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response

from freight.deps import (
    AuditDep,
    NowDep,
    ReadSessionDep,
    ReadStaffDep,
    SessionDep,
    SettingsDep,
    StaffDep,
)
from freight.errors import FieldError, ValidationFailedError
from freight.problems import problem_responses
from freight.reads import cached_answer, render
from freight.repairs import corrections, service
from freight.repairs.replacement import replace_unit
from freight.repairs.rules import RRStatus
from freight.repairs.schemas import (
    CorrectionIn,
    DecisionOut,
    FreightTermsIn,
    ReceiptIn,
    RepairRequestIn,
    RepairRequestOut,
    RepairRequestPage,
    ReplacementIn,
    StatusChangeIn,
)
from freight.repairs.views import rr_out
from freight.schemas import FreightTermsOut, country_field
from freight.terms.service import terms_for
from freight.wiring import RR_SECTIONS

router = APIRouter(prefix="/api/v1", tags=["repair requests"])


@router.post("/freight-terms", response_model=FreightTermsOut)
def freight_terms(body: FreightTermsIn, _: StaffDep, settings: SettingsDep) -> FreightTermsOut:
    """Decide who pays freight for a direction and destination (no side effects)."""
    try:
        country = country_field(body.country)
    except ValueError as exc:
        raise ValidationFailedError(str(exc), [FieldError("country", str(exc))]) from exc
    terms = terms_for(
        settings, direction=body.direction, country=country, kind=body.kind, purpose=body.purpose
    )
    return FreightTermsOut(**terms.as_json())


@router.post("/repair-requests", status_code=201, response_model=RepairRequestOut)
def open_repair_request(
    body: RepairRequestIn,
    who: StaffDep,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
    audit: AuditDep,
) -> RepairRequestOut:
    """Open a Repair Request (one open RR per serial number)."""
    rr = service.open_rr(session, data=body, actor=who.name, now=now, settings=settings)
    audit.target = rr.rr_number
    return rr_out(session, rr, sections=RR_SECTIONS)


@router.get("/repair-requests", response_model=RepairRequestPage)
def list_repair_requests(
    _: StaffDep,
    session: SessionDep,
    status: RRStatus | None = None,
    q: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(pattern=service.CURSOR_PATTERN)] = None,
) -> RepairRequestPage:
    """List RRs newest first; filter by status and text; follow next_cursor for more."""
    page = service.list_rrs(session, status=status, q=q, limit=limit, cursor=cursor)
    return RepairRequestPage(
        items=[rr_out(session, rr, full=False) for rr in page.items], next_cursor=page.next_cursor
    )


@router.get(
    "/repair-requests/{rr_number}",
    response_model=RepairRequestOut,
    responses={304: {"description": "Not modified (If-None-Match names the current ETag)"}},
)
async def get_repair_request(
    rr_number: str, request: Request, who: ReadStaffDep, session: ReadSessionDep, now: NowDep
) -> Response:
    """One RR with history, receipts, shipments, quotes and claims (with an ETag: 304 when
    If-None-Match names it)."""

    def draw() -> tuple[bytes, None]:
        rr = service.get_rr(session, rr_number)
        return render(rr_out(session, rr, sections=RR_SECTIONS)), None

    view = f"rr:{who.role}"  # per role, should the staff view ever differ by role
    return await cached_answer(
        request, session, view=view, rr_number=rr_number, now=now, render=draw
    )


@router.post("/repair-requests/{rr_number}/status", response_model=RepairRequestOut)
def change_status(
    rr_number: str, body: StatusChangeIn, who: StaffDep, session: SessionDep, now: NowDep,
    settings: SettingsDep,
) -> RepairRequestOut:  # fmt: skip
    """Move received→in_repair→ready_to_ship, delivered→closed, or cancel (with the unit on
    site: rejected, its return to sender prepared and the customer told; a note is required)."""
    rr = service.change_status(
        session, rr_number=rr_number, target=body.status, note=body.note, actor=who.name, now=now,
        settings=settings,
    )  # fmt: skip
    return rr_out(session, rr, sections=RR_SECTIONS)


@router.post(
    "/repair-requests/{rr_number}/receipt-correction", response_model=RepairRequestOut,
    responses=problem_responses(400, 401, 403, 404, 409, 413, 422),
)  # fmt: skip
def correct_receipt(
    rr_number: str, body: CorrectionIn, who: StaffDep, session: SessionDep,
    settings: SettingsDep, now: NowDep,
) -> RepairRequestOut:  # fmt: skip
    """Turn a receipt decision around while the unit is on site (R-CORRECT): rejected →
    received drops the unbought return-to-sender draft and starts the repair clock; received →
    rejected prepares the return to sender. 409 once a label for the way out is bought."""
    rr = corrections.correct_receipt(
        session, rr=service.get_rr(session, rr_number, lock=True), note=body.note,
        actor=who.name, now=now, settings=settings,
    )  # fmt: skip
    return rr_out(session, rr, sections=RR_SECTIONS)


@router.post(
    "/repair-requests/{rr_number}/replacement", response_model=RepairRequestOut,
    responses=problem_responses(400, 401, 403, 404, 409, 413, 422),
)  # fmt: skip
def choose_replacement(
    rr_number: str, body: ReplacementIn, who: StaffDep, session: SessionDep,
    settings: SettingsDep, now: NowDep,
) -> RepairRequestOut:  # fmt: skip
    """Ship a new or reconditioned unit instead of repairing this one (P-REPLACE); the new
    serial inherits the original's warranty end. May be changed while the RR is on site."""
    rr = replace_unit(
        session, rr=service.get_rr(session, rr_number, lock=True), serial_number=body.serial_number,
        condition=body.condition, note=body.note, actor=who.name, now=now, settings=settings,
    )  # fmt: skip
    return rr_out(session, rr, sections=RR_SECTIONS)


@router.post("/repair-requests/{rr_number}/receipt")
def log_receipt(
    rr_number: str,
    body: ReceiptIn,
    who: StaffDep,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
) -> dict[str, Any]:
    """Receiving desk: accept the unit or reject it with every reason that applies."""
    rr, receipt, decision = service.record_receipt(
        session, rr_number=rr_number, data=body, actor=who.name, now=now, settings=settings
    )
    return {
        "accepted": decision.accepted,
        "receipt_id": receipt.id,
        "reasons": [
            DecisionOut(rule=d.rule, code=d.code, reason=d.reason) for d in decision.reasons
        ],
        "repair_request": rr_out(session, rr, sections=RR_SECTIONS),
    }
