"""The purchase record: which carrier rates a shipment's label may have been bought with.

A label is only ever bought for a rate id that was committed here *before* the POST, so after a
crash at any step every rate the carrier may have sold us a label for is known and looked up
(GET /transactions?rate=…, the only filter Shippo offers). The quoted path re-rates at purchase
(SPEC §6): the new rate is recorded and committed by one job, bought by a second one."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from carriers.types import Rate
from freight.jobs.registry import JobContext
from freight.shipments.models import Shipment
from freight.shipments.rating import rate_from, rate_json

BUY_LABEL = "shipments.buy_label"


def _record(shipment: Shipment) -> dict[str, Any]:
    value = (shipment.details or {}).get("purchase")
    return dict(value) if isinstance(value, dict) else {}


def recorded_rates(shipment: Shipment) -> list[str]:
    """Every rate id a label of this shipment may have been bought with, oldest first."""
    return [str(r) for r in _record(shipment).get("rates") or []]


def confirmed_rate(shipment: Shipment) -> Rate | None:
    """The recorded rate a purchase job is to buy (committed before the job began), if any."""
    value = _record(shipment).get("rate")
    return rate_from(value) if isinstance(value, dict) else None


def _save(shipment: Shipment, record: dict[str, Any]) -> None:
    shipment.details = {**(shipment.details or {}), "purchase": record}


def note_rate(shipment: Shipment, rate: Rate, *, now: datetime) -> None:
    """Add a rate that is already committed elsewhere (the vendor path's stored rate)."""
    record = _record(shipment)
    rates = recorded_rates(shipment)
    if rate.rate_id not in rates:
        rates.append(rate.rate_id)
    _save(shipment, {**record, "rates": rates, "rate": rate_json(rate), "at": now.isoformat()})


def record_and_continue(session: Session, ctx: JobContext, shipment: Shipment, rate: Rate) -> None:
    """Record a fresh rate and queue the job that buys it, once this transaction commits."""
    note_rate(shipment, rate, now=ctx.now)
    ctx.enqueue(
        session,
        task=BUY_LABEL,
        args={"shipment_id": shipment.id},
        key=f"buy_label:{shipment.id}:rate:{rate.rate_id}",
    )


def note_transaction(
    shipment: Shipment, transaction_id: str, status: str, rate_id: str | None
) -> None:
    """Remember a carrier transaction seen for this shipment (webhook or look-up)."""
    record = _record(shipment)
    seen = dict(record.get("transactions") or {})
    seen[transaction_id] = status
    rates = recorded_rates(shipment)
    if rate_id and rate_id not in rates:
        rates.append(rate_id)
    _save(shipment, {**record, "transactions": seen, "rates": rates})
