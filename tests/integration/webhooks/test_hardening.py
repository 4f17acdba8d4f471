"""Hostile and unusual carrier deliveries (SPEC §10), on SQLite and PostgreSQL: strict JSON,
depth, size and NUL are refused before anything is stored; the header token; Shippo's HMAC
signature when a secret is set; a stored event that cannot be applied is `failed` with its
reason and never breaks the listing."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from freight.app import create_app
from freight.clock import utc_now
from freight.jobs.models import Job
from freight.jobs.service import drain, job_context
from freight.settings import Settings
from freight.webhooks.models import WebhookEvent
from tests.integration.tracking.helpers import factory
from tests.integration.webhooks.test_ingest import track_body

URL = "/webhooks/shippo?token=dev-webhook-token"
JSON = {"content-type": "application/json"}
SECRET = "whsec-test-0123456789abcdef0123456789"


def _stored(session: Session) -> tuple[int, int]:
    session.expire_all()
    events = session.scalar(select(func.count()).select_from(WebhookEvent)) or 0
    return events, session.scalar(select(func.count()).select_from(Job)) or 0


def _nested(depth: int) -> bytes:
    """A track_updated body whose data holds lists `depth` levels deep in all."""
    inner = "[" * (depth - 2) + "]" * (depth - 2)
    return (
        '{"event":"track_updated","data":{"carrier":"ups","tracking_number":"1Z999AA10123456784",'
        f'"extra":{inner},"tracking_status":{{"status":"TRANSIT",'
        '"status_date":"2026-11-03T10:00:00Z"}}}'
    ).encode()


@pytest.mark.parametrize(
    "raw",
    [
        _nested(65),
        _nested(1000),
        b'{"event":"track_updated","test":NaN,"data":{}}',
        b'{"event":"track_updated","test":-Infinity,"data":{}}',
        b'{"event":"track_updated","data":{"carrier":"ups\\u0000","tracking_number":"1"}}',
        b'{"event":"track_updated","data":{"k\\u0000":1,"carrier":"ups","tracking_number":"1"}}',
        b'{"event":"x\\u0000"}',
    ],
    ids=["depth-65", "depth-1000", "nan", "infinity", "nul-value", "nul-key", "nul-event"],
)
def test_hostile_bodies_are_400_problems_and_nothing_is_stored(
    client: TestClient, session: Session, raw: bytes
) -> None:
    resp = client.post(URL, content=raw, headers=JSON)
    assert resp.status_code == 400, resp.text
    assert resp.headers["content-type"].startswith("application/problem+json")
    assert resp.json()["title"] == "Malformed webhook"
    assert _stored(session) == (0, 0)


def _dated(
    status: str, when: object, *, history_when: object = "2026-11-03T09:00:00Z"
) -> dict[str, Any]:
    body = track_body("1Z999AA10123456784", status)
    body["data"]["tracking_status"]["status_date"] = when
    body["data"]["tracking_history"] = [
        {**body["data"]["tracking_status"], "status": "TRANSIT", "status_date": history_when}
    ]
    return body


@pytest.mark.parametrize(
    ("body", "named"),
    [
        (_dated("TRANSIT", "9999-12-31T23:59:59Z"), "tracking_status.status_date"),
        (_dated("DELIVERED", "2026-11-04T10:00:00Z", history_when="0001-01-01T00:00:00Z"),
         "tracking_history[0].status_date"),
        (_dated("TRANSIT", "not a date"), "tracking_status.status_date"),
        (_dated("DELIVERED", None), "tracking_status.status_date is missing"),
        (_dated("DELIVERED", "2026-11-04T10:00:00Z", history_when=None),
         "tracking_history[0].status_date is missing"),
        (_dated("TRANSIT", 20261104), "tracking_status.status_date"),
        ({"event": "transaction_updated", "data": {"object_id": {"a": 1}, "status": ["x"]}},
         "data.object_id must be a string"),
    ],
    ids=["year-9999", "year-0001", "unreadable", "delivered-undated", "history-undated",
         "number", "transaction-ids-not-strings"],
)  # fmt: skip
def test_events_that_cannot_be_placed_in_time_are_refused_naming_the_field(
    client: TestClient, session: Session, body: dict[str, Any], named: str
) -> None:
    """A scan dated 9999 would stay the shipment's newest event for good; an unreadable date
    would be dropped without a trace. Both are refused before anything is stored."""
    resp = client.post(URL, json=body)
    assert resp.status_code == 400, resp.text
    assert named in resp.json()["detail"]
    assert _stored(session) == (0, 0)


def test_a_scan_dated_days_ahead_of_now_is_refused(client: TestClient, session: Session) -> None:
    ahead = (utc_now() + timedelta(days=3)).isoformat()
    resp = client.post(URL, json=_dated("DELIVERED", ahead))
    assert resp.status_code == 400, resp.text
    assert "in the future" in resp.json()["detail"]
    # within the margin (a carrier clock a few hours ahead) it is taken
    soon = (utc_now() + timedelta(hours=3)).isoformat()
    assert client.post(URL, json=_dated("TRANSIT", soon)).status_code == 202
    assert _stored(session) == (1, 1)


def test_depth_64_is_accepted(client: TestClient, session: Session) -> None:
    resp = client.post(URL, content=_nested(64), headers=JSON)
    assert resp.status_code == 202, resp.text
    assert _stored(session) == (1, 1)


def test_a_body_over_one_megabyte_is_413_and_not_stored(
    client: TestClient, session: Session
) -> None:
    body = track_body()
    body["data"]["padding"] = "x" * 1_100_000
    resp = client.post(URL, content=json.dumps(body).encode(), headers=JSON)
    assert resp.status_code == 413, resp.text
    assert resp.headers["content-type"].startswith("application/problem+json")
    assert _stored(session) == (0, 0)


def test_the_token_may_come_as_a_header(client: TestClient, session: Session) -> None:
    good = {"X-Freight-Webhook-Token": "dev-webhook-token"}
    assert client.post("/webhooks/shippo", json=track_body(), headers=good).status_code == 202
    bad = {"X-Freight-Webhook-Token": "dev-webhook-token-x"}
    other = track_body(when="2026-11-03T11:00:00Z")
    assert client.post("/webhooks/shippo", json=other, headers=bad).status_code == 401
    assert _stored(session)[0] == 1


@pytest.fixture
def signed(settings: Settings) -> Iterator[TestClient]:
    """The service with Shippo HMAC signing on, its signature under a custom header name."""
    update = {"shippo_webhook_hmac_secret": SECRET, "shippo_webhook_signature_header": "X-Sig"}
    with TestClient(create_app(settings.model_copy(update=update))) as c:
        yield c


def _sign(raw: bytes, stamp: int, secret: str = SECRET) -> str:
    mac = hmac.new(secret.encode(), f"{stamp}.".encode() + raw, hashlib.sha256).hexdigest()
    return f"t={stamp},v1={mac}"


def test_with_a_secret_a_valid_signature_is_required_too(
    signed: TestClient, session: Session
) -> None:
    raw = json.dumps(track_body()).encode()
    now = int(time.time())
    refused = [
        {},  # unsigned
        {"X-Sig": _sign(raw, now, secret="another-secret")},
        {"X-Sig": _sign(raw + b" ", now)},  # signed another body
        {"X-Sig": _sign(raw, now - 301)},  # too old
        {"X-Sig": _sign(raw, now + 301)},  # from the future
        {"X-Sig": "t=abc,v1=00"},
        {"Shippo-Auth-Signature": _sign(raw, now)},  # the default name is not the one set
    ]
    for headers in refused:
        resp = signed.post(URL, content=raw, headers={**JSON, **headers})
        assert resp.status_code == 401, (headers, resp.text)
        assert resp.headers["content-type"].startswith("application/problem+json")
    assert _stored(session) == (0, 0)
    ok = signed.post(URL, content=raw, headers={**JSON, "X-Sig": _sign(raw, now - 200)})
    assert ok.status_code == 202, ok.text
    assert _stored(session)[0] == 1
    no_token = signed.post(
        "/webhooks/shippo", content=raw, headers={**JSON, "X-Sig": _sign(raw, now)}
    )
    assert no_token.status_code == 401  # the signature adds to the token, never replaces it


def _insert_raw(session: Session, key: str, payload_json: str) -> None:
    """An event stored before these checks existed (as the JSON text the database holds)."""
    dialect = session.get_bind().dialect.name
    cast = "CAST(:p AS JSON)" if dialect == "postgresql" else ":p"
    session.execute(
        text(
            "INSERT INTO webhook_events (dedup_key, event, payload, received_at, status) "  # noqa: S608 - a fixed cast
            f"VALUES (:k, 'track_updated', {cast}, CURRENT_TIMESTAMP, 'received')"
        ),
        {"k": key, "p": payload_json},
    )
    event_id = session.scalar(select(WebhookEvent.id).where(WebhookEvent.dedup_key == key))
    session.execute(
        text(
            "INSERT INTO jobs (id, task, args, key, status, attempts, created_at, updated_at) "
            "VALUES (:id, 'webhooks.process', :args, :key, 'pending', 0, "
            "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
        ),
        {"id": f"job_{key}", "args": json.dumps({"event_id": event_id}), "key": f"w:{key}"},
    )
    session.commit()


def test_events_that_cannot_be_applied_are_failed_with_a_reason_and_listed(
    client: TestClient, session: Session, settings: Settings, staff: dict[str, str]
) -> None:
    deep = "[" * 1200 + "]" * 1200
    _insert_raw(session, "poison-deep", f'{{"event":"track_updated","data":{deep}}}')
    _insert_raw(session, "poison-shape", '{"event":"track_updated","data":{"carrier":1}}')
    listing = client.get("/api/v1/webhook-events", headers=staff)
    assert listing.status_code == 200, listing.text  # the body is never decoded to list it
    drain(factory(settings), lambda: job_context(settings, utc_now()))
    listing = client.get("/api/v1/webhook-events", headers=staff)
    assert listing.status_code == 200, listing.text
    by_key = {e["dedup_key"]: e for e in listing.json()}
    for key in ("poison-deep", "poison-shape"):
        assert by_key[key]["status"] == "failed"
        assert by_key[key]["error"]
    assert "RecursionError" in by_key["poison-deep"]["error"]
    assert "track_updated without carrier" in by_key["poison-shape"]["error"]
    failed = client.get("/api/v1/webhook-events?status=failed", headers=staff).json()
    assert len(failed) == 2
    session.expire_all()
    jobs = session.scalars(select(Job.status).where(Job.task == "webhooks.process")).all()
    assert set(jobs) == {"succeeded"}  # decided once: not retried forever
