"""The adapter against the sandbox taught live Shippo's behaviour (issue 15): per-minute limits,
QUEUED purchases and refunds, carrier_timeout, export customs, expiring document links, rate
expiry, test mode. Every sandbox answer is checked against Shippo's spec as well."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from carriers.errors import (
    CarrierRejected,
    CarrierUnavailable,
    LabelPending,
    LiveModeRequired,
    RateNotFound,
)
from carriers.factory import in_process_carrier
from carriers.shippo.adapter import ShippoCarrier
from carriers.types import Address, CustomsDeclaration, CustomsItem, Rate, RateRequest
from freight.money import Money
from freight.ratelimit import Limiter
from freight.ratelimit.store import SqliteWindowStore
from tests.contract.conftest import BOX, DEPOT, FAST, Clock, RecordingApp, control, rate_request
from tests.contract.schemas import errors_for, spec_problems

BERLIN = Address("Bea", "Unter den Linden 1", "Berlin", "10117", "DE", phone="+49 30 1234")


@pytest.fixture(autouse=True)
def _answers_follow_the_spec(
    sandbox: RecordingApp, webhooks: list[tuple[str, dict[str, Any]]]
) -> Iterator[None]:
    yield
    assert spec_problems(sandbox.exchanges) == []
    for _, payload in webhooks:  # webhook bodies carry the same objects as the API
        schema = "Track" if payload["event"] == "track_updated" else "Transaction"
        assert errors_for(schema, payload["data"]) == [], payload["event"]


def behave(carrier: ShippoCarrier, **settings: Any) -> None:
    control(carrier, "POST", "/sandbox/behaviour", settings)


def _statuses(sandbox: RecordingApp, method: str, path: str) -> list[int]:
    return [s.status for r, s in sandbox.exchanges if r.method == method and r.path == path]


# --- per-minute limits --------------------------------------------------------------------------


def _gated(sandbox: RecordingApp, clock: Clock, tmp_path: Path, **config: Any) -> ShippoCarrier:
    """The adapter with the shared limiter, on the sandbox's clock (waiting moves the clock)."""
    store = SqliteWindowStore(tmp_path / "ratelimit.db", clock=lambda: clock.now.timestamp())
    gate = Limiter(store, sleep=lambda s: clock.advance(seconds=s), jitter=lambda: 0.0)
    return in_process_carrier(replace(FAST, **config), sandbox, gate=gate)


def test_list_calls_are_throttled_at_ten_a_minute_for_a_test_key(
    carrier: ShippoCarrier, sandbox: RecordingApp
) -> None:
    behave(carrier, rate_limits=True)
    rate = carrier.rate(rate_request("shipment:rl"))[0]
    for _ in range(10):
        assert carrier.find_label([rate.rate_id]) is None
    with pytest.raises(CarrierUnavailable) as caught:
        carrier.find_label([rate.rate_id])  # the retries all fall inside the same minute
    assert caught.value.status_code == 429
    throttled = [s for r, s in sandbox.exchanges if s.status == 429]
    assert float(throttled[0].headers["X-RateLimit-Reset"]) > 0


def test_the_shared_limiter_waits_for_the_window_so_nothing_is_throttled(
    sandbox: RecordingApp, clock: Clock, tmp_path: Path
) -> None:
    carrier = _gated(sandbox, clock, tmp_path)
    behave(carrier, rate_limits=True)
    rate = carrier.rate(rate_request("shipment:rl"))[0]
    started = clock.now
    for _ in range(25):
        assert carrier.find_label([rate.rate_id]) is None
    assert _statuses(sandbox, "GET", "/transactions").count(200) == 25
    assert 429 not in _statuses(sandbox, "GET", "/transactions")
    assert (clock.now - started).total_seconds() >= 120  # 10 a minute: two full windows waited


