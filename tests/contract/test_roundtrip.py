"""Every adapter operation, through the real shippo SDK, against the in-process sandbox."""

from __future__ import annotations

from decimal import Decimal

import pytest

from carriers.errors import CarrierRejected
from carriers.shippo.adapter import ShippoCarrier
from carriers.types import Address, CustomsDeclaration, CustomsItem, RateRequest
from freight.money import Money
from tests.contract.conftest import BOX, CUSTOMER, DEPOT, RecordingApp, control, rate_request

BERLIN = Address("Bea", "Unter den Linden 1", "Berlin", "10117", "DE")
CUSTOMS = CustomsDeclaration(
    "RETURN_MERCHANDISE",
    "Repair Depot",
    (CustomsItem("Repaired PBX card", 1, Decimal("2"), "lb", Money.of("300"), "US"),),
)


def test_validate_address_returns_the_normalized_address(carrier: ShippoCarrier) -> None:
    checked = carrier.validate_address(Address("Ann", "1 Main St", "Boston", "02108", "us"))
    assert checked.country == "US"
    assert checked.postal_code == "02108"


def test_rates_are_deterministic_usd_and_from_three_carriers(carrier: ShippoCarrier) -> None:
    first = carrier.rate(rate_request("shipment:a"))
    second = carrier.rate(rate_request("shipment:b"))
    assert [(r.service_token, r.amount) for r in first] == [
        (r.service_token, r.amount) for r in second
    ]
    assert {r.carrier for r in first} >= {"usps", "ups", "fedex"}
    assert all(r.amount.currency == "USD" for r in first)
    assert [r.amount for r in first] == sorted(r.amount for r in first)
    assert all(r.shipment_id for r in first)


def test_insurance_is_priced(carrier: ShippoCarrier) -> None:
    plain = carrier.rate(rate_request())[0]
    insured = carrier.rate(RateRequest(DEPOT, CUSTOMER, (BOX,), "s", Money.of("500")))[0]
    assert insured.amount > plain.amount


def test_buy_fetch_track_and_void_a_label(carrier: ShippoCarrier) -> None:
    rate = carrier.rate(rate_request("shipment:9"))[0]
    label = carrier.buy_label(rate, metadata="shipment:9")
    assert (label.rate_id, label.carrier, label.cost) == (rate.rate_id, rate.carrier, rate.amount)
    pdf = carrier.get_label_file(label)
    assert pdf.startswith(b"%PDF")
    assert b"288 432" in pdf  # 4 x 6 inches
    info = carrier.get_tracking(label.carrier, label.tracking_number)
    assert info.status == "PRE_TRANSIT"
    refund = carrier.void_label(label.transaction_id)
    assert refund.status == "QUEUED"  # asked for, not done: the carrier may still refuse
    assert carrier.get_refund(refund.refund_id).status == "SUCCESS"
    # Asking again (an answer lost, a process that died) gives back the same refund.
    assert carrier.void_label(label.transaction_id).refund_id == refund.refund_id


def test_buying_again_for_a_recorded_rate_returns_the_same_label(
    carrier: ShippoCarrier,
) -> None:
    rates = carrier.rate(rate_request("shipment:dup"))
    first = carrier.buy_label(rates[0], metadata="shipment:dup")
    assert carrier.buy_label(rates[0], metadata="shipment:dup") == first
    # A re-rated shipment: the earlier rate ids the caller recorded are looked up first.
    rerated = carrier.rate(rate_request("shipment:dup"))[0]
    again = carrier.buy_label(
        rerated, metadata="shipment:dup", may_exist=False, earlier_rates=[rates[0].rate_id]
    )
    assert again == first
    assert carrier.find_label([rerated.rate_id, rates[0].rate_id]) == first
    assert carrier.find_label([rates[1].rate_id]) is None
    assert control(carrier, "GET", "/sandbox/labels")["by_metadata"] == {"shipment:dup": 1}


