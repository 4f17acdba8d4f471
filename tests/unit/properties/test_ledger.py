"""Properties of the finance ledger (SPEC §1 finance, §4 reconciliation, §6 capture ≤ hold).

A shipment's money is modelled as a sequence of postings (quote, card hold, capture, label bought,
carrier invoice lines, refunds to the card, label voided); whatever the sequence, the row finance
sees must balance to the cent in the currency's own minor units.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from freight.finance.rules import (
    COLUMNS,
    TOLERANCE,
    CreditInput,
    LedgerInput,
    LedgerRow,
    credit_row,
    credit_totals,
    ledger_row,
    parse_invoice,
    to_csv,
)
from freight.money import Money, minor_units
from freight.quotes.rules import capture_amount, within_tolerance
from freight.repairs.rules import credit_refund
from tests.unit.properties.strategies import CURRENCIES, amounts, currencies, money

MONEY_COLUMNS = (
    "authorized", "captured", "label_cost", "adjustments", "refunds", "vendor_paid_freight",
    "variance",
)  # fmt: skip
CREATED = datetime(2026, 6, 1, 12, tzinfo=UTC)


@dataclass(frozen=True)
class Posting:
    kind: str  # quote | authorize | capture | label | invoice | refund | void
    amount: Decimal
    currency: str


@st.composite
def postings(draw: st.DrawFn, currency: str) -> list[Posting]:
    """Any order of money events on one shipment; some invoice lines in a foreign currency."""
    other = draw(st.sampled_from([c for c in CURRENCIES if c != currency]))
    kinds = ("quote", "authorize", "capture", "label", "invoice", "refund", "void")
    out = []
    # Small amounts make captures equal label costs (and roundings meet) far more often.
    top = draw(st.sampled_from([3, 10**6]))
    for kind in draw(st.lists(st.sampled_from(kinds), max_size=12)):
        signed = kind == "invoice"  # an invoice line may be a credit (negative)
        cur = other if kind == "invoice" and draw(st.integers(0, 9)) == 0 else currency
        amount = draw(amounts(cur, signed=signed, max_amount=top))
        if signed:
            # Invoice CSVs may carry up to 4 decimals (SPEC §10), finer than the currency's
            # unit: add nothing, exactly half a unit (where rounding turns), or any 4-decimal rest.
            unit = Decimal(1).scaleb(-minor_units(cur))
            rest = st.integers(0, int(unit * 10**4) - 1).map(lambda n: Decimal(n).scaleb(-4))
            amount += draw(st.just(Decimal(0)) | st.just(unit / 2) | rest)
        out.append(Posting(kind, amount, cur))
    return out


def fold(events: list[Posting], *, currency: str, payer: str) -> LedgerInput:
    """The ledger input after the postings, keeping the service's own limits (SPEC §6)."""
    quote: Decimal | None = None
    authorized = captured = refunded = Decimal(0)
    label: Decimal | None = None
    voided = False
    lines: list[tuple[Decimal, str]] = []
    for p in events:
        if p.kind == "quote":
            quote = p.amount
        elif p.kind == "authorize" and payer == "customer" and captured == 0:
            authorized = p.amount  # a new hold replaces the old one until a capture
        elif p.kind == "capture" and payer == "customer":
            # Capture min(label cost, hold), never twice.
            cost = Money(label if label is not None else p.amount, currency)
            if captured == 0:
                captured = capture_amount(cost, Money(authorized, currency)).amount
        elif p.kind == "label":
            label, voided = p.amount, False
        elif p.kind == "invoice":
            lines.append((p.amount, p.currency))
        elif p.kind == "refund" and payer == "customer":
            refunded += min(p.amount, captured - refunded)  # never more than was captured
        elif p.kind == "void":
            voided = label is not None
    return LedgerInput(
        "shp_1", "RR-ABCDEF23", CREATED, "repair_return",
        "international" if payer == "customer" else "north_america", payer, "ups", "Ground",
        "1Z999", "labeled", currency, quote if payer == "customer" else None, authorized,
        captured, refunded, label, voided, tuple(lines),
    )  # fmt: skip


def figures(row: LedgerRow) -> dict[str, Decimal]:
    return {c: Decimal(row.values[c]) for c in MONEY_COLUMNS}


