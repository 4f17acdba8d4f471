"""Every finance query lives here (invoice lines; ledger inputs in batches)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from freight.finance.models import CarrierInvoiceLine
from freight.quotes.models import Payment, Quote
from freight.repairs.models import RepairRequest


def existing_keys(session: Session, keys: Sequence[str]) -> dict[str, CarrierInvoiceLine]:
    if not keys:
        return {}
    rows = session.scalars(select(CarrierInvoiceLine).where(CarrierInvoiceLine.line_key.in_(keys)))
    return {r.line_key: r for r in rows}


def lines_for(session: Session, shipment_ids: Sequence[str]) -> dict[str, list[CarrierInvoiceLine]]:
    found: dict[str, list[CarrierInvoiceLine]] = defaultdict(list)
    if shipment_ids:
        stmt = select(CarrierInvoiceLine).where(CarrierInvoiceLine.shipment_id.in_(shipment_ids))
        for line in session.scalars(stmt.order_by(CarrierInvoiceLine.id)):
            found[line.shipment_id or ""].append(line)
    return found


def rr_numbers(session: Session, rr_ids: Sequence[int]) -> dict[int, str]:
    if not rr_ids:
        return {}
    stmt = select(RepairRequest.id, RepairRequest.rr_number).where(RepairRequest.id.in_(rr_ids))
    return {int(i): str(n) for i, n in session.execute(stmt).all()}


def quotes_for(session: Session, shipment_ids: Sequence[str]) -> dict[str, list[Quote]]:
    found: dict[str, list[Quote]] = defaultdict(list)
    if shipment_ids:
        stmt = select(Quote).where(Quote.shipment_id.in_(shipment_ids)).order_by(Quote.created_at)
        for quote in session.scalars(stmt):
            found[quote.shipment_id].append(quote)
    return found


def payments_for(session: Session, quote_ids: Sequence[str]) -> dict[str, Payment]:
    if not quote_ids:
        return {}
    return {
        p.quote_id: p
        for p in session.scalars(select(Payment).where(Payment.quote_id.in_(quote_ids)))
    }
