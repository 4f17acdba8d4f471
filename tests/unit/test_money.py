from __future__ import annotations

from decimal import Decimal

import pytest

from freight.money import Money, MoneyError


@pytest.mark.parametrize(
    ("amount", "currency", "wire"),
    [
        ("12.345", "USD", "12.35"),
        ("12.344", "USD", "12.34"),
        ("0.005", "EUR", "0.01"),
        ("999.5", "JPY", "1000"),
        ("1.2345", "KWD", "1.235"),
    ],
)
def test_wire_amount_rounds_half_up_to_minor_unit(amount: str, currency: str, wire: str) -> None:
    assert Money.of(amount, currency).as_json() == {"amount": wire, "currency": currency}


def test_money_refuses_mixing_currencies_and_floats() -> None:
    with pytest.raises(MoneyError):
        _ = Money.of("1", "USD") + Money.of("1", "EUR")
    with pytest.raises(MoneyError):
        Money(1.5, "USD")  # type: ignore[arg-type]
    with pytest.raises(MoneyError):
        Money(Decimal("1"), "usd")


@pytest.mark.parametrize("code", ["ÄÖÜ", "USÐ", "ΑΒΓ", "US1", "US", "USDD"])
def test_currency_must_be_three_latin_capitals(code: str) -> None:
    """Regression (property suite): non-ASCII capitals passed isalpha/isupper and were stored."""
    with pytest.raises(MoneyError):
        Money(Decimal("1"), code)


def test_arithmetic_is_exact() -> None:
    total = Money.of("0.10") + Money.of("0.20")
    assert total == Money.of("0.30")
    assert Money.of("10") * Decimal("0.2") == Money.of("2.0")
    assert Money.of("5") > Money.of("4.99")
