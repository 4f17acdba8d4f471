"""The customer's tracking page data (GET /track/{rr}) and the RR's shipments section."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from freight.carrier_registry import display_name, service_name
from freight.claims.schemas import ClaimPublicOut
from freight.claims.service import claims_for_rr
from freight.claims.views import claim_public
from freight.credits.views import credit_refund_out
from freight.quotes.models import Quote
from freight.quotes.views import receipts
from freight.repairs.models import RepairRequest
from freight.repairs.repository import receipts_for
from freight.repairs.rules import AWAITING_UNIT
from freight.schemas import MoneyOut
from freight.shipments.models import Shipment
from freight.shipments.schemas import ShipmentOut, shipment_out
from freight.tracking import repository as repo
from freight.tracking.rules import (
    TrackFacts,
    next_steps,
    shipment_status_label,
    status_label,
    status_text,
    tracking_url,
)
from freight.tracking.schemas import (
    DeadlinesOut,
    OpenQuoteOut,
    RefundPublicOut,
    RejectionOut,
    ReplacementPublicOut,
    TrackOut,
)

# Staff-only parts of a shipment: the label file link, our label cost, internal errors and notes.
_STAFF_ONLY = ("label", "cost", "error", "rate_selection", "special_requirements")


def customer_shipment(shipment: Shipment, rr_number: str, *, arrived: bool = False) -> ShipmentOut:
    """A shipment as the customer sees it (staff-only fields blanked, carrier and status in
    words; an inbound parcel the depot logged reads "Arrived at the depot")."""
    out = shipment_out(shipment, rr_number)
    update: dict[str, Any] = {name: None for name in _STAFF_ONLY if name in type(out).model_fields}
    update |= {
        "carrier_name": display_name(out.carrier, unknown="") or None,
        "carrier_service": service_name(out.carrier, out.service) or None,
        "status_label": shipment_status_label(out.status, arrived=arrived),
        "tracking_url": tracking_url(out.carrier, out.tracking_number),
    }
    return out.model_copy(update=update)


def rejection_out(
    session: Session, rr: RepairRequest, claims: list[ClaimPublicOut]
) -> RejectionOut | None:
    """P-REJECT in words: why the unit was refused, what the customer does (a damaged arrival:
    file with your carrier by the date)."""
    if rr.status != "rejected":
        return None
    refused = [r for r in receipts_for(session, rr.id) if not r.accepted]
    if not refused:
        return None
    receipt = refused[-1]
    reasons = [str(r.get("reason", "")) if isinstance(r, dict) else str(r) for r in receipt.reasons]
    todo = []
    for claim in claims:
        if claim.filer != "vendor" and claim.kind in ("damage", "concealed_damage"):
            carrier = display_name(claim.carrier, unknown="your carrier")
            todo.append(
                f"File a damage claim with {carrier} by {claim.file_by.isoformat()}: the unit "
                "arrived damaged, and the sender files for damage on the way to us. Keep the "
                "carrier receipt and your proof of value."
            )
    todo.append(
        "We are returning the unit to you; we email the carrier and tracking number when it ships."
    )
    todo.append("To have it repaired, open a new Repair Request once the reason above is fixed.")
    return RejectionOut(received_on=receipt.received_at.date(), reasons=reasons, what_to_do=todo)


def open_quote(session: Session, rr: RepairRequest, now: datetime) -> OpenQuoteOut | None:
    """The quote the customer can accept now, if any (quote logic lives in freight.quotes)."""
    quote = session.scalar(
        select(Quote)
        .where(Quote.rr_id == rr.id, Quote.status == "open", Quote.expires_at > now)
        .order_by(Quote.created_at.desc())
        .limit(1)
    )
    if quote is None:
        return None
    amount = MoneyOut.known(quote.amount, quote.currency)
    return OpenQuoteOut(
        id=quote.id, shipment_id=quote.shipment_id, amount=amount, carrier=quote.carrier,
        service=quote.service, estimated_days=quote.estimated_days, expires_at=quote.expires_at,
        status=quote.status, accept_url=f"/api/v1/quotes/{quote.id}/accept",
        carrier_name=display_name(quote.carrier, unknown=""),
        carrier_service=service_name(quote.carrier, quote.service),
    )  # fmt: skip


_VISIBLE_OUTBOUND_STATES = frozenset({"draft", "rating", "failed"})


def track_out(session: Session, rr: RepairRequest, *, now: datetime) -> TrackOut:
    """Status in plain words, deadlines, next steps, tracking with events, quote and claims."""
    shipments = repo.shipments_of(session, rr.id)
    arrived = rr.received_at is not None
    inbound = [
        customer_shipment(s, rr.rr_number, arrived=arrived)
        for s in shipments
        if s.direction == "inbound"
    ]
    outbound = [
        customer_shipment(s, rr.rr_number)
        for s in shipments
        if s.direction == "outbound" and s.state not in _VISIBLE_OUTBOUND_STATES
    ]
    quote = open_quote(session, rr, now)
    facts = TrackFacts(
        rr_number=rr.rr_number, status=rr.status,
        inbound_deadline=rr.inbound_deadline.date().isoformat(),
        has_inbound_tracking=bool(inbound), has_open_quote=quote is not None,
        has_delivered_outbound=any(s.status == "DELIVERED" for s in outbound),
    )  # fmt: skip
    waiting = rr.status in AWAITING_UNIT
    claims = [claim_public(c, rr.rr_number) for c in claims_for_rr(session, rr)]
    rejection = rejection_out(session, rr, claims)
    steps = next_steps(facts)
    if rejection is not None:
        steps = [*rejection.what_to_do, *(s for s in steps if not s.startswith("Nothing to do"))]
    repairing = rr.status in ("received", "in_repair", "ready_to_ship", "awaiting_payment")
    return TrackOut(
        rr_number=rr.rr_number, status=rr.status, status_label=status_label(rr.status),
        status_text=status_text(rr.status), next_steps=steps, rejection=rejection,
        show_carton_label=waiting,
        deadlines=DeadlinesOut(
            inbound_deadline=rr.inbound_deadline if waiting else None,
            inbound_window_satisfied=rr.first_carrier_scan_at is not None
            or rr.received_at is not None,
            repair_due=rr.repair_due if repairing else None,
        ),
        carton_label_url=f"/api/v1/track/{rr.rr_number}/carton-label",
        inbound=inbound, outbound=outbound, open_quote=quote,
        claims=claims,
        replacement=replacement_public(rr), refund=refund_public(session, rr),
        payments=receipts(session, rr),
    )  # fmt: skip


def replacement_public(rr: RepairRequest) -> ReplacementPublicOut | None:
    """P-REPLACE as the customer reads it."""
    r = rr.replacement
    if not r:
        return None
    ends = (
        f" It keeps your unit's warranty, which ends on {r['ends_on']}." if r.get("ends_on") else ""
    )
    text = (f"We are replacing your unit (serial {r['replaces']}) with a {r['condition']} unit of "
            f"like form, fit and function, serial {r['serial_number']}.{ends}")  # fmt: skip
    return ReplacementPublicOut(
        serial_number=r["serial_number"], replaces=r["replaces"], condition=r["condition"],
        ends_on=r.get("ends_on"), text=text,
    )  # fmt: skip


def refund_public(session: Session, rr: RepairRequest) -> RefundPublicOut | None:
    """P-CREDIT: the refund of a credit return, once the return was accepted."""
    if rr.kind != "credit_return":
        return None
    out = credit_refund_out(session, rr)
    if out is None:
        return None
    return RefundPublicOut(status=out.status, price=out.price, restocking_fee=out.restocking_fee,
                           refund=out.refund, refunded_at=out.refunded_at)  # fmt: skip


def shipments_section(session: Session, rr: RepairRequest) -> list[dict[str, Any]]:
    """Every shipment of the RR (inbound and outbound) for the staff RR response."""
    return [
        shipment_out(s, rr.rr_number).model_dump(mode="json")
        for s in repo.shipments_of(session, rr.id)
    ]
