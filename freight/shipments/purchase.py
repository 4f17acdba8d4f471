"""The label purchase (job `shipments.buy_label`): idempotent and crash-safe.

Every step can be re-run after a crash and converges to one label and at most one capture:
- the carrier returns the existing label for the same metadata (`shipment:<id>`) instead of
  buying twice, so a purchase whose answer was lost is found, not repeated;
- for quoted shipments a price rise found at the re-check is acted on only after looking for a
  label already bought under the metadata, so a lost answer is never mistaken for a price rise;
- the capture carries the key `capture:<payment id>`, so a replay never captures twice;
- a quote that stopped being accepted meanwhile gets any stray label voided and its hold released.
"""

from __future__ import annotations

import logging

from sqlalchemy.orm import Session

from carriers.errors import CarrierError, CarrierRejected, RateNotFound
from carriers.port import CarrierPort
from carriers.types import Label, Rate
from freight.jobs.registry import JobContext
from freight.money import Money
from freight.notifications import hooks
from freight.quotes import repository as quotes_repo
from freight.quotes import rules as quote_rules
from freight.quotes import service as quotes
from freight.quotes.models import Payment, Quote
from freight.repairs import repository as rr_repo
from freight.repairs.models import RepairRequest
from freight.repairs.rules import RRStatus, can_transition
from freight.shipments import repository as repo
from freight.shipments import rules
from freight.shipments.models import Shipment
from freight.shipments.rating import apply_rate, label_metadata, rate_from, rate_request

log = logging.getLogger("freight.shipments.purchase")
SYSTEM = "system"


def _carrier(ctx: JobContext) -> CarrierPort:
    port: CarrierPort = ctx.carrier
    return port


def buy_label(session: Session, ctx: JobContext, *, shipment_id: str) -> None:
    """Buy (or find) the shipment's label, record it, ship the RR, capture the hold."""
    shipment = repo.get(session, shipment_id, lock=True)
    if shipment is None or shipment.state in (rules.VOIDED, rules.FAILED, rules.DRAFT):
        return
    rr = session.get(RepairRequest, shipment.rr_id, with_for_update=True)
    assert rr is not None
    quote = quotes_repo.latest_for_shipment(session, shipment.id)
    payment = quotes_repo.payment_for(session, quote.id, lock=True) if quote is not None else None
    if quote is not None and quote.status != quote_rules.ACCEPTED:
        _abandon(shipment, quote, payment, ctx)
        return
    if shipment.state == rules.PURCHASING:
        label = _obtain(session, ctx, shipment, rr, quote, payment)
        if label is None:
            return
        _record(session, ctx, shipment, rr, label)
    if payment is not None and shipment.state == rules.LABELED and shipment.cost_amount is not None:
        quotes.capture(
            ctx.payments, payment, Money(shipment.cost_amount, shipment.cost_currency or "USD")
        )


def _obtain(
    session: Session,
    ctx: JobContext,
    shipment: Shipment,
    rr: RepairRequest,
    quote: Quote | None,
    payment: Payment | None,
) -> Label | None:
    metadata = label_metadata(shipment.id)
    try:
        if quote is None:
            return _buy_vendor_paid(ctx, shipment, rr)
        rate = _fresh_rate(ctx, shipment, rr)
        if not quote_rules.within_tolerance(
            Money(quote.amount, quote.currency), rate.amount, ctx.settings.quote_tolerance
        ):
            found = _carrier(ctx).find_label(metadata)
            if found is not None:
                return found  # bought before a crash: a purchase that happened is never re-asked
            _supersede(session, ctx, shipment, quote, payment, rate)
            return None
        apply_rate(shipment, rate)
        # The carrier returns the label already bought under this metadata, if any (looked up
        # when an earlier run of this job may have bought it).
        return _carrier(ctx).buy_label(
            rate, metadata=metadata, label_format=ctx.settings.label_format,
            may_exist=_may_exist(ctx),
        )  # fmt: skip
    except CarrierRejected as exc:
        _fail(session, ctx, shipment, rr, payment, exc)
        return None


def _may_exist(ctx: JobContext) -> bool:
    """Whether a label may already exist under the shipment's metadata: only if this job ran
    before. One job buys a shipment's label (per accepted quote), and a later quote's job exists
    only after a look-up found no label (supersede) — so a first run has nothing to find."""
    return ctx.attempt != 1


def _buy_vendor_paid(ctx: JobContext, shipment: Shipment, rr: RepairRequest) -> Label:
    metadata, fmt = label_metadata(shipment.id), ctx.settings.label_format
    try:
        return _carrier(ctx).buy_label(
            _stored_rate(shipment), metadata=metadata, label_format=fmt,
            may_exist=_may_exist(ctx),
        )  # fmt: skip
    except RateNotFound:
        # The rate lapsed before the job ran: re-rate with the same rule and buy that.
        found = _carrier(ctx).find_label(metadata)
        if found is not None:
            return found
        rate = _fresh_rate(ctx, shipment, rr)
        apply_rate(shipment, rate)
        return _carrier(ctx).buy_label(rate, metadata=metadata, label_format=fmt)


def _stored_rate(shipment: Shipment) -> Rate:
    return rate_from((shipment.details or {})["rate"])


