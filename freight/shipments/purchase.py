"""The label purchase (job `shipments.buy_label`): idempotent and crash-safe.

Every step can be re-run after a crash and converges to one label and at most one capture:
- a label is bought only for a rate recorded (committed) before the POST (purchase_record.py);
  every recorded rate is looked up (`?rate=`, QUEUED/WAITING included) before buying another,
  so a purchase whose answer was lost is found, not repeated;
- a QUEUED label is never bought again: the job retries with back-off (LabelPending) and
  `transaction_updated` may finish it first (transactions.py);
- for quoted shipments the price is re-checked by re-rating; a rise is acted on only after
  looking up every recorded rate, so a lost answer is never mistaken for a price rise;
- the capture carries the key `capture:<payment id>`, so a replay never captures twice;
- a quote that stopped being accepted meanwhile gets any stray label voided and its hold released;
- a quoted label is bought only while its card hold is authorized (a lapsed hold waits for the
  customer to confirm the new one);
- an inbound return label (freight.inbound) goes through the same steps, re-rated with its own
  request (customer → depot, return flag, RR number as reference) and never ships the RR.
"""

from __future__ import annotations

import logging

from sqlalchemy.orm import Session

from carriers.errors import CarrierRejected, CarrierUnavailable, RateNotFound
from carriers.port import CarrierPort
from carriers.types import Label, Rate
from freight.inbound import service as inbound
from freight.inbound.rating import inbound_request
from freight.inbound.rules import PURPOSE as INBOUND_LABEL
from freight.jobs.registry import JobContext
from freight.money import Money
from freight.notifications import hooks
from freight.quotes import repository as quotes_repo
from freight.quotes import rules as quote_rules
from freight.quotes import service as quotes
from freight.quotes.models import Payment, Quote
from freight.repairs.lifecycle import move
from freight.repairs.models import RepairRequest
from freight.repairs.rules import RRStatus, can_transition
from freight.shipments import documents, purchase_record, rules, voiding
from freight.shipments import repository as repo
from freight.shipments.models import Shipment
from freight.shipments.rating import apply_rate, label_metadata, rate_from, rate_request

log = logging.getLogger("freight.shipments.purchase")
SYSTEM = "system"
_DONE = (rules.VOIDED, rules.FAILED, rules.DRAFT, rules.VOID_PENDING)


def _carrier(ctx: JobContext) -> CarrierPort:
    port: CarrierPort = ctx.carrier
    return port


def buy_label(session: Session, ctx: JobContext, *, shipment_id: str) -> None:
    """Buy (or find) the shipment's label, record it, ship the RR, capture the hold."""
    shipment = repo.get(session, shipment_id, lock=True)
    if shipment is None or shipment.state in _DONE:
        return
    rr = session.get_one(RepairRequest, shipment.rr_id, with_for_update=True)
    quote = quotes_repo.latest_for_shipment(session, shipment.id)
    payment = quotes_repo.payment_for(session, quote.id, lock=True) if quote is not None else None
    if quote is not None and quote.status != quote_rules.ACCEPTED:
        _abandon(session, ctx, shipment, quote, payment)
        return
    if (
        shipment.state == rules.PURCHASING
        and payment is not None
        and payment.status != "authorized"
    ):
        # The hold lapsed or was released before the label (e.g. the bank wanted the customer
        # again and they have not confirmed yet): buy nothing unpaid. Confirming the new hold
        # queues this job again (freight.quotes.holds).
        log.warning("shipment.label.waits_for_payment", extra={
            "event": "shipment.label.waits_for_payment", "shipment_id": shipment.id})  # fmt: skip
        return
    if shipment.state == rules.PURCHASING:
        label = _obtain(session, ctx, shipment, rr, quote, payment)
        if label is None:
            return
        record_label(session, ctx, shipment, rr, label)
    capture_if_due(ctx, shipment, payment)


def capture_if_due(ctx: JobContext, shipment: Shipment, payment: Payment | None) -> None:
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
    """The label, or None when this run only recorded a rate (or superseded, or failed)."""
    try:
        chosen = _rate_to_buy(session, ctx, shipment, rr, quote, payment)
        if chosen is None or isinstance(chosen, Label):
            return chosen
        return _buy(ctx, shipment, chosen)
    except RateNotFound:
        # The rate lapsed before the job ran: any label bought meanwhile wins; else re-rate with
        # the same rule, record that rate, and let the next job buy it.
        found = _carrier(ctx).find_label(purchase_record.recorded_rates(shipment))
        if found is not None:
            return found
        fresh = _fresh_rate(ctx, shipment, rr)
        apply_rate(shipment, fresh)
        purchase_record.record_and_continue(session, ctx, shipment, fresh)
        return None
    except CarrierRejected as exc:
        _fail(session, ctx, shipment, rr, payment, exc)
        return None


def _rate_to_buy(
    session: Session,
    ctx: JobContext,
    shipment: Shipment,
    rr: RepairRequest,
    quote: Quote | None,
    payment: Payment | None,
) -> Rate | Label | None:
    """A rate committed before this run; None after recording a new one for the next run (or
    superseding the quote); a Label when the re-check found one bought before a crash."""
    confirmed = purchase_record.confirmed_rate(shipment)
    if confirmed is not None:
        return confirmed
    if quote is None:
        # Vendor-paid: the rate chosen (and committed) by the outbound request.
        stored = rate_from((shipment.details or {})["rate"])
        purchase_record.note_rate(shipment, stored, now=ctx.now)
        return stored
    rate = _fresh_rate(ctx, shipment, rr)
    if not quote_rules.within_tolerance(
        Money(quote.amount, quote.currency), rate.amount, ctx.settings.quote_tolerance
    ):
        found = _carrier(ctx).find_label(purchase_record.recorded_rates(shipment))
        if found is not None:
            return found  # bought before a crash: a purchase that happened is never re-asked
        _supersede(session, ctx, shipment, quote, payment, rate)
        return None
    apply_rate(shipment, rate)
    purchase_record.record_and_continue(session, ctx, shipment, rate)
    return None


