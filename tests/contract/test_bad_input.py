"""Bad input becomes a typed error with the carrier's reason; no label, nothing half-stored."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest

from carriers.errors import AddressInvalid, InvalidParcel, LabelNotRefundable, RateNotFound
from carriers.shippo.adapter import ShippoCarrier
from carriers.types import Address, Parcel, Rate
from freight.money import Money
from tests.contract.conftest import BOX, CUSTOMER, Clock, control, rate_request


def _counts(carrier: ShippoCarrier) -> tuple[int, int]:
    labels = control(carrier, "GET", "/sandbox/labels")["count"]
    shipments = len(control(carrier, "GET", "/shipments?results=100")["results"])
    return labels, shipments


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        (replace(CUSTOMER, postal_code=""), "zip"),
        (replace(CUSTOMER, country="XX"), "country"),
        (replace(CUSTOMER, street1="1 Undeliverable Road"), "undeliverable"),
    ],
)
def test_invalid_addresses(carrier: ShippoCarrier, address: Address, reason: str) -> None:
    with pytest.raises(AddressInvalid) as validated:
        carrier.validate_address(address)
    with pytest.raises(AddressInvalid) as rated:
        carrier.rate(rate_request(to=address))
    for error in (validated.value, rated.value):
        assert error.carrier_message is not None
        assert reason in error.carrier_message.lower()
    assert control(carrier, "GET", "/sandbox/labels")["count"] == 0


@pytest.mark.parametrize(
    "changes",
    [{"weight": Decimal(0)}, {"weight": Decimal(-2)}, {"height": Decimal(0)}],
)
def test_zero_or_negative_parcels_are_refused(
    carrier: ShippoCarrier, changes: dict[str, Decimal]
) -> None:
    with pytest.raises(InvalidParcel):
        carrier.rate(rate_request(parcel=replace(BOX, **changes)))  # type: ignore[arg-type]
    assert _counts(carrier) == (0, 0)


def test_sandbox_itself_refuses_a_zero_weight_with_a_reason(carrier: ShippoCarrier) -> None:
    body = {
        "address_from": {"street1": "1", "city": "SJ", "zip": "95134", "country": "US"},
        "address_to": {"street1": "2", "city": "NY", "zip": "10001", "country": "US"},
        "parcels": [
            {
                "length": "1",
                "width": "1",
                "height": "1",
                "distance_unit": "in",
                "weight": "0",
                "mass_unit": "lb",
            }
        ],
    }
    answer = control(carrier, "POST", "/shipments", body)
    assert "greater than 0" in answer["parcels"]["0"]["weight"][0]
    assert _counts(carrier) == (0, 0)


@pytest.mark.parametrize(("length", "reason"), [("5000", "beyond"), ("120", "size")])
def test_absurd_or_oversize_dimensions(carrier: ShippoCarrier, length: str, reason: str) -> None:
    parcel = Parcel(Decimal(length), Decimal(40), Decimal(40), "in", Decimal(10), "lb")
    with pytest.raises(InvalidParcel) as caught:
        carrier.rate(rate_request(parcel=parcel))
    assert reason in str(caught.value.carrier_message)
    assert control(carrier, "GET", "/sandbox/labels")["count"] == 0


def test_expired_rate(carrier: ShippoCarrier, clock: Clock) -> None:
    rate = carrier.rate(rate_request())[0]
    clock.advance(days=8)
    with pytest.raises(RateNotFound, match="expired"):
        carrier.buy_label(rate, metadata="shipment:old")
    assert control(carrier, "GET", "/sandbox/labels")["count"] == 0


def test_foreign_rate_id(carrier: ShippoCarrier) -> None:
    foreign = Rate("0" * 32, "usps", "Priority", "usps_priority", Money.of("9"), 2, "x")
    with pytest.raises(RateNotFound, match="does not exist"):
        carrier.buy_label(foreign, metadata="shipment:foreign")
    assert control(carrier, "GET", "/sandbox/labels")["count"] == 0


def test_void_of_a_used_label(carrier: ShippoCarrier) -> None:
    label = carrier.buy_label(carrier.rate(rate_request())[0], metadata="shipment:used")
    control(carrier, "POST", f"/sandbox/tracks/{label.tracking_number}/advance")
    with pytest.raises(LabelNotRefundable, match="used"):
        carrier.void_label(label.transaction_id)
    assert control(carrier, "GET", f"/transactions/{label.transaction_id}")["status"] == "SUCCESS"


def test_void_of_an_unknown_label(carrier: ShippoCarrier) -> None:
    with pytest.raises(LabelNotRefundable, match="does not exist"):
        carrier.void_label("f" * 32)
