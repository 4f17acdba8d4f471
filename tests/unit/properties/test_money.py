"""Properties of money (SPEC §3 Money, §10 bounds) and credit refunds (P-CREDIT)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from freight.money import Money, MoneyError, minor_units
from freight.repairs.rules import credit_refund
from tests.unit.properties.strategies import CURRENCIES, MAX_AMOUNT, currencies, money

# Any decimal the API accepts (≤ 10^9, ≤ 4 decimals, SPEC §10), signed.
wire_amounts = st.decimals(
    min_value=-MAX_AMOUNT, max_value=MAX_AMOUNT, places=4, allow_nan=False, allow_infinity=False
)
fee_rates = st.decimals(min_value=0, max_value=1, places=4)


@given(amount=wire_amounts, currency=currencies)
def test_rounding_lands_on_the_minor_unit_and_moves_at_most_half_of_one(
    amount: Decimal, currency: str
) -> None:
    rounded = Money(amount, currency).quantize()
    places = minor_units(currency)
    assert rounded.amount.as_tuple().exponent == -places
    assert abs(rounded.amount - amount) <= Decimal(5).scaleb(-places - 1)
    assert rounded.quantize() == rounded  # rounding twice changes nothing
    assert rounded.currency == currency


@given(amount=wire_amounts, currency=currencies)
def test_the_wire_amount_is_a_decimal_string_that_reads_back_to_the_rounded_amount(
    amount: Decimal, currency: str
) -> None:
    wire = Money(amount, currency).as_json()
    assert wire["currency"] == currency
    assert Money.of(wire["amount"], currency) == Money(amount, currency).quantize()
    assert "e" not in wire["amount"].lower()  # never scientific notation


@given(a=wire_amounts, b=wire_amounts, c=wire_amounts, currency=currencies)
def test_adding_money_is_exact_in_any_order(
    a: Decimal, b: Decimal, c: Decimal, currency: str
) -> None:
    x, y, z = (Money(v, currency) for v in (a, b, c))
    assert (x + y) + z == x + (y + z) == (z + y) + x
    assert (x + y) - y == x
    assert (x <= y) == (a <= b)


@given(a=money(), b=money())
def test_different_currencies_never_combine(a: Money, b: Money) -> None:
    assume(a.currency != b.currency)
    with pytest.raises(MoneyError):
        _ = a + b
    with pytest.raises(MoneyError):
        _ = a < b


# Any three characters, and three upper-case letters of any script ("ÄÖÜ", "ΑΒΓ").
codes = st.text(min_size=3, max_size=3) | st.text(
    alphabet=st.characters(categories=["Lu"]), min_size=3, max_size=3
)


@given(code=codes)
def test_only_three_latin_capitals_are_a_currency(code: str) -> None:
    """ISO 4217 codes are three letters A–Z; anything else is refused, not stored."""
    valid = code.isascii() and code.isalpha() and code.isupper()
    if valid:
        assert Money(Decimal(1), code).currency == code
    else:
        with pytest.raises(MoneyError):
            Money(Decimal(1), code)


@given(price=money(), rate=fee_rates)
def test_refund_plus_restocking_fee_is_the_price_paid_exactly(price: Money, rate: Decimal) -> None:
    """P-CREDIT: refund = price − fee, both in the currency's minor units, neither negative."""
    refund, fee = credit_refund(price, rate)
    assert refund + fee == price
    assert refund.currency == fee.currency == price.currency
    assert refund.amount >= 0
    assert fee.amount >= 0
    places = minor_units(price.currency)
    assert refund.amount.as_tuple().exponent == fee.amount.as_tuple().exponent == -places
    # The fee is the rate's share of the price, off by at most half a minor unit.
    assert abs(fee.amount - price.amount * rate) <= Decimal(5).scaleb(-places - 1)


@given(price=money())
def test_the_default_restocking_fee_is_twenty_percent(price: Money) -> None:
    refund, fee = credit_refund(price)
    assert fee == (price * Decimal("0.20")).quantize()
    assert refund == price - fee


@given(currency=st.sampled_from(CURRENCIES), data=st.data())
def test_a_higher_price_never_refunds_less(currency: str, data: st.DataObject) -> None:
    low = data.draw(money(currency))
    high = data.draw(money(currency))
    assume(low <= high)
    rate = data.draw(fee_rates)
    low_refund, low_fee = credit_refund(low, rate)
    high_refund, high_fee = credit_refund(high, rate)
    assert low_fee <= high_fee
    assert low_refund <= high_refund


@given(price=money(), low=fee_rates, high=fee_rates)
def test_a_higher_fee_rate_never_refunds_more(price: Money, low: Decimal, high: Decimal) -> None:
    assume(low <= high)
    assert credit_refund(price, high)[0] <= credit_refund(price, low)[0]
