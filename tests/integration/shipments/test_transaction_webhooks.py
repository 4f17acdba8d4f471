"""transaction_created / transaction_updated change the shipment's label state through the real
path (POST /webhooks/shippo → stored → job → freight.shipments.transactions), and a missing
consumer stops the service from starting instead of events being skipped."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from carriers.sandbox.transport import IN_PROCESS_BASE_URL
from freight.app import create_app
from freight.webhooks import consumers
from freight.webhooks.models import WebhookEvent
from tests.integration.shipments.flow import Flow


def _transaction(flow: Flow, transaction_id: str) -> dict[str, Any]:
    return dict(
        flow.carrier.session.get(
            f"{IN_PROCESS_BASE_URL}/transactions/{transaction_id}",
            headers={"Authorization": "ShippoToken t"},
        ).json()
    )


def _post(flow: Flow, event: str, data: dict[str, Any]) -> None:
    body = {"event": event, "test": True, "data": data}
    resp = flow.client.post(
        "/webhooks/shippo", json=body,
        headers={"X-Freight-Webhook-Token": flow.settings.webhook_token},
    )  # fmt: skip
    assert resp.status_code == 202, resp.text


def _labeled(flow: Flow) -> tuple[str, dict[str, Any], dict[str, Any]]:
    rr = flow.ready_rr()
    shipment = flow.outbound(rr)
    flow.drain()
    assert flow.shipment(shipment["id"])["state"] == "labeled"
    (sold,) = flow.labels_for(shipment["id"])
    return rr, shipment, _transaction(flow, sold["object_id"])


def test_a_refund_the_carrier_confirms_voids_the_label_in_force(flow: Flow) -> None:
    rr, shipment, tx = _labeled(flow)
    assert flow.rr(rr)["status"] == "shipped"
    _post(flow, "transaction_updated", {**tx, "status": "REFUNDPENDING"})
    flow.drain()
    view = flow.shipment(shipment["id"])
    assert (view["state"], view["refund_status"]) == ("labeled", "REFUNDPENDING")

    _post(flow, "transaction_updated", {**tx, "status": "REFUNDED"})  # refunded at Shippo
    flow.drain()
    view = flow.shipment(shipment["id"])
    assert (view["state"], view["refund_status"]) == ("voided", "SUCCESS")
    assert flow.rr(rr)["status"] == "ready_to_ship"  # a new label can be bought
    with flow.factory() as s:
        events = s.scalars(select(WebhookEvent).order_by(WebhookEvent.id)).all()
        assert [(e.status, e.error) for e in events] == [
            ("processed", "refund REFUNDPENDING"),
            ("processed", "refunded by the carrier: voided"),
        ]
    _post(flow, "transaction_created", {**tx, "status": "SUCCESS"})  # a late, older event
    flow.drain()
    assert flow.shipment(shipment["id"])["state"] == "voided"  # the refund is not undone


def test_events_for_labels_we_do_not_know_are_processed_as_not_ours(flow: Flow) -> None:
    _post(flow, "transaction_updated", {"object_id": "tx_elsewhere", "status": "REFUNDED",
                                         "metadata": "shipment:nope"})  # fmt: skip
    flow.drain()
    with flow.factory() as s:
        event = s.scalars(select(WebhookEvent)).one()
        assert (event.status, event.error) == ("processed", "not ours")


def test_a_missing_consumer_fails_at_start_up(flow: Flow, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delitem(consumers.CONSUMERS, "transaction")
    with pytest.raises(consumers.MissingConsumerError, match="transaction"):
        create_app(flow.settings)
