"""Shipment routes: outbound request, read, label file, void. Thin."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Response
from sqlalchemy.orm import Session

from carriers.port import CarrierPort
from freight.deps import NowDep, SessionDep, SettingsDep, StaffDep
from freight.ports import carrier_port
from freight.quotes import repository as quotes_repo
from freight.quotes.schemas import quote_out
from freight.shipments import documents, service
from freight.shipments.models import Shipment
from freight.shipments.schemas import OutboundShipmentIn, OutboundShipmentOut, shipment_out

router = APIRouter(prefix="/api/v1", tags=["shipments"])


def get_carrier(settings: SettingsDep) -> CarrierPort:
    return carrier_port(settings)


CarrierDep = Annotated[CarrierPort, Depends(get_carrier)]


def _with_quote(session: Session, shipment: Shipment, rr_number: str) -> OutboundShipmentOut:
    out = OutboundShipmentOut(**shipment_out(shipment, rr_number).model_dump())
    quote = quotes_repo.latest_for_shipment(session, shipment.id)
    if quote is not None:
        payment = quotes_repo.payment_for(session, quote.id)
        out.quote = quote_out(quote, rr_number, payment).model_dump(mode="json")
    return out


@router.post(
    "/repair-requests/{rr_number}/outbound-shipments",
    status_code=201,
    response_model=OutboundShipmentOut,
)
def create_outbound(
    rr_number: str,
    body: OutboundShipmentIn,
    who: StaffDep,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
    carrier: CarrierDep,
) -> OutboundShipmentOut:
    """Rate the return trip: vendor-paid → label bought in the background; else a quote."""
    shipment, _ = service.create_outbound(
        session,
        rr_number=rr_number,
        data=body,
        actor=who.name,
        now=now,
        settings=settings,
        carrier=carrier,
    )
    return _with_quote(session, shipment, rr_number.strip().upper())


@router.get("/shipments/{shipment_id}", response_model=OutboundShipmentOut)
def get_shipment(shipment_id: str, _: StaffDep, session: SessionDep) -> OutboundShipmentOut:
    """One shipment with its quote and events."""
    shipment = service.get_shipment(session, shipment_id)
    return _with_quote(session, shipment, service.rr_number_of(session, shipment))


@router.get(
    "/shipments/{shipment_id}/label",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}, "application/zpl": {}, "image/png": {}}}},
)
def get_label(shipment_id: str, _: StaffDep, session: SessionDep, carrier: CarrierDep) -> Response:
    """The label file as bought (FREIGHT_LABEL_FORMAT): PDF, or ZPL II text for a thermal
    printer (application/zpl, `.zpl`)."""
    data = service.label_file(session, shipment_id=shipment_id, carrier=carrier)
    name = f"label-{shipment_id}.{documents.extension(data)}"
    headers = {"Content-Disposition": f'inline; filename="{name}"'}
    return Response(data, media_type=documents.media_type(data), headers=headers)


@router.post("/shipments/{shipment_id}/void", response_model=OutboundShipmentOut)
def void_label(
    shipment_id: str, who: StaffDep, session: SessionDep, now: NowDep, carrier: CarrierDep
) -> OutboundShipmentOut:
    """Ask the carrier to refund an unused label: the shipment is `void_pending` until the
    carrier decides; then `voided` (and a captured charge refunded) or, if it refuses, `labeled`
    again with `refund_status` REFUNDREJECTED and the reason in `error`."""
    shipment = service.void_shipment(
        session, shipment_id=shipment_id, actor=who.name, now=now, carrier=carrier
    )
    return _with_quote(session, shipment, service.rr_number_of(session, shipment))
