"""Finance use cases: the freight reconciliation ledger, carrier invoice import. Never commits."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

import pycountry
from sqlalchemy.orm import Session

from freight.credits import repository as credits_repo
from freight.errors import FieldError, ValidationFailedError
from freight.finance import repository as repo
from freight.finance.models import CarrierInvoiceLine
from freight.finance.rules import (
    CreditInput,
    InvoiceLine,
    LedgerInput,
    LedgerRow,
    credit_row,
    ledger_row,
    parse_invoice,
)
from freight.quotes import repository as quotes_repo
from freight.quotes.models import Payment, PaymentHold, Quote
from freight.shipments import repository as shipments_repo
from freight.shipments.models import Shipment

log = logging.getLogger("freight.finance")
_CURRENCIES = frozenset(str(c.alpha_3) for c in pycountry.currencies)


def reconciliation(
    session: Session, *, start: datetime | None, end: datetime | None
) -> list[LedgerRow]:
    """One ledger row per outbound shipment created in [start, end)."""
    shipments = shipments_repo.outbound_between(session, start, end)
    ids = [s.id for s in shipments]
    quotes = repo.quotes_for(session, ids)
    payments = repo.payments_for(session, [q.id for qs in quotes.values() for q in qs])
    lines = repo.lines_for(session, ids)
    holds = quotes_repo.holds_for(session, [p.id for p in payments.values()])
    credit_refunds = credits_repo.between(session, start, end)
    numbers = repo.rr_numbers(
        session, sorted({s.rr_id for s in shipments} | {c.rr_id for c in credit_refunds})
    )
    rows = [
        ledger_row(
            _input(
                s,
                numbers.get(s.rr_id, ""),
                quotes.get(s.id, []),
                payments,
                lines.get(s.id, []),
                holds,
            )
        )
        for s in shipments
    ]
    return rows + [
        credit_row(CreditInput(c.id, numbers.get(c.rr_id, ""), c.created_at, c.status, c.currency,
                               c.price, c.fee, c.refund))
        for c in credit_refunds
    ]  # fmt: skip


def _charged_quote(
    quotes: list[Quote], payments: dict[str, Payment]
) -> tuple[Quote | None, Payment | None]:
    """The quote the customer paid for (the last with a payment), else the latest quote."""
    for quote in reversed(quotes):
        if quote.id in payments and payments[quote.id].status in ("authorized", "captured"):
            return quote, payments[quote.id]
    return (quotes[-1] if quotes else None), None


def _input(
    shipment: Shipment,
    rr_number: str,
    quotes: list[Quote],
    payments: dict[str, Payment],
    lines: list[CarrierInvoiceLine],
    holds: dict[str, list[PaymentHold]],
) -> LedgerInput:
    quote, payment = _charged_quote(quotes, payments)
    terms = shipment.freight_terms or {}
    currency = shipment.cost_currency or (quote.currency if quote else None) or "USD"
    zero = Decimal(0)
    return LedgerInput(
        shipment_id=shipment.id,
        rr_number=rr_number,
        created_at=shipment.created_at,
        purpose=shipment.purpose,
        region=str(terms.get("region") or ""),
        payer=str(terms.get("payer") or ""),
        carrier=shipment.carrier or "",
        service=shipment.service or "",
        tracking_number=shipment.tracking_number or "",
        state=shipment.state,
        currency=currency,
        quote=quote.amount if quote else None,
        authorized=payment.authorized_amount if payment else zero,
        captured=(payment.captured_amount or zero) if payment else zero,
        refunded=(payment.refunded_amount or zero) if payment else zero,
        label_cost=shipment.cost_amount,
        label_refunded=shipment.state == "voided",
        adjustments=tuple((line.amount, line.currency) for line in lines),
        holds=tuple(
            (h.provider_ref, h.status, h.amount)
            for h in holds.get(payment.id if payment else "", [])
        ),
    )


@dataclass
class ImportReport:
    lines: int = 0
    imported: int = 0
    duplicates: int = 0
    matched: int = 0
    unmatched: int = 0
    unmatched_lines: list[dict[str, Any]] = field(default_factory=list)
    matched_lines: list[dict[str, Any]] = field(default_factory=list)


def import_invoice(session: Session, *, text: str, now: datetime) -> ImportReport:
    """Import a carrier invoice CSV; match lines by tracking number; idempotent on re-upload."""
    lines, problems = parse_invoice(text, _CURRENCIES)
    if problems:
        errors = [FieldError(f"file.row{p.row}.{p.field}", p.message) for p in problems[:50]]
        raise ValidationFailedError(
            f"The invoice has {len(problems)} problem(s); nothing was imported.", errors
        )
    existing = repo.existing_keys(session, [line.line_key for line in lines])
    shipments = shipments_repo.by_tracking(
        session, sorted({line.tracking_number for line in lines})
    )
    report = ImportReport(lines=len(lines))
    for line in lines:
        shipment = shipments.get(line.tracking_number)
        row = existing.get(line.line_key)
        if row is None:
            session.add(_row(line, shipment, now))
            report.imported += 1
        else:
            report.duplicates += 1
            if row.shipment_id is None and shipment is not None:
                row.shipment_id = shipment.id  # the label was bought after the first upload
        _count(report, line, shipment)
    session.flush()
    log.info(
        "finance.invoice.imported",
        extra={
            "event": "finance.invoice.imported",
            "lines": report.lines,
            "matched": report.matched,
            "unmatched": report.unmatched,
        },
    )
    return report


def _row(line: InvoiceLine, shipment: Shipment | None, now: datetime) -> CarrierInvoiceLine:
    return CarrierInvoiceLine(
        tracking_number=line.tracking_number,
        carrier=line.carrier,
        invoice_number=line.invoice_number,
        invoice_date=line.invoice_date,
        amount=line.amount,
        currency=line.currency,
        reason=line.reason,
        line_key=line.line_key,
        shipment_id=shipment.id if shipment else None,
        imported_at=now,
    )


def _count(report: ImportReport, line: InvoiceLine, shipment: Shipment | None) -> None:
    if shipment is not None:
        report.matched += 1
        report.matched_lines.append({**_line(line), "shipment_id": shipment.id})
        return
    report.unmatched += 1
    report.unmatched_lines.append(_line(line))


def _line(line: InvoiceLine) -> dict[str, Any]:
    return {
        "row": line.row,
        "tracking_number": line.tracking_number,
        "carrier": line.carrier,
        "invoice_number": line.invoice_number,
        "amount": str(line.amount),
        "currency": line.currency,
        "reason": line.reason,
    }