def test_a_429_closes_the_window_for_every_caller_until_the_reset(
    sandbox: RecordingApp, clock: Clock, tmp_path: Path
) -> None:
    """The limiter believes in live limits (50 lists a minute) but the key is a test key (10):
    the first 429 names the reset, the limiter waits for it, and the call goes through."""
    carrier = _gated(sandbox, clock, tmp_path, rate_limit_mode="live")
    behave(carrier, rate_limits=True)
    rate = carrier.rate(rate_request("shipment:rl"))[0]
    for _ in range(15):
        assert carrier.find_label([rate.rate_id]) is None
    statuses = _statuses(sandbox, "GET", "/transactions")
    assert statuses.count(200) == 15
    assert statuses.count(429) == 1  # absorbed by waiting, not retried blindly


def test_a_budget_set_by_the_operator_replaces_shippos_table(
    sandbox: RecordingApp, clock: Clock, tmp_path: Path
) -> None:
    carrier = _gated(sandbox, clock, tmp_path, rate_limit_overrides={"transactions:list": 4})
    rate = carrier.rate(rate_request("shipment:rl"))[0]
    started = clock.now
    for _ in range(5):
        carrier.find_label([rate.rate_id])
    assert (clock.now - started).total_seconds() >= 60  # the fifth waited for the window


def test_label_purchases_wait_for_the_service_budget_and_absorb_the_carriers_429(
    sandbox: RecordingApp, clock: Clock, tmp_path: Path
) -> None:
    """FREIGHT_CARRIER_RATE_PER_MINUTE=60 on a live key, but the carrier holds this (test) key
    to 50 purchases a minute: the 51st purchase meets one 429, every caller waits for the reset
    it names, and each label is bought exactly once."""
    from freight.ports import label_budget
    from freight.settings import Settings

    budget = label_budget(Settings(shippo_api_key="shippo_live_x", carrier_rate_per_minute=60))
    assert budget == {"transactions:write": 60}
    carrier = _gated(sandbox, clock, tmp_path, rate_limit_mode="live", rate_limit_overrides=budget)
    rates = [carrier.rate(rate_request(f"shipment:b{i}"))[0] for i in range(45)]
    rates += [carrier.rate(rate_request(f"shipment:c{i}"))[0] for i in range(10)]
    behave(carrier, rate_limits=True)
    started = clock.now
    for i, rate in enumerate(rates):
        assert carrier.buy_label(rate, metadata=f"shipment:{i}", may_exist=False).tracking_number
    statuses = _statuses(sandbox, "POST", "/transactions")
    assert statuses.count(201) + statuses.count(200) == 55
    assert statuses.count(429) == 1  # absorbed by waiting for the reset, not retried blindly
    assert (clock.now - started).total_seconds() >= 59
    labels = control(carrier, "GET", "/sandbox/labels")["by_metadata"]
    assert sorted(labels.values()) == [1] * 55


# --- QUEUED purchases --------------------------------------------------------------------------


def test_a_queued_purchase_is_pending_then_found_never_bought_again(
    carrier: ShippoCarrier, clock: Clock, webhooks: list[tuple[str, dict[str, Any]]]
) -> None:
    behave(carrier, purchase_queue_seconds=120)
    rate = carrier.rate(rate_request("shipment:q"))[0]
    with pytest.raises(LabelPending) as caught:
        carrier.buy_label(rate, metadata="shipment:q", may_exist=False)
    assert caught.value.retryable
    with pytest.raises(LabelPending):  # a retry finds it still queued: no second POST
        carrier.buy_label(rate, metadata="shipment:q")
    clock.advance(seconds=121)
    label = carrier.buy_label(rate, metadata="shipment:q")
    assert label.tracking_number
    assert control(carrier, "GET", "/sandbox/labels")["by_metadata"] == {"shipment:q": 1}
    events = [(p["event"], p["data"]["status"]) for _, p in webhooks]
    assert ("transaction_created", "QUEUED") in events
    assert ("transaction_updated", "SUCCESS") in events
    updated = next(p for _, p in webhooks if p["event"] == "transaction_updated")
    assert updated["data"]["metadata"] == "shipment:q"


