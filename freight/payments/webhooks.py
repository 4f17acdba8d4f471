"""Stripe's webhooks (SPEC §6): POST /webhooks/stripe, signature checked with the SDK, stored in
the webhook store once per Stripe event id (`stripe:evt_…`), applied in a job.

Applied: `payment_intent.amount_capturable_updated` (the hold is placed: the quote is accepted),
`payment_intent.payment_failed` (declined or failed challenge: the quote stays open, with the
bank's sentence), `payment_intent.canceled` (the hold released or lapsed), `charge.refunded`
(refunded amount). Other event types are answered 200 and not stored. The job reads the intent
from the processor rather than trusting the event's snapshot, so events applied late or out of
order still leave the payment as the processor has it; a replayed event is a duplicate (200) and
is applied once. Never commits.
"""

from __future__ import annotations

import logging
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

import orjson
from sqlalchemy.orm import Session

from freight.errors import AppError
from freight.jobs.registry import JobContext
from freight.jobs.service import enqueue_new
from freight.payments.port import PaymentsPort, from_minor
from freight.quotes import repository as quotes_repo
from freight.quotes.models import Payment
from freight.webhooks import repository as store

log = logging.getLogger("freight.payments.webhooks")

PROCESS_TASK = "payments.stripe_event"
APPLIED = frozenset({
    "payment_intent.amount_capturable_updated", "payment_intent.payment_failed",
    "payment_intent.canceled", "charge.refunded",
})  # fmt: skip
MAX_BYTES = 1_000_000
Ingested = Literal["accepted", "duplicate", "ignored"]


class SignatureInvalidError(AppError):
    def __init__(self, detail: str) -> None:
        super().__init__(
            detail, 400, "Invalid Stripe signature",
            "https://rr-freight.example/problems/webhook-signature",
        )  # fmt: skip


class MalformedEventError(AppError):
    def __init__(self, detail: str) -> None:
        super().__init__(
            detail,
            400,
            "Malformed webhook",
            "https://rr-freight.example/problems/malformed-webhook",
        )


def parse(body: bytes, signature: str | None, secret: str | None) -> dict[str, Any]:
    """The verified event (400 if the signature is wrong, missing or stale, or the body bad)."""
    from freight.payments.stripe_adapter import SignatureError, verify_event

    if not secret:
        raise SignatureInvalidError(
            "Stripe webhooks are not accepted: FREIGHT_STRIPE_WEBHOOK_SECRET is not set."
        )
    if len(body) > MAX_BYTES:
        raise MalformedEventError("The body is larger than 1 MB.")
    try:
        verify_event(body, signature, secret)
    except SignatureError as exc:
        raise SignatureInvalidError(
            f"The Stripe-Signature header is not valid: {exc.reason}"
        ) from exc
    except ValueError as exc:  # signed, but not JSON
        raise MalformedEventError(f"The body is not valid JSON: {exc}") from exc
    try:
        event = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise MalformedEventError(f"The body is not valid JSON: {exc}") from exc
    _check_limits(event, 1)
    obj = (event.get("data") or {}).get("object") if isinstance(event, dict) else None
    if not isinstance(event.get("id"), str) or not isinstance(obj, dict):
        raise MalformedEventError("The body is not a Stripe event {id, type, data.object}.")
    return dict(event)


MAX_DEPTH = 64


def _check_limits(value: Any, depth: int) -> None:
    """SPEC §10: depth ≤ 64 and no NUL in any string (a key or a value)."""
    if depth > MAX_DEPTH:
        raise MalformedEventError(f"The body is nested deeper than {MAX_DEPTH} levels.")
    if isinstance(value, str):
        if "\x00" in value:
            raise MalformedEventError("The body contains a NUL character (\\u0000).")
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_limits(key, depth)
            _check_limits(item, depth + 1)
    elif isinstance(value, list):
        for item in value:
            _check_limits(item, depth + 1)


def ingest(session: Session, *, event: dict[str, Any], now: datetime) -> Ingested:
    """Store an applied event once by its id and queue its job in the same transaction."""
    kind = str(event.get("type") or "")
    if kind not in APPLIED:
        return "ignored"
    stored = store.insert_if_new(
        session, dedup_key=f"stripe:{event['id']}"[:300], event=kind[:50], payload=event, now=now
    )
    if stored is None:
        return "duplicate"
    enqueue_new(session, task=PROCESS_TASK, args={"event_id": stored}, key=f"stripe:{stored}")
    log.info("stripe.webhook.stored", extra={"event": "stripe.webhook.stored", "type": kind})
    return "accepted"


def apply_stripe_event(session: Session, ctx: JobContext, *, event_id: int) -> str:
    """The job: apply one stored Stripe event to its quote's payment; a second run stops."""
    from freight.quotes.checkout import apply_intent

    stored = store.get(session, event_id, lock=True)
    if stored is None or stored.status in ("processed", "ignored"):
        return stored.status if stored is not None else "missing"
    obj = stored.payload["data"]["object"]
    ref = str(obj.get("payment_intent") if stored.event == "charge.refunded" else obj.get("id"))
    hold = quotes_repo.hold_by_ref(session, ref)
    payment = session.get(Payment, hold.payment_id, with_for_update=True) if hold else None
    if payment is None:
        stored.status, stored.error = "ignored", f"no payment here has the intent {ref}"
    elif stored.event == "charge.refunded":
        _refunded(payment, obj)
        stored.status = "processed"
    else:
        port: PaymentsPort = ctx.payments
        apply_intent(session, port, payment, port.retrieve_intent(ref), now=ctx.now)
        stored.status = "processed"
    stored.processed_at = ctx.now
    return stored.status


def _refunded(payment: Payment, charge: dict[str, Any]) -> None:
    """What the processor says is refunded (never less than we already know)."""
    amount = from_minor(int(charge.get("amount_refunded") or 0), payment.currency).amount
    payment.refunded_amount = max(payment.refunded_amount or Decimal(0), amount)
