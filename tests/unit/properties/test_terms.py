"""Properties of freight terms (SPEC §2 P-NA, P-QUOTE, P-INBOUND, P-EXPORT) and outbound rates.

Who pays depends on the destination country alone — not on how its code is written — and every
decision carries its rule id and a sentence.
"""

from __future__ import annotations

import pycountry
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from carriers.types import Rate
from freight.geo.rules import CountryError, ExportRestrictedError, resolve_country
from freight.money import Money
from freight.rules import RuleError
from freight.settings import DEFAULT_EXPORT_RESTRICTED, DEFAULT_NORTH_AMERICA
from freight.shipments.rules import insurance_for, select_rate
from freight.terms.rules import FreightTerms, TermsPolicy, decide_terms
from tests.unit.properties.strategies import alpha2_codes, money, spelled

POLICY = TermsPolicy.of(DEFAULT_NORTH_AMERICA, DEFAULT_EXPORT_RESTRICTED)
RULES = {"P-NA", "P-QUOTE", "P-INBOUND"}
kinds = st.sampled_from(["repair", "credit_return"])
outbound_purposes = st.sampled_from([None, "repair_return", "return_to_sender"])


@st.composite
def ways_to_write(draw: st.DrawFn, alpha2: str) -> str | int:
    """One of the accepted spellings of a country (SPEC §2): alpha-2/3, numeric, English name."""
    country = pycountry.countries.get(alpha_2=alpha2)
    assert country is not None
    forms: list[str | int] = [alpha2, str(country.alpha_3), str(country.numeric), country.name]
    forms.append(int(country.numeric))
    form = draw(st.sampled_from(forms))
    return form if isinstance(form, int) else draw(spelled(form))


def _decide(country: str | int, **kw: object) -> FreightTerms:
    return decide_terms(country=country, policy=POLICY, **kw)  # type: ignore[arg-type]


@given(alpha2=alpha2_codes, kind=kinds, purpose=outbound_purposes, data=st.data())
def test_outbound_terms_depend_on_the_country_not_on_how_it_is_written(
    alpha2: str, kind: str, purpose: str | None, data: st.DataObject
) -> None:
    assume(alpha2 not in POLICY.export_restricted)
    written = data.draw(ways_to_write(alpha2))
    canonical = _decide(alpha2, direction="outbound", kind=kind, purpose=purpose)
    assert _decide(written, direction="outbound", kind=kind, purpose=purpose) == canonical


@given(alpha2=alpha2_codes, kind=kinds, purpose=outbound_purposes)
def test_the_vendor_prepays_north_america_and_quotes_everywhere_else(
    alpha2: str, kind: str, purpose: str | None
) -> None:
    """P-NA / P-QUOTE; P-EXPORT refuses restricted destinations before any rate is bought."""
    if alpha2 in DEFAULT_EXPORT_RESTRICTED:
        with pytest.raises(ExportRestrictedError) as info:
            _decide(alpha2, direction="outbound", kind=kind, purpose=purpose)
        assert (info.value.rule, info.value.field) == ("P-EXPORT", "country")
        return
    terms = _decide(alpha2, direction="outbound", kind=kind, purpose=purpose)
    if alpha2 in DEFAULT_NORTH_AMERICA:
        assert (terms.payer, terms.card_required, terms.rule, terms.region) == (
            "vendor", False, "P-NA", "north_america",
        )  # fmt: skip
    else:
        assert (terms.payer, terms.card_required, terms.rule, terms.region) == (
            "customer", True, "P-QUOTE", "international",
        )  # fmt: skip
    assert f"({alpha2})" in terms.reason  # the sentence names the destination


@given(alpha2=alpha2_codes, kind=kinds, data=st.data())
def test_inbound_is_always_prepaid_by_the_sender(
    alpha2: str, kind: str, data: st.DataObject
) -> None:
    """P-INBOUND, from anywhere — export restrictions are about destinations, not the depot."""
    terms = _decide(data.draw(ways_to_write(alpha2)), direction="inbound", kind=kind)
    assert (terms.payer, terms.card_required, terms.rule) == ("sender", False, "P-INBOUND")
    assert terms.region == ("north_america" if alpha2 in DEFAULT_NORTH_AMERICA else "international")


@given(
    alpha2=alpha2_codes,
    direction=st.sampled_from(["inbound", "outbound"]),
    kind=kinds,
)
def test_every_decision_records_a_rule_id_and_a_sentence(
    alpha2: str, direction: str, kind: str
) -> None:
    if direction == "outbound" and alpha2 in DEFAULT_EXPORT_RESTRICTED:
        with pytest.raises(RuleError) as info:
            _decide(alpha2, direction=direction, kind=kind)
        assert info.value.rule == "P-EXPORT"
        assert info.value.reason.endswith(".")
        return
    terms = _decide(alpha2, direction=direction, kind=kind)
    assert terms.rule in RULES
    assert terms.reason.strip().endswith(".")
    wire = terms.as_json()
    assert set(wire) == {"payer", "card_required", "rule", "reason", "region"}
    assert wire["card_required"] is (wire["payer"] == "customer")


