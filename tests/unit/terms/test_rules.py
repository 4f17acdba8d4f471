"""Who pays freight: P-NA, P-QUOTE, P-INBOUND, P-EXPORT."""

from __future__ import annotations

import pytest

from freight.geo.rules import CountryError, ExportRestrictedError
from freight.rules import RuleError
from freight.settings import DEFAULT_EXPORT_RESTRICTED, DEFAULT_NORTH_AMERICA
from freight.terms.rules import FreightTerms, Kind, Purpose, TermsPolicy, decide_terms

POLICY = TermsPolicy.of(DEFAULT_NORTH_AMERICA, DEFAULT_EXPORT_RESTRICTED)
VENDOR = ("vendor", False, "P-NA", "north_america")
QUOTED = ("customer", True, "P-QUOTE", "international")

# Every reviewed North-America code except CU, which is also export-restricted.
NA_CASES = [(code, VENDOR) for code in DEFAULT_NORTH_AMERICA if code != "CU"]
EDGE_CASES = [
    ("GU", VENDOR),
    ("gu", VENDOR),
    ("PR", VENDOR),
    ("Puerto Rico", VENDOR),
    ("PRI", VENDOR),
    ("630", VENDOR),  # Puerto Rico numeric
    ("GL", VENDOR),
    ("Greenland", VENDOR),
    ("USA", VENDOR),
    ("840", VENDOR),
    ("United States", VENDOR),
    ("united states of america", VENDOR),
    ("CAN", VENDOR),
    ("124", VENDOR),
    ("Mexico", VENDOR),
    ("NA", QUOTED),  # Namibia
    ("na", QUOTED),
    ("Namibia", QUOTED),
    ("NAM", QUOTED),
    ("NO", QUOTED),  # Norway
    ("Norway", QUOTED),
    ("GB", QUOTED),
    ("GBR", QUOTED),
    ("DE", QUOTED),
    ("FR", QUOTED),
    ("JP", QUOTED),
    ("392", QUOTED),
    ("AU", QUOTED),
    ("036", QUOTED),
    ("36", QUOTED),
    ("BR", QUOTED),
    ("IN", QUOTED),
    ("CN", QUOTED),
    ("ZA", QUOTED),
    ("AE", QUOTED),
    ("SG", QUOTED),
    ("NZ", QUOTED),
    ("CO", QUOTED),  # Colombia: South America, not the Caribbean list
    ("Bolivia", QUOTED),
    ("VE", QUOTED),
]


@pytest.mark.parametrize(("country", "expected"), NA_CASES + EDGE_CASES)
def test_outbound_repair_terms_by_destination(
    country: str, expected: tuple[str, bool, str, str]
) -> None:
    terms = decide_terms(direction="outbound", country=country, policy=POLICY)
    assert (terms.payer, terms.card_required, terms.rule, terms.region) == expected


def test_destination_table_is_large_enough() -> None:
    assert len(NA_CASES + EDGE_CASES) >= 80


@pytest.mark.parametrize("country", ["CU", "cu", "CUB", "192", "Cuba", "IR", "Iran", "KP", "SY"])
@pytest.mark.parametrize("kind", ["repair", "credit_return"])
def test_outbound_to_restricted_destination_is_refused(country: str, kind: str) -> None:
    with pytest.raises(ExportRestrictedError) as info:
        decide_terms(direction="outbound", country=country, kind=kind, policy=POLICY)  # type: ignore[arg-type]
    assert info.value.rule == "P-EXPORT"
    assert info.value.field == "country"
    assert "export restrictions" in str(info.value)


@pytest.mark.parametrize("country", ["", "XX", "USA1", "Narnia", "U S", "  ", "Amerika"])
@pytest.mark.parametrize("direction", ["inbound", "outbound"])
def test_bad_country_names_the_field_and_value(country: str, direction: str) -> None:
    with pytest.raises(CountryError) as info:
        decide_terms(direction=direction, country=country, policy=POLICY)  # type: ignore[arg-type]
    assert info.value.field == "country"
    assert info.value.value == country


