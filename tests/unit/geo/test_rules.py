"""Country input and destination rules."""

from __future__ import annotations

import pytest

from freight.geo.rules import (
    CountryError,
    ExportRestrictedError,
    check_export,
    country_name,
    region_of,
    resolve_country,
)
from freight.rules import RuleError
from freight.settings import DEFAULT_EXPORT_RESTRICTED, DEFAULT_NORTH_AMERICA


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("US", "US"),
        ("us", "US"),
        ("  ca ", "CA"),
        ("NA", "NA"),  # Namibia, not "not available"
        ("na", "NA"),
        ("NO", "NO"),  # Norway, not boolean false
        ("no", "NO"),
        ("USA", "US"),
        ("gbr", "GB"),
        ("DEU", "DE"),
        ("840", "US"),
        ("036", "AU"),
        ("36", "AU"),
        (840, "US"),
        (36, "AU"),
        ("United States", "US"),
        ("united states of america", "US"),
        ("Bolivia", "BO"),
        ("Plurinational State of Bolivia", "BO"),
        ("Bolivia, Plurinational State of", "BO"),
        ("Namibia", "NA"),
        ("Norway", "NO"),
        ("Côte d'Ivoire", "CI"),
        ("Iran", "IR"),
        ("Taiwan", "TW"),
        ("Puerto Rico", "PR"),
    ],
)
def test_resolve_country_accepts_iso_forms(value: str | int, expected: str) -> None:
    assert resolve_country(value) == expected


@pytest.mark.parametrize(
    "value",
    ["", "   ", "XX", "USA1", "Narnia", "U S", "U.S.", "United", "America", "Bolivi", "0", "1000",
     "0840", "UK", "²³", "U", 0, 1000, -840, True, False, None, 840.0, ["US"]],
)  # fmt: skip
def test_resolve_country_refuses_anything_else(value: object) -> None:
    with pytest.raises(CountryError) as info:
        resolve_country(value)  # type: ignore[arg-type]
    assert info.value.value == value
    assert "is not a known country" in str(info.value)
    assert "alpha-2, alpha-3, numeric or the English name" in str(info.value)


def test_country_error_is_a_rule_error_without_rule() -> None:
    with pytest.raises(RuleError) as info:
        resolve_country("XX")
    assert info.value.rule == ""
    assert str(info.value).startswith("'XX' is not a known country")


@pytest.mark.parametrize("code", DEFAULT_NORTH_AMERICA)
def test_every_default_north_america_code_is_a_real_country(code: str) -> None:
    assert resolve_country(code) == code
    assert region_of(code, frozenset(DEFAULT_NORTH_AMERICA)) == "north_america"


@pytest.mark.parametrize(
    ("code", "region"),
    [("NA", "international"), ("NO", "international"), ("GB", "international"),
     ("us", "north_america"), ("PR", "north_america"), ("GL", "north_america")],
)  # fmt: skip
def test_region_of(code: str, region: str) -> None:
    assert region_of(code, frozenset(DEFAULT_NORTH_AMERICA)) == region


@pytest.mark.parametrize(
    ("code", "sentence"),
    [
        ("CU", "Shipments to Cuba (CU) are refused: the destination is under export restrictions."),
        ("IR", "Shipments to Iran (IR) are refused"),
        ("KP", "Shipments to North Korea (KP) are refused"),
        ("sy", "Shipments to Syria (SY) are refused"),
    ],
)
def test_check_export_refuses_restricted_destinations(code: str, sentence: str) -> None:
    with pytest.raises(ExportRestrictedError) as info:
        check_export(code, frozenset(DEFAULT_EXPORT_RESTRICTED))
    assert str(info.value).startswith(sentence)
    assert info.value.rule == "P-EXPORT"
    assert info.value.country == code.upper()


@pytest.mark.parametrize("code", ["US", "CA", "MX", "GB", "NA"])
def test_check_export_allows_other_destinations(code: str) -> None:
    check_export(code, frozenset(DEFAULT_EXPORT_RESTRICTED))  # does not raise


def test_country_name_prefers_common_name() -> None:
    assert country_name("BO") == "Bolivia"
    assert country_name("US") == "United States"
