"""Quote validity, the purchase-time re-check and the capture amount (pure)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from freight.money import Money
from freight.quotes.rules import capture_amount, expires_at, is_expired, within_tolerance

NOW = datetime(2026, 11, 2, 17, 0, tzinfo=UTC)


def test_quote_valid_seven_days_by_default() -> None:
    expiry = expires_at(NOW, 7)
    assert expiry == NOW + timedelta(days=7)
    assert not is_expired(expiry, NOW + timedelta(days=6, hours=23))
    assert is_expired(expiry, expiry)


def test_tolerance_is_inclusive_and_currency_strict() -> None:
    quoted, tol = Money.of("100.00"), Decimal("0.10")
    assert within_tolerance(quoted, Money.of("110.00"), tol)
    assert not within_tolerance(quoted, Money.of("110.01"), tol)
    assert within_tolerance(quoted, Money.of("80.00"), tol)
    assert not within_tolerance(quoted, Money.of("100.00", "EUR"), tol)


def test_capture_is_min_of_label_cost_and_hold() -> None:
    assert capture_amount(Money.of("95.10"), Money.of("100")) == Money.of("95.10")
    assert capture_amount(Money.of("104.00"), Money.of("100")) == Money.of("100")
