"""The freight ledger and carrier invoice lines. Pure.

One ledger row per outbound shipment (rows are computed, never stored copies):

- quote: the amount the customer accepted (or the latest quote), customer-paid only;
- authorized / captured / refunds: the card hold, what was captured, what went back;
- label_cost: what the label cost when bought (0 once the carrier refunded a voided label);
- adjustments: the sum of carrier invoice lines matched to the shipment by tracking number.
  An invoice line is an adjustment on top of the label price (weight correction, address
  correction, surcharge; negative for a credit) — the label price itself is `label_cost`;
- vendor_paid_freight: label_cost + adjustments when the vendor pays (P-NA), else 0;
- variance: customer-paid (P-QUOTE): (label_cost + adjustments) − (captured − refunds), i.e.
  what the carrier billed minus what the customer finally paid; vendor-paid: adjustments (what
  the carrier billed beyond the price we bought at);
- status: `reconciled` when an invoice line matched and |variance| ≤ 0.01, `mismatch` when one
  matched and the variance is larger (or the invoice is in another currency), `open` otherwise
  (no invoice line yet).

- holds: every card hold placed for the quote, oldest first, as `ref:status:amount` separated by
  spaces (a hold that would lapse after 7 days is placed again; statuses pending, authorized,
  released, captured, failed, lapsed).

Credit returns (P-CREDIT) add one row per refund, with no shipment: purpose `credit_refund`,
`credit_price` (what the customer paid the web store), `restocking_fee` and `credit_refund`
(price − fee, what went back); `shipment_state` is the refund's own state (pending, refunded,
failed) and `status` is `reconciled` once the processor confirmed the refund, `open` while it is
pending, `mismatch` when it failed. Shipment rows leave the three credit columns empty.

CSV columns (stable order; amounts are decimal strings in `currency`, ISO 4217, with that
currency's minor units — 1500 JPY, 12.50 USD, 1.250 KWD — so a row's figures add up; times are
ISO-8601 UTC with a trailing Z): see `COLUMNS`.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from freight.limits import check_amount, check_year
from freight.money import minor_units

COLUMNS: tuple[str, ...] = (
    "shipment_id",
    "rr_number",
    "created_at",
    "purpose",
    "region",
    "payer",
    "carrier",
    "service",
    "tracking_number",
    "shipment_state",
    "currency",
    "quote",
    "authorized",
    "captured",
    "label_cost",
    "adjustments",
    "refunds",
    "vendor_paid_freight",
    "variance",
    "status",
    "invoice_lines",
    "credit_price",
    "restocking_fee",
    "credit_refund",
    "holds",
)
TOLERANCE = Decimal("0.01")
INVOICE_COLUMNS = (
    "tracking_number",
    "carrier",
    "invoice_number",
    "invoice_date",
    "amount",
    "currency",
)
# Column sizes as stored (SPEC §10: nothing is cut or half-stored).
INVOICE_SIZES = {"tracking_number": 100, "carrier": 40, "invoice_number": 100, "reason": 2000}
CONTROL = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True)
class LedgerInput:
    shipment_id: str
    rr_number: str
    created_at: datetime
    purpose: str
    region: str
    payer: str
    carrier: str
    service: str
    tracking_number: str
    state: str
    currency: str
    quote: Decimal | None
    authorized: Decimal
    captured: Decimal
    refunded: Decimal
    label_cost: Decimal | None
    label_refunded: bool
    adjustments: tuple[tuple[Decimal, str], ...]  # (amount, currency) per matched invoice line
    holds: tuple[tuple[str, str, Decimal], ...] = ()  # (processor ref, status, amount) per hold


@dataclass(frozen=True)
class LedgerRow:
    values: dict[str, str]
    variance: Decimal
    status: str


def _round(value: Decimal, currency: str) -> Decimal:
    """An amount rounded half-up to the currency's minor unit (JPY 0, USD 2, KWD 3 digits)."""
    return value.quantize(Decimal(1).scaleb(-minor_units(currency)), ROUND_HALF_UP)


def _q(value: Decimal, currency: str) -> str:
    """An amount as a decimal string in the currency's minor units."""
    return str(_round(value, currency))


