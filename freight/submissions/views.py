"""A request as the API shows it: to its customer (token) or to staff (with review facts)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy.orm import Session

from freight.auth.rules import issue_customer_token
from freight.repairs import repository as rr_repo
from freight.repairs.schemas import CustomerOut
from freight.schemas import AddressOut, MoneyOut
from freight.settings import Settings
from freight.submissions import repository as repo
from freight.submissions.models import RRSubmission, SubmissionDocument, SubmissionUnit
from freight.submissions.rules import (
    Flag,
    actions_for,
    credit_window_flag,
    no_document_flag,
    reseller_flag,
)
from freight.submissions.schemas import (
    AgreementOut,
    DocumentOut,
    FlagOut,
    MessageOut,
    OpenRRBrief,
    SubmissionOut,
    UnitOut,
    WarrantyBrief,
)
from freight.warranty import service as warranty
from freight.warranty.schemas import warranty_public


def purchase_date(sub: RRSubmission) -> date | None:
    raw = (sub.proof_of_purchase or {}).get("purchase_date")
    return date.fromisoformat(raw) if isinstance(raw, str) else None


def flags_for(
    session: Session, sub: RRSubmission, *, settings: Settings, now: datetime
) -> list[Flag]:
    """What staff must look at before approving (decided now, from today's settings)."""
    found = [
        reseller_flag((sub.proof_of_purchase or {}).get("reseller"), settings.authorized_resellers),
        no_document_flag(repo.document_count(session, sub.id)),
    ]
    if sub.kind == "credit_return":
        found.append(
            credit_window_flag(sub.customer_received_at, now=now, days=settings.credit_return_days)
        )
    return [f for f in found if f is not None]


def _warranty(
    session: Session, sub: RRSubmission, unit: SubmissionUnit, *, settings: Settings, now: datetime
) -> WarrantyBrief:
    view = warranty.lookup(
        session,
        serial=unit.serial_number,
        part_number=unit.part_number,
        purchase_date=purchase_date(sub),
        now=now,
        settings=settings,
    )
    return WarrantyBrief(**warranty_public(view).model_dump(exclude={"serial_number"}))


def _unit(
    session: Session,
    sub: RRSubmission,
    unit: SubmissionUnit,
    *,
    staff: bool,
    settings: Settings,
    now: datetime,
) -> UnitOut:
    out = UnitOut(
        index=unit.position,
        serial_number=unit.serial_number,
        part_number=unit.part_number,
        product_description=unit.product_description,
        fault_description=unit.fault_description,
        warranty=_warranty(session, sub, unit, settings=settings, now=now),
        rr_number=unit.rr_number,
        carton_label_url=f"/api/v1/track/{unit.rr_number}/carton-label" if unit.rr_number else None,
    )
    if not staff and unit.rr_number:
        out.tracking_token = issue_customer_token(
            unit.rr_number, secret=settings.secret_key, now=now, hours=settings.customer_token_hours
        )
    if staff:
        rr = rr_repo.open_rr_for_serial(session, unit.serial_number)
        if rr is not None and rr.rr_number != unit.rr_number:
            out.open_repair_request = OpenRRBrief(rr_number=rr.rr_number, status=rr.status)
        other = repo.open_units_for(session, [unit.serial_number]).get(unit.serial_number)
        if other is not None and other.submission_id != sub.id:
            out.other_open_request = other.submission_id
    return out


def document_out(doc: SubmissionDocument) -> DocumentOut:
    return DocumentOut(
        id=doc.id,
        filename=doc.filename,
        media_type=doc.media_type,
        size=doc.size,
        sha256=doc.sha256,
        uploaded_at=doc.uploaded_at,
        url=f"/api/v1/rr-submissions/{doc.submission_id}/documents/{doc.id}",
    )


def submission_out(
    session: Session, sub: RRSubmission, *, staff: bool, settings: Settings, now: datetime
) -> SubmissionOut:
    """The request; staff also see flags, other open RRs/requests per serial, and where the
    agreement came from."""
    agreement = dict(sub.agreement or {})
    if not staff:
        agreement.pop("client_address", None)
        agreement.pop("user_agent", None)
    return SubmissionOut(
        id=sub.id,
        status=sub.status,
        kind=sub.kind,
        created_at=sub.created_at,
        updated_at=sub.updated_at,
        customer=CustomerOut(
            name=sub.customer_name, email=sub.customer_email, phone=sub.customer_phone
        ),
        return_address=AddressOut(**sub.return_address),
        proof_of_purchase=sub.proof_of_purchase,
        insurance_requested=sub.insurance_requested,
        declared_value=MoneyOut.of(sub.declared_value_amount, sub.declared_value_currency),
        special_requirements=sub.special_requirements,
        customer_received_at=sub.customer_received_at,
        agreement=AgreementOut(**agreement),
        units=[_unit(session, sub, u, staff=staff, settings=settings, now=now) for u in sub.units],
        messages=[
            MessageOut(at=m.at, author=m.author, kind=m.kind, text=m.text) for m in sub.messages
        ],
        documents=[document_out(d) for d in repo.documents(session, sub.id)],
        actions=actions_for(sub.status)
        if staff
        else (["reply"] if sub.status == "info_requested" else []),
        flags=[
            FlagOut(code=f.code, rule=f.rule, message=f.message, blocks_approval=f.blocks_approval)
            for f in flags_for(session, sub, settings=settings, now=now)
        ]
        if staff
        else [],
        proof_confirmed_by=sub.proof_confirmed_by if staff else None,
        reviewed_by=sub.reviewed_by if staff else None,
        decline_reason=sub.decline_reason,
    )