# --- refunds ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("outcome", "refund", "label"), [
    ("success", "SUCCESS", "REFUNDED"), ("reject", "ERROR", "REFUNDREJECTED"),
])  # fmt: skip
def test_a_refund_is_queued_then_decided(
    carrier: ShippoCarrier,
    clock: Clock,
    webhooks: list[tuple[str, dict[str, Any]]],
    outcome: str,
    refund: str,
    label: str,
) -> None:
    behave(carrier, refund_seconds=3600, refund_outcome=outcome)
    bought = carrier.buy_label(carrier.rate(rate_request("shipment:r"))[0], metadata="shipment:r")
    asked = carrier.void_label(bought.transaction_id)
    assert (asked.status, asked.finished) == ("QUEUED", False)
    assert carrier.get_refund(asked.refund_id).status == "PENDING"
    tx = control(carrier, "GET", f"/transactions/{bought.transaction_id}")
    assert tx["status"] == "REFUNDPENDING"
    clock.advance(seconds=3601)
    assert carrier.get_refund(asked.refund_id).status == refund
    assert control(carrier, "GET", f"/transactions/{bought.transaction_id}")["status"] == label
    assert ("transaction_updated", label) in [
        (p["event"], p["data"]["status"]) for _, p in webhooks
    ]


def test_a_void_whose_answer_was_lost_finds_the_refund_it_asked_for(
    carrier: ShippoCarrier,
) -> None:
    bought = carrier.buy_label(carrier.rate(rate_request("shipment:l"))[0], metadata="shipment:l")
    # Seed 1: the first POST /refunds is done but its answer lost; the retry is answered.
    control(
        carrier, "POST", "/sandbox/faults", {"faults": "refunds@post:0.5:lost_response", "seed": 1}
    )
    first = carrier.void_label(bought.transaction_id)
    control(carrier, "POST", "/sandbox/faults", {"faults": ""})
    assert first.transaction_id == bought.transaction_id
    assert len(control(carrier, "GET", "/refunds")["results"]) == 1


# --- carrier_timeout ----------------------------------------------------------------------------


def test_carrier_timeout_is_temporary_and_names_the_missing_carrier(
    carrier: ShippoCarrier,
) -> None:
    ups = next(r for r in carrier.rate(rate_request("shipment:t")) if r.carrier == "ups")
    behave(carrier, carrier_timeouts=["ups"])
    rates = carrier.rate(rate_request("shipment:t"))
    assert "ups" not in {r.carrier for r in rates}
    assert rates.temporarily_missing == ("ups",)
    with pytest.raises(CarrierUnavailable, match="did not respond"):
        carrier.buy_label(ups, metadata="shipment:t", may_exist=False)  # ERROR + carrier_timeout
    behave(carrier)
    assert carrier.buy_label(ups, metadata="shipment:t").carrier == "ups"  # the same service


# --- export customs -----------------------------------------------------------------------------


def _customs(**changes: Any) -> CustomsDeclaration:
    item = CustomsItem("Repaired PBX card", 1, Decimal("2"), "lb", Money.of("300"), "CN")
    full = CustomsDeclaration(
        "RETURN_MERCHANDISE", "Repair Depot", (item,), incoterm="DDU", eel_pfc="NOEEI_30_37_a",
        commercial_invoice=True,
    )  # fmt: skip
    return replace(full, **changes)


def _export(carrier: ShippoCarrier, customs: CustomsDeclaration, to: Address = BERLIN) -> Rate:
    request = RateRequest(DEPOT, to, (BOX,), "shipment:x", customs=customs)
    return next(r for r in carrier.rate(request) if r.carrier == "fedex")


