"""Faults: retries stay bounded, leftovers are typed errors, and no shipment gets two labels."""

from __future__ import annotations

import json
import logging
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import replace
from typing import Any

import pytest
import requests

from carriers.config import CarrierConfig
from carriers.errors import CarrierError, CarrierUnavailable, UnexpectedResponse
from carriers.factory import in_process_carrier
from carriers.sandbox.transport import WsgiTransport
from carriers.shippo.adapter import ShippoCarrier
from carriers.shippo.session import TimeoutSession
from carriers.types import Label, Rate
from freight.money import Money
from tests.contract.conftest import FAST, RecordingApp, control, rate_request

# 30 % of every request on every endpoint fails, in every way the sandbox knows.
THIRTY_PERCENT = "*:0.08:500,*:0.07:429:0,*:0.07:timeout,*:0.08:lost_response"
WORKER_TRIES = 6  # how often a worker task would re-run a failed purchase


def _retries(records: Iterable[logging.LogRecord]) -> list[Any]:
    return [r for r in records if r.getMessage() == "carrier.retry"]


def _purchase(
    carrier: ShippoCarrier, metadata: str, errors: list[CarrierError], *, like_the_job: bool = False
) -> Label | None:
    """What a worker does: rate, buy; re-run on a typed error. `like_the_job`: the label job's
    first run skips the up-front look-up (nothing can exist yet); its re-runs look first."""
    for attempt in range(1, WORKER_TRIES + 1):
        try:
            rate = carrier.rate(rate_request(metadata))[0]
            may_exist = attempt > 1 or not like_the_job
            return carrier.buy_label(rate, metadata=metadata, may_exist=may_exist)
        except CarrierError as exc:  # anything else fails the test
            errors.append(exc)
    return None


def _exactly_one_label_each(
    carrier: ShippoCarrier, labels: list[Label | None], count: int
) -> dict[str, Any]:
    """Faults off, then the sandbox's own record: `count` labels, one per shipment, none twice."""
    control(carrier, "POST", "/sandbox/faults", {"faults": ""})
    summary: dict[str, Any] = control(carrier, "GET", "/sandbox/labels")
    assert all(label is not None for label in labels)
    assert summary["count"] == count
    assert summary["duplicates"] == []
    assert set(summary["by_metadata"].values()) == {1}
    return summary


def test_200_purchases_with_30_percent_faults_make_exactly_200_labels(
    carrier: ShippoCarrier, sandbox: RecordingApp, caplog: pytest.LogCaptureFixture
) -> None:
    control(carrier, "POST", "/sandbox/faults", {"faults": THIRTY_PERCENT, "seed": 20260302})
    caplog.set_level(logging.WARNING, logger="carriers.shippo")
    errors: list[CarrierError] = []
    labels = [_purchase(carrier, f"shipment:{i}", errors) for i in range(200)]
    summary = _exactly_one_label_each(carrier, labels, 200)
    assert {label.transaction_id for label in labels if label} == {
        r["object_id"] for r in summary["results"]
    }
    faults = sum(1 for _, s in sandbox.exchanges if s.status in (429, 500, 504))
    assert faults > 200  # the faults really happened
    per_call: dict[str, int] = {}
    for record in _retries(caplog.records):
        per_call[record.operation] = max(per_call.get(record.operation, 0), record.attempt)
    assert max(per_call.values()) <= FAST.max_attempts - 1
    assert all(isinstance(e, CarrierError) for e in errors)


def test_a_lost_purchase_answer_is_found_not_bought_again(carrier: ShippoCarrier) -> None:
    control(carrier, "POST", "/sandbox/faults", {"faults": "transactions@post:1.0:lost_response"})
    label = carrier.buy_label(
        carrier.rate(rate_request("shipment:lost"))[0], metadata="shipment:lost"
    )
    summary = control(carrier, "GET", "/sandbox/labels")
    assert summary["by_metadata"] == {"shipment:lost": 1}
    assert summary["results"][0]["object_id"] == label.transaction_id


def test_a_first_attempt_skips_the_look_up_and_still_never_buys_twice(
    carrier: ShippoCarrier,
) -> None:
    """What the label job does: its first run buys without looking up (no earlier run could
    have bought); a re-run after a typed error looks up first. Faults as above, lost answers
    included: still exactly one label per shipment."""
    control(carrier, "POST", "/sandbox/faults", {"faults": THIRTY_PERCENT, "seed": 20261128})
    errors: list[CarrierError] = []
    labels = [
        _purchase(carrier, f"shipment:first-{i}", errors, like_the_job=True) for i in range(60)
    ]
    _exactly_one_label_each(carrier, labels, 60)


def test_a_lost_answer_on_a_first_attempt_is_looked_up_not_bought_again(
    carrier: ShippoCarrier,
) -> None:
    control(carrier, "POST", "/sandbox/faults", {"faults": "transactions@post:1.0:lost_response"})
    label = carrier.buy_label(
        carrier.rate(rate_request("shipment:lost-first"))[0], metadata="shipment:lost-first",
        may_exist=False,
    )  # fmt: skip
    summary = control(carrier, "GET", "/sandbox/labels")
    assert summary["by_metadata"] == {"shipment:lost-first": 1}
    assert summary["results"][0]["object_id"] == label.transaction_id


