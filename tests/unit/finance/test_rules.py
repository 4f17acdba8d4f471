"""Ledger rows and invoice parsing (pure)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pycountry
import pytest

from freight.finance.rules import COLUMNS, LedgerInput, ledger_row, parse_invoice, to_csv

CURRENCIES = frozenset(str(c.alpha_3) for c in pycountry.currencies)
D = Decimal


def _item(**over: object) -> LedgerInput:
    base: dict[str, object] = {
        "shipment_id": "shp_1",
        "rr_number": "RR-ABCDEFGH",
        "created_at": datetime(2026, 11, 2, 17, tzinfo=UTC),
        "purpose": "repair_return",
        "region": "international",
        "payer": "customer",
        "carrier": "usps",
        "service": "Priority Mail International",
        "tracking_number": "9400",
        "state": "labeled",
        "currency": "USD",
        "quote": D("55.00"),
        "authorized": D("55.00"),
        "captured": D("53.80"),
        "refunded": D("0"),
        "label_cost": D("53.80"),
        "label_refunded": False,
        "adjustments": (),
    }
    base.update(over)
    return LedgerInput(**base)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("over", "variance", "status"),
    [
        ({}, "0.00", "open"),  # no invoice line yet
        ({"adjustments": ((D("0"), "USD"),)}, "0.00", "reconciled"),
        ({"adjustments": ((D("4.20"), "USD"),)}, "4.20", "mismatch"),  # carrier billed more
        (
            {
                "payer": "vendor",
                "quote": None,
                "authorized": D(0),
                "captured": D(0),
                "adjustments": ((D("0.005"), "USD"),),
            },
            "0.01",
            "reconciled",
        ),
        (
            {
                "state": "voided",
                "label_refunded": True,
                "refunded": D("53.80"),
                "adjustments": ((D("0"), "USD"),),
            },
            "0.00",
            "reconciled",
        ),
        ({"adjustments": ((D("0"), "EUR"),)}, "0.00", "mismatch"),
    ],
)
def test_ledger_row_variance_and_status(
    over: dict[str, object], variance: str, status: str
) -> None:
    row = ledger_row(_item(**over))
    assert (row.values["variance"], row.status) == (variance, status)


def test_vendor_paid_freight_and_csv_shape() -> None:
    row = ledger_row(_item(payer="vendor", quote=None, adjustments=((D("2.50"), "USD"),)))
    assert row.values["vendor_paid_freight"] == "56.30"
    text = to_csv([row])
    assert text.splitlines()[0] == ",".join(COLUMNS)
    assert "2026-11-02T17:00:00Z" in text


def test_invoice_parse_keys_are_stable_and_duplicates_kept() -> None:
    text = (
        "tracking_number,carrier,invoice_number,invoice_date,amount,currency,reason\n"
        "9400,USPS,INV-1,2026-11-30,2.50,usd,surcharge\n"
        "9400,USPS,INV-1,2026-11-30,2.50,usd,surcharge\n"
    )
    lines, problems = parse_invoice(text, CURRENCIES)
    assert problems == []
    assert len(lines) == 2
    assert lines[0].line_key != lines[1].line_key
    again, _ = parse_invoice(text, CURRENCIES)
    assert [line.line_key for line in again] == [line.line_key for line in lines]
    assert lines[0].currency == "USD"
    assert lines[0].carrier == "usps"


def test_invoice_problems_name_row_and_column() -> None:
    head = "tracking_number,carrier,invoice_number,invoice_date,amount,currency\n"
    text = head + "1,ups,I,30/11/2026,x,ZZZ\n"
    _, problems = parse_invoice(text, CURRENCIES)
    assert {(p.row, p.field) for p in problems} == {
        (2, "invoice_date"),
        (2, "amount"),
        (2, "currency"),
    }
    _, missing = parse_invoice("tracking_number,amount\n", CURRENCIES)
    assert {p.field for p in missing} == {"carrier", "invoice_number", "invoice_date", "currency"}


@pytest.mark.parametrize(
    ("currency", "label", "captured", "shown"),
    [
        ("JPY", D("1500"), D("1500"), "1500"),  # no decimals for yen
        ("KWD", D("1.235"), D("1.235"), "1.235"),  # three for dinars (was cut to "1.24")
        ("USD", D("12.5"), D("12.5"), "12.50"),
    ],
)
def test_ledger_figures_use_the_currency_minor_units(
    currency: str, label: Decimal, captured: Decimal, shown: str
) -> None:
    """Regression (property suite): every figure was printed with 2 decimals, any currency."""
    row = ledger_row(
        _item(currency=currency, quote=captured, authorized=captured, captured=captured,
              label_cost=label, adjustments=((D(0), currency),))
    )  # fmt: skip
    assert (row.values["label_cost"], row.values["captured"]) == (shown, shown)
    assert row.status == "reconciled"


@pytest.mark.parametrize(
    ("over", "figures"),
    [
        # vendor-paid: 0.01 label, −0.005 credit: was adjustments −0.01, vendor-paid 0.01.
        ({"payer": "vendor", "quote": None, "authorized": D(0), "captured": D(0),
          "label_cost": D("0.01"), "adjustments": ((D("-0.005"), "USD"),)},
         {"label_cost": "0.01", "adjustments": "-0.01", "vendor_paid_freight": "0.00",
          "variance": "-0.01"}),
        # customer-paid: 1.00 + 1.005 billed, 2.01 captured: was variance −0.01 (1.00+1.01≠2.00).
        ({"label_cost": D("1.00"), "captured": D("2.01"), "adjustments": ((D("1.005"), "USD"),)},
         {"label_cost": "1.00", "adjustments": "1.01", "captured": "2.01", "variance": "0.00"}),
    ],
)  # fmt: skip
def test_a_row_with_fractions_of_a_cent_still_adds_up_as_printed(
    over: dict[str, object], figures: dict[str, str]
) -> None:
    """Regression (property suite): figures were rounded one by one after the arithmetic."""
    row = ledger_row(_item(**over))
    assert {k: row.values[k] for k in figures} == figures


def test_a_credit_row_in_dinars_keeps_the_fils() -> None:
    """Regression (property suite): 10.005 KWD showed as 10.01 = 2.00 fee + 8.00 refund."""
    from freight.finance.rules import CreditInput, credit_row

    row = credit_row(
        CreditInput("ref_1", "RR-ABCDEFGH", datetime(2026, 11, 2, tzinfo=UTC), "refunded", "KWD",
                    D("10.005"), D("2.001"), D("8.004"))
    )  # fmt: skip
    v = row.values
    assert (v["credit_price"], v["restocking_fee"], v["credit_refund"]) == (
        "10.005",
        "2.001",
        "8.004",
    )