@pytest.mark.parametrize(("changes", "reason"), [
    ({"eel_pfc": None}, "eel_pfc"),
    ({"incoterm": None}, "incoterm"),
    ({"eel_pfc": "NOEEI_30_37_a"}, "Canada"),
])  # fmt: skip
def test_express_exports_need_the_whole_declaration(
    carrier: ShippoCarrier, changes: dict[str, Any], reason: str
) -> None:
    to = replace(BERLIN, country="CA", city="Toronto", postal_code="M5H 2N2", state="ON") if (
        reason == "Canada"
    ) else BERLIN  # fmt: skip
    with pytest.raises(CarrierRejected, match=reason):
        carrier.buy_label(_export(carrier, _customs(**changes), to), metadata="shipment:x")


def test_an_express_export_needs_the_recipients_phone(carrier: ShippoCarrier) -> None:
    with pytest.raises(CarrierRejected, match="address_to.phone"):
        carrier.buy_label(
            _export(carrier, _customs(), replace(BERLIN, phone=None)), metadata="shipment:x"
        )


def test_a_complete_export_comes_with_a_commercial_invoice(carrier: ShippoCarrier) -> None:
    label = carrier.buy_label(_export(carrier, _customs()), metadata="shipment:x")
    assert label.commercial_invoice_url
    invoice = carrier.get_label_file(label, document="commercial_invoice")
    assert invoice.startswith(b"%PDF")
    assert b"612 792" in invoice  # 8.5 x 11 inches


# --- expiring links, old rates, test mode, residential ------------------------------------------


def test_an_expired_label_link_is_refreshed_through_the_transaction(
    carrier: ShippoCarrier, clock: Clock
) -> None:
    behave(carrier, label_url_seconds=300)
    label = carrier.buy_label(carrier.rate(rate_request("shipment:u"))[0], metadata="shipment:u")
    clock.advance(seconds=301)
    stale = carrier.session.get(label.label_url)
    assert stale.status_code == 403
    assert carrier.get_label_file(label).startswith(b"%PDF")


def test_a_rate_older_than_seven_days_is_not_even_posted(
    carrier: ShippoCarrier, sandbox: RecordingApp, clock: Clock
) -> None:
    rate = carrier.rate(rate_request("shipment:old"))[0]
    clock.advance(days=7)
    with pytest.raises(RateNotFound, match="expired"):
        carrier.buy_label(rate, metadata="shipment:old")
    assert _statuses(sandbox, "POST", "/transactions") == []


def test_production_refuses_test_mode_answers(sandbox: RecordingApp) -> None:
    live_only = in_process_carrier(replace(FAST, live_only=True), sandbox)
    with pytest.raises(LiveModeRequired, match="live API key"):
        live_only.rate(rate_request("shipment:m"))


def test_a_live_key_gets_live_objects(carrier: ShippoCarrier) -> None:
    response = carrier.session.post(
        "http://sandbox-carrier.internal/addresses",
        json={"street1": "1 Main St", "city": "Boston", "zip": "02108", "country": "US"},
        headers={"Authorization": "ShippoToken shippo_live_x"},
    )
    assert response.json()["test"] is False


def test_validation_says_whether_the_address_is_residential(carrier: ShippoCarrier) -> None:
    home = carrier.validate_address(rate_request().to_address)
    office = carrier.validate_address(replace(rate_request().to_address, company="Acme Corp"))
    assert (home.is_residential, office.is_residential) == (True, False)


def test_the_carrier_token_comes_from_the_carrier_account(
    carrier: ShippoCarrier, sandbox: RecordingApp
) -> None:
    rates = carrier.rate(rate_request("shipment:acct"))
    assert {r.carrier for r in rates} == {"usps", "ups", "fedex"}
    again = carrier.rate(rate_request("shipment:acct-2"))
    assert [r.carrier for r in again] == [r.carrier for r in rates]
    lookups = [r.path for r, _ in sandbox.exchanges if r.path.startswith("/carrier_accounts/")]
    assert sorted(lookups) == sorted(set(lookups))  # each account looked up once
    assert len(lookups) == 3
