"""POST /webhooks/shippo as the carrier uses it, on SQLite and PostgreSQL."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from freight.clock import utc_now
from freight.db import engine_for, session_factory
from freight.jobs.models import Job
from freight.jobs.registry import JobContext
from freight.jobs.service import drain, job_context
from freight.settings import Settings
from freight.webhooks import consumers
from freight.webhooks.models import WebhookEvent

URL = "/webhooks/shippo?token=dev-webhook-token"


def track_body(
    number: str = "SHIPPO_TRANSIT", status: str = "TRANSIT", when: str = "2026-11-03T10:00:00Z"
) -> dict[str, Any]:
    status_json = {
        "status": status, "status_details": f"Package {status.lower()}", "status_date": when,
        "substatus": None,
        "location": {"city": "San Jose", "state": "CA", "zip": "95134", "country": "US"},
    }  # fmt: skip
    return {
        "event": "track_updated",
        "test": True,
        "data": {
            "carrier": "shippo", "tracking_number": number, "tracking_status": status_json,
            "tracking_history": [status_json], "eta": None, "metadata": "shp_test",
        },
    }  # fmt: skip


def transaction_body(object_id: str = "txn_1", status: str = "SUCCESS") -> dict[str, Any]:
    return {
        "event": "transaction_created",
        "test": True,
        "data": {
            "object_id": object_id, "status": status, "tracking_number": "SHIPPO_PRE_TRANSIT",
            "label_url": "https://example.test/label.pdf", "rate": "rate_1", "metadata": "shp_1",
        },
    }  # fmt: skip


@pytest.fixture
def consumed(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[Any]]:
    """Counts every hand-over to the tracking consumer (these tests are about ingest: exactly
    once, after the answer); the consumer's effects are tested in tests/integration/tracking."""
    seen: dict[str, list[Any]] = {"track": []}
    monkeypatch.setitem(
        consumers.CONSUMERS,
        "track",
        lambda _s, _ctx, info, source: seen["track"].append((info, source)),
    )
    return seen


def _factory(settings: Settings) -> sessionmaker[Session]:
    return session_factory(engine_for(settings.db_url))


def _run_jobs(settings: Settings) -> int:
    def ctx() -> JobContext:
        return job_context(settings, utc_now())

    return drain(_factory(settings), ctx)


def _count(session: Session, model: type) -> int:
    session.expire_all()
    return session.scalar(select(func.count()).select_from(model)) or 0


def test_track_update_is_stored_answered_and_processed_once(
    client: TestClient, session: Session, settings: Settings, consumed: dict[str, list[Any]]
) -> None:
    first = client.post(URL, json=track_body())
    assert first.status_code == 202, first.text
    assert first.json() == {"status": "accepted"}
    assert consumed["track"] == []  # answered before any processing
    again = client.post(URL, json=track_body())
    assert (again.status_code, again.json()) == (200, {"status": "duplicate"})
    assert _count(session, WebhookEvent) == 1
    assert _count(session, Job) == 1

    assert _run_jobs(settings) == 1
    assert _run_jobs(settings) == 0
    [(info, source)] = consumed["track"]
    assert (info.carrier, info.tracking_number, info.status, source) == (
        "shippo",
        "SHIPPO_TRANSIT",
        "TRANSIT",
        "webhook",
    )
    event = session.scalars(select(WebhookEvent)).one()
    assert event.status == "processed"
    assert event.processed_at is not None


def test_new_status_of_same_parcel_is_a_new_event(client: TestClient, session: Session) -> None:
    assert client.post(URL, json=track_body(status="TRANSIT")).status_code == 202
    later = track_body(status="DELIVERED", when="2026-11-04T15:00:00Z")
    assert client.post(URL, json=later).status_code == 202
    assert _count(session, WebhookEvent) == 2


