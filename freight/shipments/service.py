"""Outbound shipment use cases: rate and quote or queue the label, read, label file, void.
Never commits; label purchase happens only in the `shipments.buy_label` job (purchase.py)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from carriers.errors import AddressInvalid, CarrierError, InvalidParcel, LabelNotRefundable
from carriers.port import CarrierPort
from carriers.types import Label
from freight.advance import service as advance
from freight.db import new_id
from freight.errors import (
    AppError,
    BadGatewayError,
    ConflictError,
    FieldError,
    NotFoundError,
    ValidationFailedError,
    invalid,
)
from freight.jobs.service import enqueue
from freight.money import Money
from freight.policy import business_calendar
from freight.quotes import repository as quotes_repo
from freight.quotes import service as quotes
from freight.repairs.lifecycle import move
from freight.repairs.models import RepairRequest
from freight.repairs.rules import RRStatus, check_transition
from freight.repairs.service import get_rr
from freight.rules import RuleError
from freight.settings import Settings
from freight.shipments import documents, rules, voiding
from freight.shipments import repository as repo
from freight.shipments.models import Shipment
from freight.shipments.rating import apply_rate, customs_json, rate_request, validated
from freight.shipments.schemas import OutboundShipmentIn
from freight.terms.rules import FreightTerms
from freight.terms.service import outbound_terms

log = logging.getLogger("freight.shipments")
BUY_LABEL = "shipments.buy_label"
_PURPOSE_BY_STATUS = {
    RRStatus.READY_TO_SHIP: "repair_return",
    RRStatus.REJECTED: "return_to_sender",
}


def get_shipment(session: Session, shipment_id: str, *, lock: bool = False) -> Shipment:
    """The shipment or a 404 naming it."""
    shipment = repo.get(session, shipment_id, lock=lock)
    if shipment is None:
        raise NotFoundError(f"Shipment {shipment_id} does not exist.", shipment_id=shipment_id)
    return shipment


def rr_number_of(session: Session, shipment: Shipment) -> str:
    rr = session.get(RepairRequest, shipment.rr_id)
    return rr.rr_number if rr is not None else ""


def carrier_failure(exc: CarrierError) -> AppError:
    """A carrier error as the API shows it: bad parcel/address → 422, anything else → 502."""
    message = exc.carrier_message or exc.message
    if isinstance(exc, InvalidParcel):
        return ValidationFailedError(f"parcel: {message}", [FieldError("parcel", message)])
    if isinstance(exc, AddressInvalid):
        return ValidationFailedError(
            f"return_address: {message}", [FieldError("return_address", message)]
        )
    return BadGatewayError(
        f"The carrier could not rate this shipment: {message}", carrier_message=message
    )


def create_outbound(
    session: Session,
    *,
    rr_number: str,
    data: OutboundShipmentIn,
    actor: str,
    now: datetime,
    settings: Settings,
    carrier: CarrierPort,
) -> tuple[Shipment, Any]:
    """Rate the return trip; vendor-paid → queue the label; quoted → a Quote (P-NA, P-QUOTE)."""
    rr = get_rr(session, rr_number, lock=True)
    reusable = _settle_previous(session, rr, now)
    ahead = advance.ships_ahead(session, rr)  # issue 17 §2: the replacement before the unit
    purpose = _purpose(rr, data, reusable, ships_ahead=ahead)
    terms = _terms(rr, purpose, settings)
    if ahead and terms.payer != "vendor":
        raise ConflictError(
            f"Repair Request {rr.rr_number} is '{rr.status}': an advance replacement ships ahead "
            "of the unit only where the vendor pays the freight (P-NA); a quoted destination "
            "ships once the RR is ready_to_ship.",
            current=rr.status,
        )
    shipment = reusable or Shipment(
        id=new_id("shp"), rr_id=rr.id, direction="outbound", created_at=now
    )
    shipment.purpose, shipment.freight_terms = purpose, terms.as_json()
    shipment.parcel = data.parcel.model_dump(mode="json")
    try:
        request = validated(carrier, rate_request(rr, shipment, settings))
        rates = carrier.rate(request)
        choice = rules.select_rate(
            rates, max_transit_days=settings.max_transit_days, requirements=rr.special_requirements
        )
    except CarrierError as exc:
        raise carrier_failure(exc) from exc
    except RuleError as exc:
        raise BadGatewayError(str(exc)) from exc
    _fill(shipment, rr, request, choice, now, settings)
    shipment.state = rules.PURCHASING if terms.payer == "vendor" else rules.QUOTED
    if reusable is None:
        session.add(shipment)
    session.flush()
    quote = None
    if terms.payer == "vendor":
        enqueue(
            session,
            task=BUY_LABEL,
            args={"shipment_id": shipment.id},
            key=f"buy_label:{shipment.id}",
        )
    else:
        quote = quotes.create_quote(
            session, shipment=shipment, rate=choice.rate, now=now, settings=settings
        )
        check_transition(rr.status, RRStatus.AWAITING_PAYMENT)
        move(
            session,
            rr,
            RRStatus.AWAITING_PAYMENT,
            actor=actor,
            at=now,
            rule="P-QUOTE",
            note=f"Freight quoted: {_money(quote.amount, quote.currency)} "
            f"{choice.rate.carrier} {choice.rate.service}, valid until "
            f"{quote.expires_at.isoformat()}",
        )
    session.flush()
    log.info(
        "shipment.outbound.created",
        extra={
            "event": "shipment.outbound.created",
            "shipment_id": shipment.id,
            "payer": terms.payer,
        },
    )
    return shipment, quote


def _money(amount: Any, currency: str) -> str:
    return f"{Money(amount, currency).quantize().amount} {currency}"


def _settle_previous(session: Session, rr: RepairRequest, now: datetime) -> Shipment | None:
    """Refuse a second request while one is in flight; return a reusable row (draft, lapsed)."""
    for shipment in repo.outbound_for_rr(session, rr.id, states=sorted(rules.IN_FLIGHT)):
        live = quotes_repo.live_for_shipment(session, shipment.id)
        if (
            shipment.state == rules.QUOTED
            and live is not None
            and live.status == "open"
            and live.expires_at <= now
        ):
            quotes.expire_quote(session, live, now=now, actor="system")
            continue
        raise ConflictError(
            f"Repair Request {rr.rr_number} already has an outbound shipment in flight "
            f"({shipment.id}, {shipment.state}).",
            shipment_id=shipment.id,
            state=shipment.state,
        )
    reusable = repo.outbound_for_rr(session, rr.id, states=[rules.DRAFT, rules.QUOTE_LAPSED])
    return reusable[0] if reusable else None


def _purpose(
    rr: RepairRequest, data: OutboundShipmentIn, reusable: Shipment | None, *, ships_ahead: bool
) -> str:
    status = RRStatus(rr.status)
    if status not in _PURPOSE_BY_STATUS and not ships_ahead:
        raise ConflictError(
            f"Repair Request {rr.rr_number} is '{rr.status}'; an outbound shipment needs it "
            "ready_to_ship (repair return) or rejected (return to sender).",
            current=rr.status,
        )
    default = _PURPOSE_BY_STATUS.get(status, "repair_return")  # ahead: the replacement
    purpose = reusable.purpose if reusable is not None else default
    if data.purpose is not None and data.purpose != purpose:
        raise invalid("purpose", f"must be '{purpose}' for a Repair Request that is '{rr.status}'")
    return purpose


def _terms(rr: RepairRequest, purpose: str, settings: Settings) -> FreightTerms:
    country = str((rr.return_address or {}).get("country") or "").strip()
    if not country:
        raise invalid("return_address.country", "the RR's return address has no country")
    return outbound_terms(settings, kind=rr.kind, country=country, purpose=purpose)


def _fill(
    shipment: Shipment,
    rr: RepairRequest,
    request: Any,
    choice: rules.RateChoice,
    now: datetime,
    settings: Settings,
) -> None:
    apply_rate(shipment, choice.rate)
    shipment.ship_date = business_calendar(settings).next_business_slot(now).astimezone(UTC)
    shipment.international = request.customs is not None
    shipment.insurance_amount = request.insurance.amount if request.insurance else None
    shipment.insurance_currency = request.insurance.currency if request.insurance else None
    shipment.details = {
        **(shipment.details or {}),
        "special_requirements": rr.special_requirements or None,
        "rate_selection": choice.reason,
        "rate_rule": choice.rule,
        "error": None,
        "customs": customs_json(request.customs) if request.customs else None,
        # P-REPLACE: what is in the box when it is a replacement rather than the repaired unit.
        "replacement": dict(rr.replacement)
        if rr.replacement and shipment.purpose == "repair_return"
        else None,
    }


def label_file(session: Session, *, shipment_id: str, carrier: CarrierPort) -> bytes:
    """The label to print (with the commercial invoice of an export after it): the files kept
    at purchase, else fetched through the carrier adapter (which refreshes expired links)."""
    shipment = get_shipment(session, shipment_id)
    if not shipment.label_url or not shipment.transaction_id:
        raise ConflictError(
            f"Shipment {shipment_id} has no label yet ({shipment.state}).", state=shipment.state
        )
    label = Label(
        transaction_id=shipment.transaction_id,
        rate_id=shipment.rate_id or "",
        tracking_number=shipment.tracking_number or "",
        carrier=shipment.carrier or "",
        label_url=shipment.label_url,
        metadata=f"shipment:{shipment.id}",
        cost=Money(shipment.cost_amount or Decimal(0), shipment.cost_currency or "USD"),
    )
    try:
        pdf = documents.stored(session, shipment, documents.LABEL)
        if pdf is None:
            pdf = carrier.get_label_file(label)
        invoice = documents.stored(session, shipment, documents.INVOICE)
        if invoice is None and (shipment.details or {}).get("commercial_invoice"):
            invoice = carrier.get_label_file(
                carrier.get_label(shipment.transaction_id), document=documents.INVOICE
            )
    except CarrierError as exc:
        raise BadGatewayError(f"The carrier did not return the label: {exc}") from exc
    return documents.printable(pdf, invoice)


def void_shipment(
    session: Session, *, shipment_id: str, actor: str, now: datetime, carrier: CarrierPort
) -> Shipment:
    """Void an unused label (carrier refund); a captured charge is refunded in the background."""
    shipment = get_shipment(session, shipment_id, lock=True)
    rr = session.get_one(RepairRequest, shipment.rr_id, with_for_update=True)
    _check_voidable(shipment, rr)
    try:
        refund = voiding.request_refund(session, carrier, shipment, enqueue=enqueue)
    except LabelNotRefundable as exc:
        raise ConflictError(
            f"The carrier will not void this label: {exc.carrier_message or exc}",
            carrier_message=exc.carrier_message,
        ) from exc
    except CarrierError as exc:
        raise BadGatewayError(f"The carrier could not void the label: {exc}") from exc
    # Nothing is undone yet: the carrier may still refuse. The RR stays shipped and the
    # customer's charge stands until the refund succeeds (voiding.py).
    voiding.settle(session, shipment, refund.status, now=now)
    log.info(
        "shipment.label.void_requested",
        extra={"event": "shipment.label.void_requested", "shipment_id": shipment.id,
               "actor": actor, "refund_status": refund.status},
    )  # fmt: skip
    return shipment


def _check_voidable(shipment: Shipment, rr: RepairRequest) -> None:
    if shipment.direction != "outbound" or shipment.state != rules.LABELED:
        raise ConflictError(
            f"Shipment {shipment.id} has no label to void ({shipment.state}).", state=shipment.state
        )
    if shipment.status not in ("UNKNOWN", "PRE_TRANSIT") or shipment.first_scan_at is not None:
        raise ConflictError(
            f"Shipment {shipment.id} is {shipment.status}: the carrier has it; "
            "a used label cannot be voided.",
            tracking_status=shipment.status,
        )
    if rr.status != RRStatus.SHIPPED:
        raise ConflictError(
            f"Repair Request {rr.rr_number} is '{rr.status}'; only a label of a "
            "shipped RR can be voided.",
            current=rr.status,
        )