def utc_text(moment: datetime) -> str:
    """ISO-8601 UTC with a Z (the CSV's time format)."""
    return moment.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def ledger_row(item: LedgerInput) -> LedgerRow:
    """One shipment's ledger row (see the module docstring for every figure)."""
    cur = item.currency
    foreign = any(c != cur for _, c in item.adjustments)
    # Round every figure first (an invoice may bill fractions of a cent) and derive the rest
    # from the rounded ones, so the printed row adds up exactly.
    adjustments = _round(sum((a for a, c in item.adjustments if c == cur), Decimal(0)), cur)
    cost = Decimal(0) if item.label_refunded or item.label_cost is None else item.label_cost
    cost = _round(cost, cur)
    customer_paid = item.payer == "customer"
    if customer_paid:
        variance = cost + adjustments - (_round(item.captured, cur) - _round(item.refunded, cur))
    else:
        variance = adjustments
    matched = bool(item.adjustments)
    status = "open"
    if matched:
        status = "reconciled" if abs(variance) <= TOLERANCE and not foreign else "mismatch"
    values = {
        "shipment_id": item.shipment_id,
        "rr_number": item.rr_number,
        "created_at": utc_text(item.created_at),
        "purpose": item.purpose,
        "region": item.region,
        "payer": item.payer,
        "carrier": item.carrier,
        "service": item.service,
        "tracking_number": item.tracking_number,
        "shipment_state": item.state,
        "currency": item.currency,
        "quote": _q(item.quote, cur) if item.quote is not None else "",
        "authorized": _q(item.authorized, cur),
        "captured": _q(item.captured, cur),
        "label_cost": _q(cost, cur),
        "adjustments": _q(adjustments, cur),
        "refunds": _q(item.refunded, cur),
        "vendor_paid_freight": _q(cost + adjustments, cur)
        if not customer_paid
        else _q(Decimal(0), cur),
        "variance": _q(variance, cur),
        "status": status,
        "invoice_lines": str(len(item.adjustments)),
        "credit_price": "",
        "restocking_fee": "",
        "credit_refund": "",
        "holds": " ".join(f"{ref}:{state}:{_q(amount, cur)}" for ref, state, amount in item.holds),
    }
    return LedgerRow(values=values, variance=variance, status=status)


@dataclass(frozen=True)
class CreditInput:
    refund_id: str
    rr_number: str
    created_at: datetime
    state: str  # pending | refunded | failed
    currency: str
    price: Decimal
    fee: Decimal
    refund: Decimal


_CREDIT_STATUS = {"refunded": "reconciled", "pending": "open", "failed": "mismatch"}


def credit_row(item: CreditInput) -> LedgerRow:
    """One credit refund's ledger row (no shipment: the unit stays with the vendor)."""
    values, cur = dict.fromkeys(COLUMNS, ""), item.currency
    values.update({
        "rr_number": item.rr_number, "created_at": utc_text(item.created_at),
        "purpose": "credit_refund", "payer": "vendor", "shipment_state": item.state,
        "currency": item.currency,
        "refunds": _q(item.refund if item.state == "refunded" else Decimal(0), cur),
        "variance": _q(Decimal(0), cur), "status": _CREDIT_STATUS.get(item.state, "open"),
        "credit_price": _q(item.price, cur), "restocking_fee": _q(item.fee, cur),
        "credit_refund": _q(item.refund, cur),
    })  # fmt: skip
    return LedgerRow(values=values, variance=Decimal(0), status=values["status"])


def credit_totals(rows: Iterable[LedgerRow]) -> dict[str, dict[str, str]]:
    """Per currency: credit refunds paid and restocking fees kept (refunded credit rows only)."""
    totals: dict[str, list[Decimal]] = {}
    for row in rows:
        v = row.values
        if v["purpose"] != "credit_refund" or v["shipment_state"] != "refunded":
            continue
        sums = totals.setdefault(v["currency"], [Decimal(0), Decimal(0), Decimal(0)])
        sums[0] += 1
        sums[1] += Decimal(v["credit_refund"])
        sums[2] += Decimal(v["restocking_fee"])
    return {cur: {"count": str(int(c)), "refunded": _q(r, cur), "restocking_fees": _q(f, cur)}
            for cur, (c, r, f) in totals.items()}  # fmt: skip


