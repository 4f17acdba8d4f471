"""Sandbox labels move along scripted timelines; webhooks go out in Shippo's shape."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from carriers.shippo.adapter import ShippoCarrier
from carriers.webhooks import parse_webhook
from tests.contract.conftest import CUSTOMER, Clock, control, rate_request
from tests.contract.schemas import errors_for

Hooks = list[tuple[str, dict[str, Any]]]


def _label(carrier: ShippoCarrier, street2: str | None = None, metadata: str = "shipment:t"):  # type: ignore[no-untyped-def]
    request = rate_request(metadata, to=replace(CUSTOMER, street2=street2))
    return carrier.buy_label(carrier.rate(request)[0], metadata=metadata)


def test_a_parcel_driven_from_pre_transit_to_delivered(carrier: ShippoCarrier) -> None:
    label = _label(carrier)
    seen = [carrier.get_tracking(label.carrier, label.tracking_number).status]
    for _ in range(4):
        control(carrier, "POST", f"/sandbox/tracks/{label.tracking_number}/advance")
        seen.append(carrier.get_tracking(label.carrier, label.tracking_number).status)
    assert seen == ["PRE_TRANSIT", "TRANSIT", "TRANSIT", "TRANSIT", "DELIVERED"]
    final = carrier.get_tracking(label.carrier, label.tracking_number)
    assert len(final.events) == 5
    assert final.incident is None


@pytest.mark.parametrize(
    ("marker", "status", "kind"),
    [
        ("Suite 5 SANDBOX:DAMAGED", "DELIVERED", "damage"),
        ("SANDBOX:LOST", "FAILURE", "loss"),
        ("SANDBOX:RETURNED", "RETURNED", "returned"),
        ("SANDBOX:FAILURE", "FAILURE", "failure"),
    ],
)
def test_incident_endings(carrier: ShippoCarrier, marker: str, status: str, kind: str) -> None:
    label = _label(carrier, marker)
    control(carrier, "POST", f"/sandbox/tracks/{label.tracking_number}/advance", {"steps": 9})
    info = carrier.get_tracking(label.carrier, label.tracking_number)
    assert info.status == status
    assert info.incident is not None
    assert info.incident.kind == kind


def test_time_moves_labels_along(carrier: ShippoCarrier, clock: Clock) -> None:
    label = _label(carrier, metadata="shipment:clock SANDBOX:LOST")
    clock.advance(hours=13)
    assert carrier.get_tracking(label.carrier, label.tracking_number).status == "TRANSIT"
    clock.advance(days=10)
    info = carrier.get_tracking(label.carrier, label.tracking_number)
    assert info.status == "FAILURE"
    assert info.incident is not None
    assert info.incident.kind == "loss"


def test_webhooks_for_purchase_and_each_scan(carrier: ShippoCarrier, webhooks: Hooks) -> None:
    hook = control(
        carrier,
        "POST",
        "/webhooks",
        {"event": "track_updated", "url": "http://other.test/hook", "is_test": True},
    )
    label = _label(carrier)
    control(carrier, "POST", f"/sandbox/tracks/{label.tracking_number}/advance", {"steps": 2})
    events = [(url, body["event"]) for url, body in webhooks]
    assert events[0] == ("http://receiver.test/webhooks/shippo", "transaction_created")
    assert ("http://other.test/hook", "track_updated") in events
    for _url, body in webhooks:
        schema = (
            "WebhookPayloadTrack"
            if body["event"] == "track_updated"
            else ("WebhookPayloadTransaction")
        )
        assert errors_for(schema, body) == []
        parsed = parse_webhook(body)
        assert parsed.test is True
    created = parse_webhook(webhooks[0][1])
    assert created.transaction_id == label.transaction_id
    assert created.metadata == "shipment:t"
    keys = [parse_webhook(b).dedup_key for u, b in webhooks if u == hook["url"]]
    assert len(keys) == len(set(keys)) == 1  # the receiver sees the one track_updated
