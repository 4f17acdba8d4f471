"""Tracking routes: inbound tracking registration and the receiving desk's lists (staff side)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from freight.deps import NowDep, PrincipalDep, SessionDep, SettingsDep, StaffDep, rr_access
from freight.repairs.service import get_rr
from freight.shipments.schemas import ShipmentOut, shipment_out
from freight.tracking import receiving, service
from freight.tracking import repository as repo
from freight.tracking.customer_api import router as customer_router
from freight.tracking.schemas import InboundShipmentIn, UnmatchedReceiptIn, UnmatchedReceiptOut
from freight.tracking.views import customer_shipment

router = APIRouter(prefix="/api/v1", tags=["tracking"])
router.include_router(customer_router)
# The outbound feature may register its own "shipments" section; ours lists both directions.


@router.post(
    "/repair-requests/{rr_number}/inbound-shipments", status_code=201, response_model=ShipmentOut
)
def register_inbound(
    rr_number: str,
    body: InboundShipmentIn,
    who: PrincipalDep,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
    response: Response,
) -> ShipmentOut:
    """Register the customer's inbound carrier and tracking number (staff or the RR's customer)."""
    rr_access(who, rr_number)
    rr = get_rr(session, rr_number, lock=True)
    shipment, created = service.register_inbound(
        session, rr=rr, carrier=body.carrier, tracking_number=body.tracking_number,
        actor=who.name, now=now, settings=settings,
    )  # fmt: skip
    if not created:
        response.status_code = 200
    if who.kind == "customer":
        return customer_shipment(shipment, rr.rr_number)
    return shipment_out(shipment, rr.rr_number)


@router.get("/inbound-shipments", response_model=list[ShipmentOut])
def receiving_desk_list(
    _: StaffDep,
    session: SessionDep,
    delivered: bool = False,
    limit: Annotated[int, Query(ge=1, le=500)] = 200,
) -> list[ShipmentOut]:
    """Inbound packages expected at the depot (delivered=true: the carrier says they are here)."""
    shipments = repo.inbound_for_desk(session, delivered_only=delivered, limit=limit)
    out = []
    for shipment in shipments:
        rr = repo.rr_of(session, shipment)
        out.append(shipment_out(shipment, rr.rr_number))
    return out


@router.post("/receipts/unmatched", status_code=201, response_model=UnmatchedReceiptOut)
def log_unmatched_receipt(
    body: UnmatchedReceiptIn, who: StaffDep, session: SessionDep, now: NowDep
) -> UnmatchedReceiptOut:
    """Log a package for an unknown or cancelled RR, so nothing on the dock is lost."""
    receipt = receiving.log_unmatched(
        session, rr_number_seen=body.rr_number_seen, carrier=body.carrier,
        tracking_number=body.tracking_number, sender=body.sender, notes=body.notes,
        actor=who.name, now=now,
    )  # fmt: skip
    return receiving.unmatched_out(session, receipt)


@router.get("/receipts/unmatched", response_model=list[UnmatchedReceiptOut])
def list_unmatched_receipts(
    _: StaffDep, session: SessionDep, limit: Annotated[int, Query(ge=1, le=500)] = 200
) -> list[UnmatchedReceiptOut]:
    """Packages logged without a receivable RR, newest first."""
    return [
        receiving.unmatched_out(session, r)
        for r in receiving.unmatched_receipts(session, limit=limit)
    ]