def to_csv(rows: Iterable[LedgerRow]) -> str:
    """The reconciliation CSV: header `COLUMNS`, one line per shipment."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow(row.values)
    return out.getvalue()


# Carrier invoices ------------------------------------------------------------------------


@dataclass(frozen=True)
class InvoiceLine:
    row: int
    tracking_number: str
    carrier: str
    invoice_number: str
    invoice_date: date
    amount: Decimal
    currency: str
    reason: str
    line_key: str


@dataclass(frozen=True)
class InvoiceProblem:
    row: int
    field: str
    message: str


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _parse_row(
    n: int, raw: dict[str, str], currencies: frozenset[str]
) -> InvoiceLine | list[InvoiceProblem]:
    get = {k: (raw.get(k) or "").strip() for k in (*INVOICE_COLUMNS, "reason")}
    problems = [InvoiceProblem(n, k, "is required") for k in INVOICE_COLUMNS if not get[k]]
    problems += [InvoiceProblem(n, k, "must not contain control characters")
                 for k, v in get.items() if CONTROL.search(v)]  # fmt: skip
    problems += [InvoiceProblem(n, k, f"must be at most {size} characters")
                 for k, size in INVOICE_SIZES.items() if len(get[k]) > size]  # fmt: skip
    if problems:
        return problems
    try:
        when = check_year(date.fromisoformat(get["invoice_date"]))
    except ValueError:
        problems.append(
            InvoiceProblem(
                n, "invoice_date", f"'{get['invoice_date']}' is not YYYY-MM-DD in 1900–2200"
            )
        )
    try:
        amount = check_amount(Decimal(get["amount"]))
    except (InvalidOperation, ValueError) as exc:
        why = str(exc) if isinstance(exc, ValueError) and str(exc) else "is not a decimal amount"
        problems.append(InvoiceProblem(n, "amount", f"'{get['amount'][:40]}' {why}"))
    currency = get["currency"].upper()
    if currency not in currencies:
        problems.append(
            InvoiceProblem(n, "currency", f"'{get['currency']}' is not an ISO 4217 code")
        )
    if problems:
        return problems
    parts = [
        get["invoice_number"],
        get["tracking_number"],
        get["carrier"].lower(),
        when.isoformat(),
        str(amount.normalize()),
        currency,
        get["reason"],
    ]
    return InvoiceLine(
        n,
        get["tracking_number"],
        get["carrier"].lower(),
        get["invoice_number"],
        when,
        amount,
        currency,
        get["reason"],
        _digest("\x1f".join(parts)),
    )


def parse_invoice(
    text: str, currencies: frozenset[str]
) -> tuple[list[InvoiceLine], list[InvoiceProblem]]:
    """Parse a carrier invoice CSV (header row required); every problem names row and column."""
    try:
        return _parse_invoice(text, currencies)
    except csv.Error as exc:  # e.g. a field over the csv module's 131,072-character limit
        return [], [InvoiceProblem(0, "file", f"is not a readable CSV: {exc}")]


def _parse_invoice(
    text: str, currencies: frozenset[str]
) -> tuple[list[InvoiceLine], list[InvoiceProblem]]:
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip() for h in (reader.fieldnames or [])]
    missing = [c for c in INVOICE_COLUMNS if c not in header]
    unknown = [c for c in header if c not in (*INVOICE_COLUMNS, "reason")]
    if missing or unknown:
        return [], [InvoiceProblem(1, c, "column is missing from the header") for c in missing] + [
            InvoiceProblem(1, c or "(blank)", "is not an invoice column") for c in unknown
        ]
    reader.fieldnames = header
    lines: list[InvoiceLine] = []
    problems: list[InvoiceProblem] = []
    seen: Counter[str] = Counter()
    for n, raw in enumerate(reader, start=2):
        if None in raw:  # more cells than the header has columns
            problems.append(InvoiceProblem(n, "file", "has more cells than the header"))
            continue
        parsed = _parse_row(n, raw, currencies)
        if isinstance(parsed, list):
            problems.extend(parsed)
            continue
        # Content + occurrence: the same file uploaded twice gives the same keys (idempotent),
        # while two identical surcharges on one invoice stay two lines.
        seen[parsed.line_key] += 1
        key = _digest(f"{parsed.line_key}:{seen[parsed.line_key]}")
        lines.append(replace(parsed, line_key=key))
    if not lines and not problems:
        problems.append(InvoiceProblem(1, "file", "the invoice has no lines"))
    return lines, problems
