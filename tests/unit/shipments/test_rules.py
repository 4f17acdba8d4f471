"""Rate selection, insurance and customs rules (pure)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from carriers.types import Rate
from freight.money import Money
from freight.rules import RuleError
from freight.shipments.rules import customs_value, hs_code_for, insurance_for, select_rate


def _rate(carrier: str, service: str, token: str, amount: str, days: int | None) -> Rate:
    return Rate(f"r-{token}", carrier, service, token, Money.of(amount), days, "s1")


RATES = [
    _rate("usps", "Ground Advantage", "usps_ground_advantage", "6.95", 5),
    _rate("usps", "Priority Mail", "usps_priority", "10.90", 3),
    _rate("usps", "Priority Mail Express", "usps_priority_express", "33.55", 1),
    _rate("fedex", "FedEx Ground", "fedex_ground", "12.51", 5),
    _rate("fedex", "FedEx 2Day", "fedex_2_day", "24.75", 2),
    _rate("ups", "Ground", "ups_ground", "12.65", 5),
    _rate("ups", "2nd Day Air", "ups_second_day_air", "25.20", 2),
    _rate("ups", "Next Day Air", "ups_next_day_air", "43.60", 1),
]


@pytest.mark.parametrize(
    ("requirements", "max_days", "token"),
    [
        ("", 7, "usps_ground_advantage"),  # cheapest within the limit
        ("", 3, "usps_priority"),  # the limit excludes the 5-day services
        ("", 0, "usps_priority_express"),  # nothing within: fastest, then cheapest
        ("please ship via FedEx", 7, "fedex_ground"),  # carrier named: cheapest of it
        ("Ship via FedEx, must arrive in 2 days", 2, "fedex_2_day"),
        ("UPS 2nd Day Air please", 7, "ups_second_day_air"),  # service named wins
        ("use fedex_2_day", 7, "fedex_2_day"),  # token named
        ("Priority Mail Express only", 7, "usps_priority_express"),  # longest phrase wins
        ("Ground floor delivery, fragile", 7, "usps_ground_advantage"),  # bare "Ground" is not UPS
        ("cups are fragile", 7, "usps_ground_advantage"),  # "ups" inside a word is not UPS
    ],
)
def test_select_rate(requirements: str, max_days: int, token: str) -> None:
    choice = select_rate(RATES, max_transit_days=max_days, requirements=requirements)
    assert choice.rate.service_token == token
    assert choice.reason


def test_no_rates_is_a_rule_error() -> None:
    with pytest.raises(RuleError):
        select_rate([], max_transit_days=7)


def test_insurance_only_when_requested() -> None:
    value = Money.of("300")
    assert insurance_for(False, value) is None
    assert insurance_for(True, None) is None
    assert insurance_for(True, value) == value


def test_hs_code_table_and_customs_value_fallbacks() -> None:
    table = {"max-1000": "8517.69"}
    assert hs_code_for("MAX-1000", table, "8517.62") == "8517.69"
    assert hs_code_for("OTHER", table, "8517.62") == "8517.62"
    default = Money(Decimal("100"), "USD")
    assert customs_value(None, None, default) == default
    assert customs_value(None, Money.of("250"), default) == Money.of("250")
    assert customs_value(Money.of("400"), Money.of("250"), default) == Money.of("400")
