"""Every sandbox answer validates against the matching response schema of Shippo's spec."""

from __future__ import annotations

import json
from typing import Any

from carriers.errors import CarrierError
from carriers.shippo.adapter import ShippoCarrier
from tests.contract.conftest import RecordingApp, control, rate_request
from tests.contract.schemas import errors_for, response_schema

# The response schemas this test checks (each must be seen at least once).
CHECKED_SCHEMAS = {
    "Address",
    "AddressPaginatedList",
    "Shipment",
    "ShipmentPaginatedList",
    "Rate",
    "RatePaginatedList",
    "Transaction",
    "TransactionPaginatedList",
    "Refund",
    "RefundPaginatedList",
    "Track",
    "Webhook",
    "WebhookPaginatedList",
    "BadRequest",
    "CarrierAccount",
}


def _exercise(carrier: ShippoCarrier) -> None:
    """Touch every sandbox endpoint, good and bad requests alike."""
    carrier.validate_address(rate_request().to_address)
    rates = carrier.rate(rate_request("shipment:schema"))
    label = carrier.buy_label(rates[0], metadata="shipment:schema")
    carrier.get_tracking(label.carrier, label.tracking_number)
    carrier.subscribe_tracking("shippo", "SHIPPO_DELIVERED", metadata="m")
    carrier.get_tracking("shippo", "SHIPPO_UNKNOWN")
    carrier.get_tracking("usps", "NOPE")
    control(carrier, "POST", f"/sandbox/tracks/{label.tracking_number}/advance", {"steps": 2})
    carrier.get_tracking(label.carrier, label.tracking_number)
    second = carrier.buy_label(rates[1], metadata="shipment:schema-2")
    carrier.void_label(second.transaction_id)
    address = control(
        carrier,
        "POST",
        "/addresses",
        {"street1": "1 A", "city": "B", "zip": "02108", "country": "US"},
    )
    shipment_id = rates[0].shipment_id
    for path in (
        "/addresses",
        f"/addresses/{address['object_id']}",
        f"/addresses/{address['object_id']}/validate",
        "/shipments",
        f"/shipments/{shipment_id}",
        f"/shipments/{shipment_id}/rates",
        f"/shipments/{shipment_id}/rates/USD",
        f"/rates/{rates[0].rate_id}",
        "/transactions?results=1",
        f"/transactions/{label.transaction_id}",
        "/refunds/",
        "/webhooks",
    ):
        control(carrier, "GET", path)
    hook = control(carrier, "POST", "/webhooks", {"event": "track_updated", "url": "http://h.test"})
    control(carrier, "GET", f"/webhooks/{hook['object_id']}")
    control(
        carrier, "PUT", f"/webhooks/{hook['object_id']}", {"event": "all", "url": "http://h.test/2"}
    )
    control(carrier, "DELETE", f"/webhooks/{hook['object_id']}")
    bad: tuple[str, str, dict[str, Any]]
    for bad in (
        ("POST", "/transactions", {"rate": "nope"}),
        ("POST", "/refunds", {}),
        ("POST", "/tracks", {"carrier": "usps"}),
        ("POST", "/addresses", {"country": "XX"}),
        ("POST", "/shipments", {"parcels": []}),
    ):
        control(carrier, *bad)
    try:
        carrier.void_label(label.transaction_id)  # used: refused with 400
    except CarrierError:
        pass


def test_every_sandbox_answer_matches_the_spec(
    carrier: ShippoCarrier, sandbox: RecordingApp
) -> None:
    _exercise(carrier)
    seen: set[str] = set()
    problems: list[str] = []
    for request, response in sandbox.exchanges:
        if request.path.startswith("/sandbox/") or response.status == 204:
            continue
        schema = response_schema(request.method, request.path, response.status)
        assert schema is not None, f"{request.method} {request.path} {response.status} not in spec"
        body = response.body if isinstance(response.body, dict) else json.loads(response.encode())
        seen.add(schema)
        problems += [
            f"{request.method} {request.path} -> {schema}: {e}" for e in errors_for(schema, body)
        ]
    assert problems == []
    assert seen == CHECKED_SCHEMAS


def test_status_codes_follow_the_spec(carrier: ShippoCarrier, sandbox: RecordingApp) -> None:
    _exercise(carrier)
    codes = {(r.method, r.path.split("/")[1], s.status) for r, s in sandbox.exchanges}
    for expected in [
        ("POST", "addresses", 201),
        ("POST", "shipments", 201),
        ("POST", "transactions", 201),
        ("POST", "refunds", 201),
        ("POST", "tracks", 200),
        ("GET", "tracks", 200),
        ("POST", "webhooks", 201),
        ("DELETE", "webhooks", 204),
        ("POST", "transactions", 400),
    ]:
        assert expected in codes


def test_the_api_wants_a_token(carrier: ShippoCarrier) -> None:
    response = carrier.session.get("http://sandbox-carrier.internal/transactions")
    assert response.status_code == 401
