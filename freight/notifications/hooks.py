"""One-line hooks for other features: build the email context from their models and queue it."""

from __future__ import annotations

from sqlalchemy.orm import Session

from freight.carrier_registry import display_name as _carrier_name
from freight.notifications.service import notify
from freight.quotes.models import Quote
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
            "tracking_number": shipment.tracking_number or "",
            "tracking_url": tracking_url(shipment.carrier, shipment.tracking_number) or "",
            "replacement": (shipment.details or {}).get("replacement"),
        },
    )  # fmt: skip
