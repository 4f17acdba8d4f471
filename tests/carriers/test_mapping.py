"""Mapping between our types and Shippo JSON, against fixtures shaped like Shippo's answers."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from carriers.errors import InvalidParcel, UnexpectedResponse
from carriers.shippo import mapping, tracks
from carriers.types import (
    Address,
    CustomsDeclaration,
    CustomsItem,
    Parcel,
    Rate,
    RateRequest,
)
from freight.money import Money

Load = Callable[[str], Any]
DEPOT = Address("Depot", "410 East Plumeria Drive", "San Jose", "95134", "US", state="CA")
CUSTOMER = Address("Ann", "1 Main St", "Toronto", "M5V 2T6", "ca", street2="Unit 4", state="ON")
BOX = Parcel(Decimal("12"), Decimal("8.5"), Decimal("4"), "in", Decimal("2.50"), "lb")


def test_shipment_request_has_shippo_field_names_and_string_numbers() -> None:
    customs = CustomsDeclaration(
        "RETURN_MERCHANDISE",
        "Ann",
        (CustomsItem("PBX card", 1, Decimal("1.2"), "lb", Money.of("250"), "US", "8517.62"),),
        incoterm="DDU",
    )
    request = RateRequest(DEPOT, CUSTOMER, (BOX,), "shipment:7", Money.of("300"), customs)
    body = mapping.shipment_json(request)
    assert body["address_to"] == {
        "name": "Ann",
        "street1": "1 Main St",
        "city": "Toronto",
        "zip": "M5V 2T6",
        "country": "CA",
        "street2": "Unit 4",
        "state": "ON",
    }
    assert body["parcels"] == [
        {
            "length": "12",
            "width": "8.5",
            "height": "4",
            "distance_unit": "in",
            "weight": "2.5",
            "mass_unit": "lb",
        }
    ]
    assert body["extra"]["insurance"] == {
        "amount": "300.00",
        "currency": "USD",
        "content": "Repaired hardware",
    }
    assert body["customs_declaration"]["items"][0]["value_amount"] == "250.00"
    assert body["customs_declaration"]["items"][0]["tariff_number"] == "8517.62"
    assert body["metadata"] == "shipment:7"
    assert body["async"] is False


@pytest.mark.parametrize("field", ["weight", "length"])
@pytest.mark.parametrize("value", ["0", "-1"])
def test_non_positive_parcel_numbers_are_refused_before_sending(field: str, value: str) -> None:
    values = {
        "length": BOX.length,
        "width": BOX.width,
        "height": BOX.height,
        "distance_unit": BOX.distance_unit,
        "weight": BOX.weight,
        "mass_unit": BOX.mass_unit,
        field: Decimal(value),
    }
    parcel = Parcel(**values)  # type: ignore[arg-type]
    with pytest.raises(InvalidParcel, match=field):
        mapping.check_parcel(parcel)


def test_rates_are_normalized_and_sorted_cheapest_first(fixture_json: Load) -> None:
    rates = mapping.rates_from_json(fixture_json("shipment_with_rates")["rates"])
    assert [r.amount for r in rates] == [Money.of("7.58"), Money.of("11.40"), Money.of("27.75")]
    cheapest = rates[0]
    assert cheapest == Rate(
        rate_id="ee81fab0372e419ab52245c8952ccaeb",
        carrier="usps",
        service="Priority Mail",
        service_token="usps_priority",
        amount=Money.of("7.58"),
        estimated_days=2,
        shipment_id="5e40ead7cffe4cc1ad45108696162e42",
        created_at=datetime(2024, 7, 23, 20, 35, 26, 129000, tzinfo=UTC),
        test=cheapest.test,
        carrier_account="078870331023437cb917f5187429b093",
    )
    assert rates[1].carrier == "dhl_express"
    assert rates[1].estimated_days is None


def test_success_transaction_becomes_a_label_priced_by_its_rate(fixture_json: Load) -> None:
    rate = mapping.rates_from_json(fixture_json("shipment_with_rates")["rates"])[0]
    label = mapping.label_from_json(fixture_json("transaction_success"), rate)
    assert label.tracking_number == "9205590164917312751089"
    assert label.transaction_id == "70ae8117ee1749e393f249d5b77c45e0"
    assert label.cost == Money.of("7.58")
    assert label.metadata == "shipment:42"
    assert label.eta == datetime(2024, 7, 25, 20, tzinfo=UTC)


def test_error_transaction_is_not_a_label(fixture_json: Load) -> None:
    rate = mapping.rates_from_json(fixture_json("shipment_with_rates")["rates"])[0]
    with pytest.raises(UnexpectedResponse):
        mapping.label_from_json(fixture_json("transaction_error"), rate)
    text = mapping.messages_text(fixture_json("transaction_error")["messages"])
    assert "rate you selected has expired" in text


def test_track_history_is_sorted_oldest_first_with_locations(fixture_json: Load) -> None:
    info = tracks.tracking_from_json(fixture_json("track_delivered"))
    assert info.status == "DELIVERED"
    assert info.substatus is not None
    assert info.substatus.code == "delivered"
    assert [e.status for e in info.events] == ["PRE_TRANSIT", "TRANSIT", "DELIVERED"]
    assert info.events[1].location == "Las Vegas, NV 89101 US"
    assert info.events[0].location is None
    assert all(e.occurred_at.tzinfo is not None for e in info.events)
    assert info.eta == datetime(2016, 7, 23, tzinfo=UTC)
    assert info.incident is None


def test_damage_seen_in_history_stays_after_delivery(fixture_json: Load) -> None:
    info = tracks.tracking_from_json(fixture_json("track_damaged_in_history"))
    assert info.status == "DELIVERED"
    assert info.incident is not None
    assert (info.incident.kind, info.incident.code) == ("damage", "package_damaged")


def test_loss_found_from_words_when_no_substatus(fixture_json: Load) -> None:
    info = tracks.tracking_from_json(fixture_json("track_lost_text_only"))
    assert info.status == "FAILURE"
    assert info.incident is not None
    assert info.incident.kind == "loss"


def test_null_tracking_status_is_unknown(fixture_json: Load) -> None:
    info = tracks.tracking_from_json(fixture_json("track_unknown"))
    assert (info.status, info.events, info.incident) == ("UNKNOWN", (), None)


def test_failed_address_validation_keeps_the_carriers_reason(fixture_json: Load) -> None:
    problem = mapping.validation_problem(fixture_json("address_invalid"))
    assert problem is not None
    assert "street address is not a match" in problem


def test_validated_address_keeps_our_values_where_carrier_is_blank() -> None:
    merged = mapping.merged_address(
        DEPOT, {"street1": "410 E PLUMERIA DR", "zip": "95134-1919", "country": "US", "name": ""}
    )
    assert merged.street1 == "410 E PLUMERIA DR"
    assert merged.postal_code == "95134-1919"
    assert merged.name == "Depot"


@pytest.mark.parametrize(
    ("provider", "token"),
    [
        ("USPS", "usps"),
        ("FedEx", "fedex"),
        ("DHL Express", "dhl_express"),
        ("Lasership", "lasership"),
    ],
)
def test_carrier_tokens(provider: str, token: str) -> None:
    assert mapping.carrier_token(provider) == token


def test_rate_object_inside_transaction_gives_the_rate_id(fixture_json: Load) -> None:
    data = fixture_json("webhook_transaction_created")["data"]
    assert mapping.transaction_rate_id(data) == "ee81fab0372e419ab52245c8952ccaeb"


def test_control_characters_in_a_carriers_text_never_reach_the_event() -> None:
    """A scan's details and place are shown on the customer page, the console and CSV: a
    terminal escape or bell from the carrier becomes a space; tab and newline stay."""
    from carriers.shippo.tracks import event_from_json

    event = event_from_json(
        {
            "status": "TRANSIT",
            "status_date": "2026-11-03T10:00:00Z",
            "status_details": "Arrived\x1b[31m at\x07 hub\tA\nB",
            "location": {"city": "San\x1bJose", "state": "CA", "zip": "95134", "country": "US"},
        }
    )
    assert event is not None
    assert event.text == "Arrived [31m at  hub\tA\nB"
    assert event.location == "San Jose, CA 95134 US"
