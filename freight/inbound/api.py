"""Inbound return label routes (customer page and scripts): request it, read it. Thin."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy.orm import Session

from freight.deps import NowDep, PrincipalDep, SessionDep, SettingsDep, rr_access
from freight.inbound import service
from freight.inbound.schemas import InboundLabelIn, InboundLabelOut, rate_out
from freight.problems import problem_responses
from freight.quotes import repository as quotes_repo
from freight.quotes.models import Quote
from freight.quotes.schemas import quote_out
from freight.repairs.models import RepairRequest
from freight.repairs.service import get_rr
from freight.schemas import FreightTermsOut, MoneyOut
from freight.shipments.api import CarrierDep
from freight.shipments.models import Shipment

router = APIRouter(prefix="/api/v1", tags=["inbound labels"])
PATH = "/track/{rr_number}/inbound-label"


def label_out(
    session: Session, rr: RepairRequest, shipment: Shipment | None, quote: Quote | None
) -> InboundLabelOut:
    carton = f"/api/v1/track/{rr.rr_number}/carton-label"
    if shipment is None:
        return InboundLabelOut(rr_number=rr.rr_number, state="none", carton_label_url=carton)
    details = shipment.details or {}
    payment = quotes_repo.payment_for(session, quote.id) if quote is not None else None
    rate = details.get("rate")
    return InboundLabelOut(
        rr_number=rr.rr_number, state=shipment.state, shipment_id=shipment.id,
        freight_terms=FreightTermsOut(**shipment.freight_terms),
        rates=[rate_out(r) for r in details.get("rates") or []],
        chosen=rate_out(rate) if rate else None,
        quote=quote_out(quote, rr.rr_number, payment) if quote is not None else None,
        carrier=shipment.carrier, service=shipment.service,
        tracking_number=shipment.tracking_number,
        tracking_status=shipment.status if shipment.tracking_number else None,
        reference=details.get("reference"), is_return=bool(details.get("is_return", True)),
        cost=MoneyOut.of(shipment.cost_amount, shipment.cost_currency),
        ship_date=shipment.ship_date, error=details.get("error"), carton_label_url=carton,
    )  # fmt: skip


@router.post(PATH, response_model=InboundLabelOut, responses=problem_responses(409, 422, 502))
def request_label(
    rr_number: str,
    body: InboundLabelIn,
    who: PrincipalDep,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
    carrier: CarrierDep,
) -> InboundLabelOut:
    """Rates for the trip to the depot: the customer pays by card (a quote), or the vendor pays
    where FREIGHT_VENDOR_PAID_INBOUND lists the region; the label is bought in the background."""
    rr_access(who, rr_number)
    shipment, quote = service.request_label(
        session, rr_number=rr_number, parcel=body.parcel.model_dump(mode="json"), now=now,
        settings=settings, carrier=carrier,
    )  # fmt: skip
    return label_out(session, get_rr(session, rr_number), shipment, quote)


@router.get(PATH, response_model=InboundLabelOut)
def get_label(
    rr_number: str, who: PrincipalDep, session: SessionDep, now: NowDep
) -> InboundLabelOut:
    """The RR's inbound label as it stands (state, quote, tracking number once bought)."""
    rr_access(who, rr_number)
    rr = get_rr(session, rr_number)
    shipment, quote = service.current_label(session, rr, now=now)
    return label_out(session, rr, shipment, quote)