def _buy(ctx: JobContext, shipment: Shipment, rate: Rate) -> Label:
    """Buy the recorded rate; every other recorded rate is looked up first. On a first run of
    the job that buys it, this rate cannot have been posted yet (it was recorded by the run
    before, or by the outbound request), so only a rerun looks it up too."""
    earlier = [r for r in purchase_record.recorded_rates(shipment) if r != rate.rate_id]
    return _carrier(ctx).buy_label(
        rate, metadata=label_metadata(shipment.id), label_format=ctx.settings.label_format,
        may_exist=ctx.attempt != 1, earlier_rates=earlier,
    )  # fmt: skip


def _fresh_rate(ctx: JobContext, shipment: Shipment, rr: RepairRequest) -> Rate:
    """Re-rate; keep the same carrier service when it is still offered, else apply the rule.
    A carrier that could not answer this time (carrier_timeout) is waited for, not replaced."""
    build = inbound_request if shipment.purpose == INBOUND_LABEL else rate_request
    rates = _carrier(ctx).rate(build(rr, shipment, ctx.settings))
    same = [
        r
        for r in rates
        if r.carrier == shipment.carrier and r.service_token == shipment.service_token
    ]
    if same:
        return min(same, key=lambda r: r.amount.amount)
    missing = getattr(rates, "temporarily_missing", ())
    if shipment.carrier and (shipment.carrier in missing or "carrier" in missing):
        raise CarrierUnavailable(
            f"{shipment.carrier} did not answer this rating; the same service is tried again later"
        )
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
    quotes.cancel_hold(
        ctx.payments, payment, reason="the freight rose above the quote; a new quote follows"
    )
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


def record_label(
    session: Session, ctx: JobContext, shipment: Shipment, rr: RepairRequest, label: Label
) -> None:
    """The label is ours: keep its files, ship the RR. (Shippo tracks the labels it sold, so
    there is no separate tracking registration.)"""
    shipment.tracking_number, shipment.transaction_id = label.tracking_number, label.transaction_id
    shipment.label_url, shipment.label_format = label.label_url, ctx.settings.label_format
    shipment.carrier = label.carrier or shipment.carrier
    shipment.rate_id = label.rate_id or shipment.rate_id
    shipment.cost_amount, shipment.cost_currency = label.cost.quantize().amount, label.cost.currency
    shipment.eta, shipment.state = label.eta, rules.LABELED
    purchase_record.note_transaction(shipment, label.transaction_id, "SUCCESS", label.rate_id)
    documents.keep(session, _carrier(ctx), shipment, label)
    if shipment.status == "UNKNOWN":
        shipment.status = "PRE_TRANSIT"
    if shipment.purpose == INBOUND_LABEL:
        inbound.labeled(shipment, rr, now=ctx.now)  # the RR waits for its unit: not shipped
        return
    if can_transition(rr.status, RRStatus.SHIPPED):
        rule = str(shipment.freight_terms.get("rule", ""))  # the terms decided once, in the core
        move(
            session,
            rr,
            RRStatus.SHIPPED,
            actor=SYSTEM,
            at=ctx.now,
            rule=rule,
            note=f"Label bought: {label.carrier} {label.tracking_number}",
        )
    hooks.shipped(session, rr=rr, shipment=shipment)
    log.info(
        "shipment.label.bought",
        extra={
            "event": "shipment.label.bought",
            "shipment_id": shipment.id,
            "tracking_number": label.tracking_number,
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
    quotes.cancel_hold(ctx.payments, payment, reason="the carrier refused the shipment")
    if rr.status == RRStatus.AWAITING_PAYMENT and can_transition(rr.status, RRStatus.READY_TO_SHIP):
        move(
            session,
            rr,
            RRStatus.READY_TO_SHIP,
            actor=SYSTEM,
            at=ctx.now,
            note=f"Label purchase refused by the carrier: {exc}",
        )
    log.warning(
        "shipment.label.failed",
        extra={"event": "shipment.label.failed", "shipment_id": shipment.id},
    )


def _abandon(
    session: Session, ctx: JobContext, shipment: Shipment, quote: Quote, payment: Payment | None
) -> None:
    """The quote is no longer accepted: void a label bought for it meanwhile, release the hold."""
    stray = _carrier(ctx).find_label(purchase_record.recorded_rates(shipment))
    if stray is not None and shipment.state not in (rules.VOIDED, rules.VOID_PENDING):
        shipment.transaction_id, shipment.tracking_number = (
            stray.transaction_id,
            stray.tracking_number,
        )
        voiding.request_refund(session, ctx.carrier, shipment, enqueue=ctx.enqueue)
        log.warning(
            "shipment.label.voided_stray",
            extra={
                "event": "shipment.label.voided_stray",
                "shipment_id": shipment.id,
                "quote_id": quote.id,
            },
        )
    quotes.cancel_hold(ctx.payments, payment)