@given(currency=currencies, payer=st.sampled_from(["customer", "vendor"]), data=st.data())
def test_every_row_balances_to_the_minor_unit(
    currency: str, payer: str, data: st.DataObject
) -> None:
    """Customer-paid: label + adjustments = captured − refunds + variance, as printed."""
    item = fold(data.draw(postings(currency)), currency=currency, payer=payer)
    row = ledger_row(item)
    f = figures(row)
    places = minor_units(currency)
    for column in MONEY_COLUMNS:
        assert Decimal(row.values[column]).as_tuple().exponent == -places, column
    if payer == "customer":
        assert f["label_cost"] + f["adjustments"] == f["captured"] - f["refunds"] + f["variance"]
        assert f["vendor_paid_freight"] == 0
        assert f["captured"] <= f["authorized"]  # never capture more than the hold
        assert 0 <= f["refunds"] <= f["captured"]
    else:
        assert f["vendor_paid_freight"] == f["label_cost"] + f["adjustments"]
        assert f["variance"] == f["adjustments"]
        assert f["captured"] == f["refunds"] == 0  # P-NA: the customer is not charged
    if item.label_refunded:
        assert f["label_cost"] == 0  # a voided label the carrier refunded costs nothing


@given(currency=currencies, payer=st.sampled_from(["customer", "vendor"]), data=st.data())
def test_the_order_of_invoice_lines_does_not_matter(
    currency: str, payer: str, data: st.DataObject
) -> None:
    item = fold(data.draw(postings(currency)), currency=currency, payer=payer)
    shuffled = data.draw(st.permutations(item.adjustments))
    assert ledger_row(replace(item, adjustments=tuple(shuffled))) == ledger_row(item)


@given(currency=currencies, payer=st.sampled_from(["customer", "vendor"]), data=st.data())
def test_status_follows_the_invoice_and_the_variance(
    currency: str, payer: str, data: st.DataObject
) -> None:
    item = fold(data.draw(postings(currency)), currency=currency, payer=payer)
    row = ledger_row(item)
    foreign = any(cur != currency for _, cur in item.adjustments)
    if not item.adjustments:
        assert row.status == "open"  # no invoice line yet
    elif foreign or abs(row.variance) > TOLERANCE:
        assert row.status == "mismatch"
    else:
        assert row.status == "reconciled"
    assert row.values["invoice_lines"] == str(len(item.adjustments))


@given(currency=currencies, payer=st.sampled_from(["customer", "vendor"]), data=st.data())
def test_a_foreign_currency_line_is_never_added_into_the_figures(
    currency: str, payer: str, data: st.DataObject
) -> None:
    item = fold(data.draw(postings(currency)), currency=currency, payer=payer)
    other = next(c for c in CURRENCIES if c != currency)
    line = (data.draw(amounts(other, signed=True)), other)
    with_foreign = ledger_row(replace(item, adjustments=(*item.adjustments, line)))
    assert figures(with_foreign) == figures(ledger_row(item))
    assert with_foreign.status == "mismatch"


@st.composite
def credit_inputs(draw: st.DrawFn) -> CreditInput:
    price = draw(money())
    refund, fee = credit_refund(price, draw(st.decimals(min_value=0, max_value=1, places=4)))
    state = draw(st.sampled_from(["pending", "refunded", "failed"]))
    n = draw(st.integers(0, 10**6))
    return CreditInput(
        f"ref_{n}", "RR-ABCDEF23", CREATED, state, price.currency, price.amount, fee.amount,
        refund.amount,
    )  # fmt: skip


@given(item=credit_inputs())
def test_a_credit_row_shows_price_equals_fee_plus_refund(item: CreditInput) -> None:
    """P-CREDIT as finance sees it: price − 20 % restocking fee went back, to the minor unit."""
    v = credit_row(item).values
    places = minor_units(item.currency)
    for column in ("credit_price", "restocking_fee", "credit_refund", "refunds"):
        assert Decimal(v[column]).as_tuple().exponent == -places, column
    assert Decimal(v["credit_price"]) == Decimal(v["restocking_fee"]) + Decimal(v["credit_refund"])
    assert Decimal(v["credit_price"]) == item.price
    paid = item.refund if item.state == "refunded" else Decimal(0)
    assert Decimal(v["refunds"]) == paid  # only a confirmed refund counts as money out