@given(
    north_america=st.frozensets(alpha2_codes, max_size=40),
    restricted=st.frozensets(alpha2_codes, max_size=5),
    alpha2=alpha2_codes,
)
def test_the_reviewed_lists_alone_decide(
    north_america: frozenset[str], restricted: frozenset[str], alpha2: str
) -> None:
    """Both lists are configuration: any reviewed list is followed, nothing derived at run time."""
    policy = TermsPolicy.of(
        [c.lower() for c in north_america], [f" {c} " for c in restricted]
    )  # codes as an operator may type them
    try:
        terms = decide_terms(direction="outbound", country=alpha2, policy=policy)
    except ExportRestrictedError:
        assert alpha2 in restricted
        return
    assert alpha2 not in restricted
    assert (terms.payer == "vendor") is (alpha2 in north_america)


# Not countries: the 422 names the field and keeps the value (SPEC §2).
not_countries = st.text(max_size=8).filter(lambda t: _unknown(t))


def _unknown(text: str) -> bool:
    try:
        resolve_country(text)
    except CountryError:
        return True
    return False


@given(value=not_countries, direction=st.sampled_from(["inbound", "outbound"]))
def test_anything_else_is_refused_naming_the_country_field(value: str, direction: str) -> None:
    with pytest.raises(CountryError) as info:
        _decide(value, direction=direction)
    assert info.value.field == "country"
    assert info.value.value == value


# Outbound shipment policy (freight/shipments/rules.py): rate choice and insurance ------------

CARRIER_SERVICES = {
    "usps": ("Priority Mail", "priority"),
    "ups": ("Ground", "ups_ground"),
    "fedex": ("FedEx 2Day", "fedex_2_day"),
    "dhl_express": ("Express Worldwide", "dhl_express_worldwide"),
}


@st.composite
def rate_lists(draw: st.DrawFn) -> list[Rate]:
    """Rates from several carriers in one currency, ids unique, transit days sometimes unknown."""
    out = []
    for n in range(draw(st.integers(1, 8))):
        carrier = draw(st.sampled_from(sorted(CARRIER_SERVICES)))
        service, token = CARRIER_SERVICES[carrier]
        out.append(
            Rate(
                f"rate_{n}",
                carrier,
                service,
                token,
                draw(money("USD", max_amount=500)),
                draw(st.none() | st.integers(1, 12)),
                "shp_1",
            )  # fmt: skip
        )
    return out


requirements = st.sampled_from(["", "fragile", "ship via FedEx", "UPS Ground please", "DHL"])


@given(rates=rate_lists(), max_days=st.integers(1, 10), wish=requirements, data=st.data())
def test_the_rate_bought_is_offered_and_does_not_depend_on_the_order_of_the_offers(
    rates: list[Rate], max_days: int, wish: str, data: st.DataObject
) -> None:
    choice = select_rate(rates, max_transit_days=max_days, requirements=wish)
    assert choice.rate in rates
    assert choice.rule in ("RATE-PICK", "P-INSURE")
    assert choice.reason.endswith(".")
    shuffled = data.draw(st.permutations(rates))
    assert select_rate(shuffled, max_transit_days=max_days, requirements=wish) == choice


@given(rates=rate_lists(), max_days=st.integers(1, 10))
def test_without_wishes_the_cheapest_rate_in_time_is_bought(
    rates: list[Rate], max_days: int
) -> None:
    choice = select_rate(rates, max_transit_days=max_days)
    in_time = [r for r in rates if r.estimated_days is not None and r.estimated_days <= max_days]
    if in_time:
        assert choice.rate in in_time
        assert all(choice.rate.amount <= r.amount for r in in_time)
    else:  # none in time: the fastest known
        known = [r.estimated_days for r in rates if r.estimated_days is not None]
        if known:
            assert choice.rate.estimated_days == min(known)


@given(rates=rate_lists(), max_days=st.integers(1, 10), carrier=st.sampled_from(["FedEx", "UPS"]))
def test_a_carrier_named_in_the_special_requirements_is_used_when_it_offers_a_rate(
    rates: list[Rate], max_days: int, carrier: str
) -> None:
    """P-INSURE: special shipping requirements captured at RR time are followed."""
    choice = select_rate(rates, max_transit_days=max_days, requirements=f"ship via {carrier}")
    if any(r.carrier == carrier.lower() for r in rates):
        assert choice.rate.carrier == carrier.lower()


@given(requested=st.booleans(), declared=st.none() | money())
def test_no_insurance_unless_the_customer_asked_and_then_for_the_declared_value(
    requested: bool, declared: Money | None
) -> None:
    """P-INSURE."""
    insured = insurance_for(requested, declared)
    if not requested or declared is None or declared.amount == 0:
        assert insured is None
    else:
        assert insured == declared
