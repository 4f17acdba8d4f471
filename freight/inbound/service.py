"""Inbound return label use cases: rate the trip to the depot, quote or queue the label, read
its state, and what the label job does once it is bought. Never commits; the label itself is
bought only by the `shipments.buy_label` job (freight.shipments.purchase), which is crash-safe."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from carriers.errors import CarrierError
from carriers.port import CarrierPort
from freight.db import new_id
from freight.errors import BadGatewayError, ConflictError, invalid
from freight.geo.rules import region_of, resolve_country
from freight.inbound import repository as repo
from freight.inbound import rules
from freight.inbound.rating import inbound_request
from freight.jobs.service import enqueue
from freight.policy import business_calendar, terms_policy
from freight.quotes import repository as quotes_repo
from freight.quotes import service as quotes
from freight.quotes.models import Quote
from freight.repairs.models import RepairRequest
from freight.repairs.service import get_rr
from freight.rules import RuleError
from freight.settings import Settings
from freight.shipments import documents
from freight.shipments import rules as shipment_rules
from freight.shipments.models import Shipment
from freight.shipments.rating import apply_rate, customs_json, rate_json
from freight.shipments.service import BUY_LABEL, carrier_failure

log = logging.getLogger("freight.inbound")
# States in which the RR's inbound label is the one to show (no second one is rated).
_CURRENT = frozenset(
    {shipment_rules.QUOTED, shipment_rules.PURCHASING, shipment_rules.LABELED,
     shipment_rules.VOID_PENDING}
)  # fmt: skip


def current_label(
    session: Session, rr: RepairRequest, *, now: datetime, lock: bool = False
) -> tuple[Shipment | None, Quote | None]:
    """The RR's live inbound label and its quote; a quote past its validity is expired first."""
    shipment = repo.latest_label(session, rr.id, lock=lock)
    if shipment is None:
        return None, None
    quote = quotes_repo.latest_for_shipment(session, shipment.id)
    if (
        shipment.state == shipment_rules.QUOTED
        and quote is not None
        and quote.status == "open"
        and quote.expires_at <= now
    ):
        quotes.expire_quote(session, quote, now=now, actor="system")
    return shipment, quote


def request_label(
    session: Session,
    *,
    rr_number: str,
    parcel: dict[str, Any],
    now: datetime,
    settings: Settings,
    carrier: CarrierPort,
) -> tuple[Shipment, Quote | None]:
    """Rate the trip to the depot; vendor-paid → queue the label; else a quote (P-INLABEL-PAY).
    A label already quoted, being bought or bought is returned as it is (one per RR)."""
    rr = get_rr(session, rr_number, lock=True)
    existing, quote = current_label(session, rr, now=now, lock=True)
    if existing is not None and existing.state in _CURRENT:
        return existing, quote
    try:
        rules.check_awaiting_unit(rr.status, rr.rr_number)
    except RuleError as exc:
        raise ConflictError(str(exc), field=exc.field, rule=exc.rule, current=rr.status) from exc
    payer = rules.inbound_payer(_region(rr, settings), settings.vendor_paid_inbound)
    reusable = (
        existing if existing is not None and existing.state == shipment_rules.QUOTE_LAPSED else None
    )
    shipment = reusable or Shipment(
        id=new_id("shp"), rr_id=rr.id, direction="inbound", created_at=now, status="UNKNOWN"
    )
    shipment.purpose, shipment.parcel = rules.PURPOSE, parcel
    shipment.freight_terms = {
        "payer": payer.payer, "card_required": payer.card_required, "rule": payer.rule,
        "reason": payer.reason, "region": _region(rr, settings),
    }  # fmt: skip
    choice, request = _rate(rr, shipment, settings, carrier)
    apply_rate(shipment, choice.rate)
    shipment.ship_date = business_calendar(settings).next_business_slot(now).astimezone(UTC)
    shipment.international = request.customs is not None
    shipment.details = {
        **(shipment.details or {}),
        "rate_selection": choice.reason, "rate_rule": choice.rule, "error": None,
        "customs": customs_json(request.customs) if request.customs else None,
        "reference": request.reference, "is_return": True,
        "rates": [rate_json(r) for r in choice.offered],
    }  # fmt: skip
    if reusable is None:
        session.add(shipment)
    shipment.state = shipment_rules.PURCHASING if payer.payer == "vendor" else shipment_rules.QUOTED
    session.flush()
    quote = None
    if payer.payer == "vendor":
        enqueue(session, task=BUY_LABEL, args={"shipment_id": shipment.id},
                key=f"buy_label:{shipment.id}")  # fmt: skip
    else:
        quote = quotes.create_quote(
            session, shipment=shipment, rate=choice.rate, now=now, settings=settings
        )
    log.info(
        "inbound.label.requested",
        extra={
            "event": "inbound.label.requested",
            "shipment_id": shipment.id,
            "payer": payer.payer,
        },
    )
    return shipment, quote


class _Choice:
    def __init__(self, picked: shipment_rules.RateChoice, offered: list[Any]) -> None:
        self.rate, self.rule, self.reason, self.offered = (
            picked.rate, picked.rule, picked.reason, offered
        )  # fmt: skip


def _rate(
    rr: RepairRequest, shipment: Shipment, settings: Settings, carrier: CarrierPort
) -> tuple[_Choice, Any]:
    try:
        request = inbound_request(rr, shipment, settings)
        rates = carrier.rate(request)
        picked = shipment_rules.select_rate(rates, max_transit_days=settings.max_transit_days)
    except CarrierError as exc:
        raise carrier_failure(exc) from exc
    except RuleError as exc:
        if exc.field:
            raise invalid(exc.field, str(exc)) from exc
        raise BadGatewayError(str(exc)) from exc
    return _Choice(picked, list(rates)), request


def _region(rr: RepairRequest, settings: Settings) -> str:
    country = str((rr.return_address or {}).get("country") or "").strip()
    try:
        alpha2 = resolve_country(country)
    except RuleError as exc:
        raise invalid("return_address.country", str(exc)) from exc
    return region_of(alpha2, terms_policy(settings).north_america)


def labeled(shipment: Shipment, rr: RepairRequest, *, now: datetime) -> None:
    """The label job bought it: the shipment is the RR's inbound tracking from now on (Shippo
    tracks the labels it sold; carrier events find it by carrier and tracking number)."""
    shipment.details = {
        **(shipment.details or {}),
        "registered_by": "inbound-label",
        "registered_at": now.isoformat(),
    }
    log.info("inbound.label.bought", extra={"event": "inbound.label.bought",
             "shipment_id": shipment.id, "rr_number": rr.rr_number,
             "tracking_number": shipment.tracking_number})  # fmt: skip


def carton_with_label(session: Session, rr: RepairRequest, carton: bytes) -> bytes:
    """The carton label, followed by the carrier's return label once one is bought (kept at
    purchase by freight.shipments.documents)."""
    shipment = repo.latest_label(session, rr.id)
    if shipment is None or shipment.state != shipment_rules.LABELED:
        return carton
    label = documents.stored(session, shipment, documents.LABEL)
    return documents.printable(carton, label)
