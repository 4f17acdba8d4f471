"""Parsing Shippo webhook bodies."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from carriers.errors import WebhookPayloadError
from carriers.webhooks import parse_webhook

Load = Callable[[str], Any]


def test_track_updated(fixture_json: Load) -> None:
    event = parse_webhook(fixture_json("webhook_track_updated"))
    assert event.event == "track_updated"
    assert event.test is True
    assert event.tracking is not None
    assert event.tracking.status == "TRANSIT"
    assert event.metadata == "shipment:42"
    assert event.dedup_key.startswith(
        "track:shippo:SHIPPO_TRANSIT:2024-01-02T17:00:00+00:00:TRANSIT:"
    )


def test_same_body_twice_has_the_same_key(fixture_json: Load) -> None:
    body = fixture_json("webhook_track_updated")
    assert parse_webhook(body).dedup_key == parse_webhook(dict(body)).dedup_key


def test_transaction_created_takes_test_from_data_and_metadata_from_top(fixture_json: Load) -> None:
    event = parse_webhook(fixture_json("webhook_transaction_created"))
    assert event.test is True
    assert event.metadata == "shipment:42"
    assert event.transaction_id == "70ae8117ee1749e393f249d5b77c45e0"
    assert event.rate_id == "ee81fab0372e419ab52245c8952ccaeb"
    assert event.dedup_key == "transaction_created:70ae8117ee1749e393f249d5b77c45e0:SUCCESS"


@pytest.mark.parametrize(
    "body",
    [
        None,
        [],
        {"event": "track_updated"},
        {"event": "track_updated", "data": {"tracking_history": []}},
        {"event": "transaction_created", "data": {"status": "SUCCESS"}},
        {"event": "batch_created", "data": {}},
        {
            "event": "track_updated",
            "data": {"carrier": "usps", "tracking_number": "1", "tracking_history": "nope"},
        },
    ],
)
def test_malformed_bodies_are_typed_errors(body: object) -> None:
    with pytest.raises(WebhookPayloadError):
        parse_webhook(body)


def test_an_update_that_only_moves_the_eta_is_not_a_duplicate(fixture_json: Load) -> None:
    body = fixture_json("webhook_track_updated")
    later = {**body, "data": {**body["data"], "eta": "2031-01-09T18:00:00Z"}}
    assert parse_webhook(later).tracking.eta is not None  # type: ignore[union-attr]
    assert parse_webhook(later).dedup_key != parse_webhook(body).dedup_key


def test_a_transaction_sent_as_track_updated_is_refused_with_the_fix(fixture_json: Load) -> None:
    """Accounts on API 2017-03-29 or older send the Transaction; it names no carrier."""
    old = {"event": "track_updated", "test": False, "data": fixture_json("transaction_success")}
    with pytest.raises(WebhookPayloadError, match="2018-02-08"):
        parse_webhook(old)
