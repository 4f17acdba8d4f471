"""What Shippo's transaction webhooks mean for a shipment (the consumer of `transaction_created`
and `transaction_updated` calls `apply_transaction_event`).

- `transaction_created` carries our metadata: it is the lasting record that a label was bought
  for the shipment, whatever happened to the purchase call's answer;
- a QUEUED purchase that becomes SUCCESS is recorded (and the capture queued) without waiting
  for the purchase job's next try;
- REFUNDED / REFUNDREJECTED settle a void that is pending (there is no refund webhook); a
  refund the carrier confirms for the label in force (asked for outside this service, or by a
  void whose answer was lost) voids it the same way; REFUNDPENDING is noted on the label;
- ERROR for the purchase being waited on wakes the purchase job, which decides (it is the one
  place a purchase outcome is acted on);
- a second label for a shipment that already has one is refunded at once: one label each."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy.orm import Session

from carriers.errors import CarrierError, LabelPending
from carriers.webhooks import WebhookEvent
from freight.repairs.models import RepairRequest
from freight.shipments import purchase, purchase_record, rules, voiding
from freight.shipments import repository as repo
from freight.shipments.models import Shipment

log = logging.getLogger("freight.shipments")
BOUGHT = ("QUEUED", "WAITING", "SUCCESS")


def apply_transaction_event(session: Session, ctx: Any, event: WebhookEvent) -> str:
    """Apply one transaction event; returns what it did (for the event's log line)."""
    shipment = _shipment_of(session, event)
    if shipment is None or not event.transaction_id:
        return "not ours"
    status, tid = event.transaction_status or "", event.transaction_id
    if status in BOUGHT:
        purchase_record.note_transaction(shipment, tid, status, event.rate_id)
    if shipment.state == rules.VOID_PENDING and tid == shipment.transaction_id:
        voiding.settle(session, shipment, status, now=ctx.now)
        return f"void {shipment.state}"
    if shipment.state == rules.LABELED and tid == shipment.transaction_id:
        return _label_refund(session, ctx, shipment, status)
    if status == "ERROR" and shipment.state == rules.PURCHASING:
        ctx.enqueue(
            session, task=purchase_record.BUY_LABEL, args={"shipment_id": shipment.id},
            key=f"buy_label:{shipment.id}:tx:{tid}:ERROR",
        )  # fmt: skip
        return "purchase job woken"
    if status != "SUCCESS":
        return "noted"
    if shipment.state == rules.PURCHASING:
        return _bought(session, ctx, shipment, tid)
    if shipment.transaction_id and tid != shipment.transaction_id and shipment.state in (
        rules.LABELED, rules.VOIDED, rules.FAILED,
    ):  # fmt: skip
        return _second_label(ctx, shipment, tid)
    return "already recorded"


def _label_refund(session: Session, ctx: Any, shipment: Shipment, status: str) -> str:
    """The label in force, as the carrier now reports it."""
    if status == "REFUNDED":  # the carrier refunded it: the label is void, whoever asked
        shipment.state = rules.VOID_PENDING
        voiding.settle(session, shipment, status, now=ctx.now)
        return f"refunded by the carrier: {shipment.state}"
    if status in ("REFUNDPENDING", "REFUNDREJECTED"):
        shipment.refund_status = status
        return f"refund {status}"
    return "already recorded" if status == "SUCCESS" else "noted"


def _shipment_of(session: Session, event: WebhookEvent) -> Shipment | None:
    shipment = repo.by_metadata(session, event.metadata)
    if shipment is None and event.transaction_id:
        shipment = repo.by_transaction(session, event.transaction_id)
    return shipment


def _bought(session: Session, ctx: Any, shipment: Shipment, transaction_id: str) -> str:
    """The label finished while the purchase job waits: record it now, capture in a job."""
    try:
        label = ctx.carrier.get_label(transaction_id)
    except LabelPending:
        return "still queued"
    rr = session.get_one(RepairRequest, shipment.rr_id, with_for_update=True)
    purchase.record_label(session, ctx, shipment, rr, label)
    ctx.enqueue(
        session, task=purchase_record.BUY_LABEL, args={"shipment_id": shipment.id},
        key=f"buy_label:{shipment.id}:tx:{transaction_id}",
    )  # fmt: skip
    return "label recorded"


def _second_label(ctx: Any, shipment: Shipment, transaction_id: str) -> str:
    """A label we did not mean to keep (bought twice by someone or something): refund it."""
    log.error(
        "shipment.label.duplicate",
        extra={"event": "shipment.label.duplicate", "shipment_id": shipment.id,
               "transaction_id": transaction_id},
    )  # fmt: skip
    try:
        ctx.carrier.void_label(transaction_id)
    except CarrierError as exc:
        shipment.details = {
            **(shipment.details or {}),
            "error": f"A second label {transaction_id} exists and could not be refunded: {exc}",
        }
        return "duplicate kept"
    return "duplicate refunded"