def _fresh_rate(ctx: JobContext, shipment: Shipment, rr: RepairRequest) -> Rate:
    """Re-rate; keep the same carrier service when it is still offered, else apply the rule."""
    rates = _carrier(ctx).rate(rate_request(rr, shipment, ctx.settings))
    same = [
        r
        for r in rates
        if r.carrier == shipment.carrier and r.service_token == shipment.service_token
    ]
    if same:
        return min(same, key=lambda r: r.amount.amount)
    return rules.select_rate(
        rates, max_transit_days=ctx.settings.max_transit_days, requirements=rr.special_requirements
    ).rate


def _supersede(
    session: Session,
    ctx: JobContext,
    shipment: Shipment,
    quote: Quote,
    payment: Payment | None,
    rate: Rate,
) -> None:
    """P-QUOTE at purchase: above quote × (1 + tolerance) → supersede, release hold, re-ask."""
    quote.status = quote_rules.SUPERSEDED
    quotes.cancel_hold(ctx.payments, payment)
    apply_rate(shipment, rate)
    shipment.state = rules.QUOTED
    new = quotes.create_quote(
        session, shipment=shipment, rate=rate, now=ctx.now, settings=ctx.settings
    )
    log.warning(
        "quote.superseded",
        extra={
            "event": "quote.superseded",
            "quote_id": quote.id,
            "new_quote_id": new.id,
            "price": str(rate.amount.amount),
        },
    )


def _record(
    session: Session, ctx: JobContext, shipment: Shipment, rr: RepairRequest, label: Label
) -> None:
    shipment.tracking_number, shipment.transaction_id = label.tracking_number, label.transaction_id
    shipment.label_url, shipment.label_format = label.label_url, ctx.settings.label_format
    shipment.carrier = label.carrier or shipment.carrier
    shipment.rate_id = label.rate_id or shipment.rate_id
    shipment.cost_amount, shipment.cost_currency = label.cost.quantize().amount, label.cost.currency
    shipment.eta, shipment.state = label.eta, rules.LABELED
    if shipment.status == "UNKNOWN":
        shipment.status = "PRE_TRANSIT"
    if can_transition(rr.status, RRStatus.SHIPPED):
        rule = str(shipment.freight_terms.get("rule", ""))  # the terms decided once, in the core
        rr_repo.add_history(
            session,
            rr,
            to_status=RRStatus.SHIPPED,
            actor=SYSTEM,
            at=ctx.now,
            rule=rule,
            note=f"Label bought: {label.carrier} {label.tracking_number}",
        )
    _subscribe(ctx, shipment)
    hooks.shipped(session, rr=rr, shipment=shipment)
    log.info(
        "shipment.label.bought",
        extra={
            "event": "shipment.label.bought",
            "shipment_id": shipment.id,
            "tracking_number": label.tracking_number,
        },
    )


def _subscribe(ctx: JobContext, shipment: Shipment) -> None:
    try:
        _carrier(ctx).subscribe_tracking(
            shipment.carrier or "",
            shipment.tracking_number or "",
            metadata=label_metadata(shipment.id),
        )
        shipment.details = {**(shipment.details or {}), "tracking_subscribed": True}
    except CarrierError as exc:
        # The tracking poll picks quiet shipments up; a failed subscription must not undo the label.
        log.warning(
            "shipment.tracking.subscribe_failed",
            extra={
                "event": "shipment.tracking.subscribe_failed",
                "shipment_id": shipment.id,
                "error": str(exc),
            },
        )


def _fail(
    session: Session,
    ctx: JobContext,
    shipment: Shipment,
    rr: RepairRequest,
    payment: Payment | None,
    exc: CarrierRejected,
) -> None:
    """The carrier refused the purchase for good: no label, hold released, RR can be re-rated."""
    shipment.state = rules.FAILED
    shipment.details = {**(shipment.details or {}), "error": exc.carrier_message or exc.message}
    quotes.cancel_hold(ctx.payments, payment)
    if rr.status == RRStatus.AWAITING_PAYMENT and can_transition(rr.status, RRStatus.READY_TO_SHIP):
        rr_repo.add_history(
            session,
            rr,
            to_status=RRStatus.READY_TO_SHIP,
            actor=SYSTEM,
            at=ctx.now,
            note=f"Label purchase refused by the carrier: {exc}",
        )
    log.warning(
        "shipment.label.failed",
        extra={"event": "shipment.label.failed", "shipment_id": shipment.id},
    )


def _abandon(shipment: Shipment, quote: Quote, payment: Payment | None, ctx: JobContext) -> None:
    """The quote is no longer accepted: void a label bought for it meanwhile, release the hold."""
    stray = _carrier(ctx).find_label(label_metadata(shipment.id))
    if stray is not None and shipment.state != rules.VOIDED:
        shipment.refund_status = _carrier(ctx).void_label(stray.transaction_id)
        shipment.transaction_id, shipment.tracking_number = (
            stray.transaction_id,
            stray.tracking_number,
        )
        shipment.state = rules.VOIDED
        log.warning(
            "shipment.label.voided_stray",
            extra={
                "event": "shipment.label.voided_stray",
                "shipment_id": shipment.id,
                "quote_id": quote.id,
            },
        )
    quotes.cancel_hold(ctx.payments, payment)