@given(items=st.lists(credit_inputs(), max_size=12))
def test_credit_totals_add_up_per_currency(items: list[CreditInput]) -> None:
    totals = credit_totals([credit_row(i) for i in items])
    for cur in CURRENCIES:
        done = [i for i in items if i.currency == cur and i.state == "refunded"]
        if not done:
            assert cur not in totals
            continue
        t = totals[cur]
        assert int(t["count"]) == len(done)
        assert Decimal(t["refunded"]) == sum((i.refund for i in done), Decimal(0))
        assert Decimal(t["restocking_fees"]) == sum((i.fee for i in done), Decimal(0))
        assert Decimal(t["refunded"]) + Decimal(t["restocking_fees"]) == sum(
            (i.price for i in done), Decimal(0)
        )


@given(currency=currencies, data=st.data())
def test_the_csv_reads_back_to_the_same_rows(currency: str, data: st.DataObject) -> None:
    payer = data.draw(st.sampled_from(["customer", "vendor"]))
    rows = [
        ledger_row(fold(data.draw(postings(currency)), currency=currency, payer=payer))
        for _ in range(data.draw(st.integers(0, 3)))
    ]
    parsed = list(csv.DictReader(io.StringIO(to_csv(rows))))
    assert [tuple(r) for r in parsed] == [COLUMNS] * len(rows)
    assert parsed == [r.values for r in rows]


invoice_cells = st.text(
    alphabet=st.characters(categories=("L", "N"), max_codepoint=0x2FF), min_size=1, max_size=12
)


@st.composite
def invoice_files(draw: st.DrawFn) -> tuple[str, list[tuple[str, Decimal, str]]]:
    """A carrier invoice CSV with some lines repeated verbatim (two identical surcharges)."""
    lines = draw(st.lists(st.tuples(invoice_cells, currencies, st.data()), min_size=1, max_size=6))
    rows = [(tn, d.draw(amounts(cur, signed=True)), cur) for tn, cur, d in lines]
    rows += draw(st.lists(st.sampled_from(rows), max_size=3))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["tracking_number", "carrier", "invoice_number", "invoice_date", "amount",
                     "currency", "reason"])  # fmt: skip
    for tn, amount, cur in rows:
        writer.writerow([tn, "UPS", "INV-1", "2026-06-30", str(amount), cur.lower(), "weight"])
    return out.getvalue(), rows


@given(invoice=invoice_files())
def test_an_invoice_keeps_every_line_and_uploading_it_twice_changes_nothing(
    invoice: tuple[str, list[tuple[str, Decimal, str]]],
) -> None:
    text, rows = invoice
    lines, problems = parse_invoice(text, frozenset(CURRENCIES))
    assert problems == []
    assert [(ln.tracking_number, ln.amount, ln.currency) for ln in lines] == rows
    assert len({ln.line_key for ln in lines}) == len(rows)  # identical surcharges stay two lines
    again, _ = parse_invoice(text, frozenset(CURRENCIES))
    assert [ln.line_key for ln in again] == [ln.line_key for ln in lines]  # idempotent import


# Quote vs capture (SPEC §6) ---------------------------------------------------------------------

TEN_PERCENT = Decimal("0.10")


@given(currency=currencies, data=st.data())
def test_the_capture_is_the_label_cost_but_never_more_than_the_hold(
    currency: str, data: st.DataObject
) -> None:
    label, hold = data.draw(money(currency)), data.draw(money(currency))
    captured = capture_amount(label, hold)
    assert captured.currency == currency
    assert captured <= hold
    assert captured <= label
    assert captured in (label, hold)  # min(label cost, authorized)


@given(currency=currencies, data=st.data())
def test_a_re_rated_price_within_ten_percent_keeps_the_quote(
    currency: str, data: st.DataObject
) -> None:
    """P-QUOTE: above quote × 1.10 the quote is superseded and the customer re-asked."""
    quoted, current = data.draw(money(currency)), data.draw(money(currency))
    ok = within_tolerance(quoted, current, TEN_PERCENT)
    assert ok is (current.amount * 10 <= quoted.amount * 11)
    cheaper = data.draw(money(currency, max_amount=10**9))
    if ok and cheaper <= current:
        assert within_tolerance(quoted, cheaper, TEN_PERCENT)  # a lower price never re-asks