@pytest.mark.parametrize(
    ("number", "status"),
    [
        ("SHIPPO_PRE_TRANSIT", "PRE_TRANSIT"),
        ("SHIPPO_TRANSIT", "TRANSIT"),
        ("SHIPPO_DELIVERED", "DELIVERED"),
        ("SHIPPO_RETURNED", "RETURNED"),
        ("SHIPPO_FAILURE", "FAILURE"),
        ("SHIPPO_UNKNOWN", "UNKNOWN"),
    ],
)
def test_shippo_test_numbers(carrier: ShippoCarrier, number: str, status: str) -> None:
    subscribed = carrier.subscribe_tracking("shippo", number, metadata="rr:RR-TEST1")
    fetched = carrier.get_tracking("shippo", number)
    assert subscribed.status == fetched.status == status
    assert fetched.metadata == "rr:RR-TEST1"
    assert [e.occurred_at for e in fetched.events] == sorted(e.occurred_at for e in fetched.events)


def test_terminal_test_numbers_carry_incidents(carrier: ShippoCarrier) -> None:
    returned = carrier.get_tracking("shippo", "SHIPPO_RETURNED").incident
    failed = carrier.get_tracking("shippo", "SHIPPO_FAILURE").incident
    assert returned is not None
    assert returned.kind == "returned"
    assert failed is not None
    assert failed.kind == "failure"


def test_international_label_needs_customs(carrier: ShippoCarrier) -> None:
    without = carrier.rate(RateRequest(DEPOT, BERLIN, (BOX,), "intl:1"))
    assert "dhl_express" in {r.carrier for r in without}
    with pytest.raises(CarrierRejected, match="customs"):
        carrier.buy_label(without[0], metadata="intl:1")
    declared = carrier.rate(RateRequest(DEPOT, BERLIN, (BOX,), "intl:2", customs=CUSTOMS))
    label = carrier.buy_label(declared[0], metadata="intl:2")
    assert label.tracking_number


def test_registering_an_unknown_number_starts_a_timeline(carrier: ShippoCarrier) -> None:
    info = carrier.subscribe_tracking("ups", "1ZINBOUND0001", metadata="rr:RR-ABC123")
    assert info.status == "PRE_TRANSIT"
    control(carrier, "POST", "/sandbox/tracks/1ZINBOUND0001/advance", {"steps": 10})
    assert carrier.get_tracking("ups", "1ZINBOUND0001").status == "DELIVERED"
    assert carrier.get_tracking("ups", "1ZNEVERSEEN").status == "UNKNOWN"


def test_a_zpl_label_is_bought_and_served_as_zpl(
    carrier: ShippoCarrier, sandbox: RecordingApp
) -> None:
    rate = carrier.rate(rate_request("shipment:zpl"))[0]
    label = carrier.buy_label(rate, metadata="shipment:zpl", label_format="ZPLII")
    posts = [r for r, _ in sandbox.exchanges if r.method == "POST" and r.path == "/transactions"]
    assert [r.body.get("label_file_type") for r in posts] == ["ZPLII"]
    assert ".zpl?" in label.label_url
    zpl = carrier.get_label_file(label).decode()
    assert zpl.startswith("^XA")
    assert zpl.rstrip().endswith("^XZ")
    assert label.tracking_number in zpl
    assert "20 W 34th St" in zpl
    assert "410 East Plumeria Drive" in zpl


def test_a_pdf_label_is_asked_for_by_default_as_4x6(
    carrier: ShippoCarrier, sandbox: RecordingApp
) -> None:
    label = carrier.buy_label(carrier.rate(rate_request("shipment:pdf"))[0], metadata="s:pdf")
    posts = [r for r, _ in sandbox.exchanges if r.method == "POST" and r.path == "/transactions"]
    assert [r.body.get("label_file_type") for r in posts] == ["PDF_4x6"]
    assert carrier.get_label_file(label).startswith(b"%PDF")


def test_an_unknown_label_file_type_is_refused(carrier: ShippoCarrier) -> None:
    rate = carrier.rate(rate_request("shipment:bad"))[0]
    answer = control(
        carrier, "POST", "/transactions", {"rate": rate.rate_id, "label_file_type": "ZPL"}
    )
    assert answer == {"label_file_type": ["'ZPL' is not a valid choice."]}
    assert control(carrier, "GET", "/sandbox/labels")["count"] == 0