def test_transaction_event_is_stored_once_and_applied_by_the_shipments_consumer(
    client: TestClient, session: Session, settings: Settings
) -> None:
    assert client.post(URL, json=transaction_body()).status_code == 202
    assert client.post(URL, json=transaction_body()).json() == {"status": "duplicate"}
    _run_jobs(settings)
    event = session.scalars(select(WebhookEvent)).one()
    # the real consumer ran: this label is no shipment of ours (tests/integration/shipments/
    # test_transaction_webhooks.py follows labels that are)
    assert (event.status, event.error) == ("processed", "not ours")


@pytest.mark.parametrize("token", [None, "wrong", "dev-webhook-token-x"])
def test_wrong_token_is_401_and_nothing_is_stored(
    client: TestClient, session: Session, token: str | None
) -> None:
    url = "/webhooks/shippo" + (f"?token={token}" if token else "")
    resp = client.post(url, json=track_body())
    assert resp.status_code == 401
    assert resp.headers["content-type"].startswith("application/problem+json")
    assert _count(session, WebhookEvent) == 0


@pytest.mark.parametrize(
    "body",
    [
        b"{not json",
        b"[1, 2]",
        b'{"data": {}}',
        b'{"event": "track_updated"}',
        b'{"event": "track_updated", "data": {"carrier": "", "tracking_number": ""}}',
        b'{"event": "transaction_created", "data": {"status": "SUCCESS"}}',
        # NaN is not JSON (PostgreSQL's json type refuses it): a 400, not a 500 or a stored row
        b'{"event": "transaction_created", "test": NaN, "data": {"object_id": "t", "status": "S"}}',
    ],
)
def test_malformed_body_is_400_and_nothing_is_stored(
    client: TestClient, session: Session, body: bytes
) -> None:
    resp = client.post(URL, content=body, headers={"content-type": "application/json"})
    assert resp.status_code == 400, resp.text
    assert resp.json()["title"] == "Malformed webhook"
    assert _count(session, WebhookEvent) == 0
    assert _count(session, Job) == 0


def test_unused_event_type_is_acknowledged_but_not_stored(
    client: TestClient, session: Session
) -> None:
    resp = client.post(URL, json={"event": "batch_created", "data": {"object_id": "b1"}})
    assert (resp.status_code, resp.json()) == (200, {"status": "ignored"})
    assert _count(session, WebhookEvent) == 0


def test_api_alias_and_metrics(client: TestClient) -> None:
    body = copy.deepcopy(track_body(number="SHIPPO_DELIVERED", status="DELIVERED"))
    assert (
        client.post("/api/v1/webhooks/shippo?token=dev-webhook-token", json=body).status_code == 202
    )
    assert client.post(URL, json=body).status_code == 200
    metrics = client.get("/metrics")
    assert metrics.status_code == 200
    text = metrics.text
    assert 'freight_webhook_events_total{event="track_updated",result="accepted"}' in text
    assert 'freight_webhook_events_total{event="track_updated",result="duplicate"}' in text
    assert 'freight_jobs{status="pending",task="webhooks.process"} 1.0' in text
    alias = (
        'freight_http_requests_total{method="POST",route="/api/v1/webhooks/shippo",status="202"}'
    )
    assert alias in text
    assert (
        'freight_http_requests_total{method="POST",route="/webhooks/shippo",status="200"}' in text
    )
    assert "x-request-id" in metrics.headers


def test_production_keeps_test_mode_events_but_never_applies_them(
    client: TestClient, session: Session, settings: Settings, consumed: dict[str, list[Any]]
) -> None:
    assert client.post(URL, json=track_body()).status_code == 202  # "test": true
    production = settings.model_copy(update={"env": "production"})
    drain(_factory(settings), lambda: job_context(production, utc_now()))
    assert consumed["track"] == []
    event = session.scalars(select(WebhookEvent)).one()
    assert (event.status, event.error) == ("ignored", "test-mode event refused in production")


def test_a_staging_production_on_the_sandboxes_applies_test_mode_events(
    client: TestClient, settings: Settings, consumed: dict[str, list[Any]]
) -> None:
    assert client.post(URL, json=track_body()).status_code == 202
    staging = settings.model_copy(update={"env": "production", "allow_sandbox": True})
    drain(_factory(settings), lambda: job_context(staging, utc_now()))
    assert len(consumed["track"]) == 1