def test_retry_after_is_honoured(sandbox: RecordingApp) -> None:
    carrier = in_process_carrier(replace(FAST, max_attempts=2), sandbox)
    control(carrier, "POST", "/sandbox/faults", {"faults": "addresses:1.0:429:1"})
    started = time.monotonic()
    with pytest.raises(CarrierUnavailable) as caught:
        carrier.validate_address(rate_request().to_address)
    assert time.monotonic() - started >= 1.0
    assert caught.value.status_code == 429


def test_persistent_500_gives_up_after_max_attempts(
    carrier: ShippoCarrier, sandbox: RecordingApp
) -> None:
    control(carrier, "POST", "/sandbox/faults", {"faults": "shipments:1.0:500"})
    with pytest.raises(CarrierUnavailable) as caught:
        carrier.rate(rate_request())
    assert caught.value.status_code == 500
    tries = [r for r, _ in sandbox.exchanges if r.path == "/shipments"]
    assert len(tries) == FAST.max_attempts


def test_total_retry_time_is_bounded(sandbox: RecordingApp) -> None:
    slow = CarrierConfig(
        max_attempts=50,
        max_retry_seconds=0.3,
        timeout_seconds=0.05,
        backoff_initial_seconds=0.01,
        backoff_max_seconds=0.05,
    )
    carrier = in_process_carrier(slow, sandbox)
    control(carrier, "POST", "/sandbox/faults", {"faults": "", "latency_ms": 100})
    started = time.monotonic()
    with pytest.raises(CarrierUnavailable):
        carrier.get_tracking("shippo", "SHIPPO_TRANSIT")
    # 50 attempts would take > 5 s; the 0.3 s budget stops it long before (slack for a busy machine)
    assert time.monotonic() - started < 3.0


def _garbage_app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    del environ
    start_response("201 Created", [("Content-Type", "application/json")])
    return [b'{"object_id": 7, "status": "NOT_A_STATUS"}']


def test_unexpected_shapes_become_typed_errors() -> None:
    session = requests.Session()
    session.mount("http://weird.test/", WsgiTransport(_garbage_app))
    carrier = ShippoCarrier(FAST, api_key="k", server_url="http://weird.test", session=session)
    with pytest.raises(UnexpectedResponse):
        carrier.validate_address(rate_request().to_address)


def _spec_minimal_app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    """A Shippo fake that leaves out `created_by` (the spec does not require it)."""
    if environ["REQUEST_METHOD"] == "POST":
        body: dict[str, Any] = {
            "object_id": "t1",
            "status": "SUCCESS",
            "rate": "r1",
            "tracking_number": "TN1",
            "label_url": "http://fake.test/l.pdf",
            "metadata": "shipment:m",
        }
        start_response("201 Created", [("Content-Type", "application/json")])
    else:
        body = {"results": []}
        start_response("200 OK", [("Content-Type", "application/json")])
    return [json.dumps(body).encode()]


def test_answers_the_sdk_cannot_decode_are_read_from_the_body() -> None:
    session = TimeoutSession(1.0)
    session.mount("http://fake.test/", WsgiTransport(_spec_minimal_app))
    carrier = ShippoCarrier(FAST, api_key="k", server_url="http://fake.test", session=session)
    rate = Rate("r1", "usps", "Priority Mail", "usps_priority", Money.of("7.50"), 2, "s1")
    label = carrier.buy_label(rate, metadata="shipment:m")
    assert (label.transaction_id, label.tracking_number, label.cost) == ("t1", "TN1", rate.amount)


def _quoted_purchase(carrier: ShippoCarrier, metadata: str, recorded: list[str]) -> Label | None:
    """The quoted path: every run re-rates, records the new rate (committed before the POST)
    and buys it, looking up every rate recorded before."""
    for attempt in range(1, WORKER_TRIES + 1):
        try:
            rate = carrier.rate(rate_request(metadata))[0]
            recorded.append(rate.rate_id)
            return carrier.buy_label(
                rate, metadata=metadata, may_exist=attempt > 1, earlier_rates=recorded[:-1]
            )
        except CarrierError:
            continue
    return None


def _void(carrier: ShippoCarrier, label: Label) -> str | None:
    for _ in range(WORKER_TRIES):
        try:
            return carrier.void_label(label.transaction_id).refund_id
        except CarrierError:
            continue
    return None


def test_quoted_path_and_refunds_with_30_percent_faults_make_one_label_and_one_refund_each(
    carrier: ShippoCarrier,
) -> None:
    control(carrier, "POST", "/sandbox/faults", {"faults": THIRTY_PERCENT, "seed": 20261201})
    labels = [_quoted_purchase(carrier, f"shipment:q-{i}", []) for i in range(60)]
    refunds = [_void(carrier, label) for label in labels if label is not None]
    summary = _exactly_one_label_each(carrier, labels, 60)
    assert all(refunds)
    stored = control(carrier, "GET", "/refunds?results=100")["results"]
    per_label = Counter(r["transaction"] for r in stored)
    assert set(per_label) == {r["object_id"] for r in summary["results"]}
    assert set(per_label.values()) == {1}  # lost answers never asked twice
