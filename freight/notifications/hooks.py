"""One-line hooks for other features: build the email context from their models and queue it."""

from __future__ import annotations

from sqlalchemy.orm import Session

from freight.carrier_registry import display_name as _carrier_name
from freight.carrier_registry import service_name
from freight.notifications.service import notify
from freight.quotes.models import Payment, Quote
from freight.repairs.models import RepairRequest
from freight.shipments.models import Shipment
from freight.tracking.rules import tracking_url


def quote_ready(session: Session, *, rr: RepairRequest, quote: Quote) -> None:
    """Email the customer a freight quote to accept (once per quote)."""
    notify(
        session, rr=rr, kind="quote_ready", discriminator=quote.id,
        context={
            "quote_id": quote.id, "amount": str(quote.amount), "currency": quote.currency,
            "carrier": _carrier_name(quote.carrier), "service": quote.service,
            "carrier_service": service_name(quote.carrier, quote.service),
            "estimated_days": quote.estimated_days,
            "expires_at": quote.expires_at.strftime("%Y-%m-%d %H:%M UTC"),
        },
    )  # fmt: skip


def card_reconfirm(session: Session, *, rr: RepairRequest, quote: Quote, hold_id: str) -> None:
    """The card hold must be placed again and the bank wants the customer (once per new hold)."""
    notify(
        session, rr=rr, kind="card_reconfirm", discriminator=hold_id,
        context={"quote_id": quote.id, "amount": str(quote.amount), "currency": quote.currency},
    )  # fmt: skip


def shipped(session: Session, *, rr: RepairRequest, shipment: Shipment) -> None:
    """Email the carrier and tracking link once a label is bought (once per shipment)."""
    notify(
        session, rr=rr, kind="shipped", discriminator=shipment.id,
        context={
            "carrier": _carrier_name(shipment.carrier),
            "carrier_service": service_name(shipment.carrier, shipment.service),
            "tracking_number": shipment.tracking_number or "",
            "tracking_url": tracking_url(shipment.carrier, shipment.tracking_number) or "",
            "replacement": (shipment.details or {}).get("replacement"),
        },
    )  # fmt: skip


def _money(amount: object, currency: str) -> str:
    return f"{amount} {currency}"


def auto_cancelled(session: Session, *, rr: RepairRequest, reason: str, rule: str) -> None:
    """P-30DAY: the RR was cancelled because no unit was seen in time (once per RR)."""
    deadline = rr.inbound_deadline.strftime("%Y-%m-%d") if rr.inbound_deadline else ""
    notify(session, rr=rr, kind="rr_auto_cancelled",
           context={"reason": reason, "rule": rule, "inbound_deadline": deadline})  # fmt: skip


def quote_expired(session: Session, *, rr: RepairRequest, quote: Quote) -> None:
    """An open quote lapsed unaccepted (once per quote)."""
    notify(
        session, rr=rr, kind="quote_expired", discriminator=quote.id,
        context={"quote_id": quote.id, "amount": _money(quote.amount, quote.currency),
                 "carrier_service": service_name(quote.carrier, quote.service),
                 "expired_at": quote.expires_at.strftime("%Y-%m-%d %H:%M UTC")},
    )  # fmt: skip


def _rr_of(session: Session, payment: Payment) -> RepairRequest | None:
    quote = session.get(Quote, payment.quote_id)
    return session.get(RepairRequest, quote.rr_id) if quote is not None else None


def card_captured(session: Session, *, payment: Payment) -> None:
    """Receipt: what was held and what was charged when the label was bought (once)."""
    rr = _rr_of(session, payment)
    if rr is None:
        return
    notify(
        session, rr=rr, kind="card_captured", discriminator=payment.id,
        context={"authorized": _money(payment.authorized_amount, payment.currency),
                 "captured": _money(payment.captured_amount, payment.currency),
                 "payment_id": payment.id},
    )  # fmt: skip


def hold_voided(session: Session, *, payment: Payment, reason: str) -> None:
    """The card hold was released without a charge (once)."""
    rr = _rr_of(session, payment)
    if rr is None:
        return
    notify(
        session, rr=rr, kind="payment_voided", discriminator=payment.id,
        context={"authorized": _money(payment.authorized_amount, payment.currency),
                 "reason": reason},
    )  # fmt: skip


def refunded(session: Session, *, payment: Payment, amount: object, reason: str) -> None:
    """A captured freight charge was refunded (once per payment)."""
    rr = _rr_of(session, payment)
    if rr is None:
        return
    notify(
        session, rr=rr, kind="payment_refunded", discriminator=payment.id,
        context={"refund": _money(amount, payment.currency),
                 "captured": _money(payment.captured_amount, payment.currency),
                 "reason": reason},
    )  # fmt: skip