@pytest.mark.parametrize("country", ["US", "NA", "GB", "CU", "IR", "JP", "PR"])
@pytest.mark.parametrize("kind", ["repair", "credit_return"])
def test_inbound_is_always_prepaid_by_the_sender(country: str, kind: str) -> None:
    terms = decide_terms(direction="inbound", country=country, kind=kind, policy=POLICY)  # type: ignore[arg-type]
    assert (terms.payer, terms.card_required, terms.rule) == ("sender", False, "P-INBOUND")
    assert "COD or freight-collect packages are refused" in terms.reason


@pytest.mark.parametrize(("country", "region"), [("US", "north_america"), ("NA", "international")])
def test_inbound_still_reports_the_region(country: str, region: str) -> None:
    terms = decide_terms(direction="inbound", country=country, policy=POLICY)
    assert terms.region == region


@pytest.mark.parametrize(
    ("kind", "purpose", "country", "payer", "rule"),
    [
        ("repair", "return_to_sender", "US", "vendor", "P-NA"),
        ("repair", "return_to_sender", "DE", "customer", "P-QUOTE"),
        ("credit_return", None, "CA", "vendor", "P-NA"),
        ("credit_return", "repair_return", "JP", "customer", "P-QUOTE"),
    ],
)
def test_return_to_sender_follows_destination_rule_and_says_so(
    kind: Kind, purpose: Purpose | None, country: str, payer: str, rule: str
) -> None:
    terms = decide_terms(
        direction="outbound", country=country, kind=kind, purpose=purpose, policy=POLICY
    )
    assert (terms.payer, terms.rule) == (payer, rule)
    assert terms.reason.startswith("This is a return to sender")


def test_repair_return_sentences_are_customer_readable() -> None:
    na = decide_terms(direction="outbound", country="PR", purpose="repair_return", policy=POLICY)
    quoted = decide_terms(direction="outbound", country="NA", policy=POLICY)
    assert na.reason == (
        "Shipping to Puerto Rico (PR) in North America: "
        "the vendor prepays freight and you are not charged."
    )
    assert quoted.reason.startswith("Shipping to Namibia (NA), outside North America")
    assert "valid credit card" in quoted.reason


def test_as_json_is_the_wire_shape() -> None:
    terms = decide_terms(direction="outbound", country="GB", policy=POLICY)
    assert terms.as_json() == {
        "payer": "customer",
        "card_required": True,
        "rule": "P-QUOTE",
        "reason": terms.reason,
        "region": "international",
    }
    assert isinstance(terms, FreightTerms)


def test_custom_policy_lists_are_honoured() -> None:
    policy = TermsPolicy.of(["us", "Norway"], ["GB"])
    assert decide_terms(direction="outbound", country="NO", policy=policy).payer == "vendor"
    assert decide_terms(direction="outbound", country="CA", policy=policy).payer == "customer"
    with pytest.raises(ExportRestrictedError):
        decide_terms(direction="outbound", country="GB", policy=policy)


def test_policy_refuses_a_typo_in_the_configured_list() -> None:
    with pytest.raises(CountryError):
        TermsPolicy.of(["US", "XY"], [])


@pytest.mark.parametrize(
    ("direction", "kind", "purpose", "field"),
    [
        ("sideways", "repair", None, "direction"),
        ("outbound", "exchange", None, "kind"),
        ("outbound", "repair", "gift", "purpose"),
        ("outbound", "repair", "customer_inbound", "purpose"),
        ("inbound", "repair", "return_to_sender", "purpose"),
    ],
)
def test_inconsistent_inputs_name_the_field(
    direction: str, kind: str, purpose: str | None, field: str
) -> None:
    with pytest.raises(RuleError) as info:
        decide_terms(direction=direction, country="US", kind=kind, purpose=purpose, policy=POLICY)  # type: ignore[arg-type]
    assert info.value.field == field
