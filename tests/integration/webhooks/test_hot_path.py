"""The webhook hot path (freight.webhooks.fastpath) answers exactly as the framework route would:
the same bodies, problems, limits, request ids and metrics."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from freight.app import create_app
from freight.jobs.models import Job
from freight.settings import Settings
from freight.webhooks import api as webhook_api
from freight.webhooks.models import WebhookEvent
from tests.integration.webhooks.test_ingest import URL, track_body


def _stored(session: Session) -> int:
    session.expire_all()
    return session.scalar(select(func.count()).select_from(WebhookEvent)) or 0


CASES: list[tuple[str, bytes]] = [
    (URL, json.dumps(track_body(number="PARITY1")).encode()),
    (URL, json.dumps(track_body(number="PARITY1")).encode()),  # the duplicate
    (URL, b'{"event": "batch_created", "data": {}}'),
    (URL, b"{not json"),
    ("/webhooks/shippo?token=wrong", json.dumps(track_body(number="PARITY2")).encode()),
    ("/webhooks/shippo", json.dumps(track_body(number="PARITY2")).encode()),
]


def _answers(client: TestClient) -> list[tuple[int, str, Any]]:
    out = []
    for url, body in CASES:
        resp = client.post(url, content=body, headers={"content-type": "application/json"})
        out.append((resp.status_code, resp.headers["content-type"], resp.json()))
    return out


def test_hot_path_and_framework_route_give_the_same_answers(
    settings: Settings, client: TestClient, session: Session
) -> None:
    hot = _answers(client)
    assert [a[0] for a in hot] == [202, 200, 200, 400, 401, 401]
    stored = _stored(session)
    # the framework route on a second app over a fresh copy of the same cases
    session.execute(delete(WebhookEvent))
    session.execute(delete(Job))
    session.commit()
    app = create_app(settings)
    app.hot_path = None  # type: ignore[attr-defined]  # the attribute app.py sets on its app
    with TestClient(app) as framework:
        assert _answers(framework) == hot
    assert _stored(session) == stored == 1


def test_oversized_delivery_is_413_problem_and_not_stored(
    settings: Settings, session: Session
) -> None:
    app = create_app(settings.model_copy(update={"max_body_bytes": 2_000}))
    body = track_body(number="BIG1")
    body["data"]["padding"] = "x" * 5_000
    with TestClient(app) as client:
        resp = client.post(URL, json=body)
        streamed = client.post(
            URL,
            content=iter([json.dumps(body).encode()]),
            headers={"content-type": "application/json"},
        )  # fmt: skip (no content-length: the limit is counted as the body arrives)
    assert resp.status_code == streamed.status_code == 413
    assert resp.headers["content-type"].startswith("application/problem+json")
    assert _stored(session) == 0


def test_a_body_in_several_chunks_is_read_whole(client: TestClient, session: Session) -> None:
    raw = json.dumps(track_body(number="CHUNKED1")).encode()
    parts = [raw[:20], raw[20:50], raw[50:]]
    resp = client.post(URL, content=iter(parts), headers={"content-type": "application/json"})
    assert (resp.status_code, resp.json()) == (202, {"status": "accepted"})
    assert _stored(session) == 1


def test_an_unexpected_error_is_a_500_problem_with_a_request_id(
    client: TestClient, monkeypatch: pytest.MonkeyPatch, session: Session
) -> None:
    async def broken(*_: Any) -> str:
        raise RuntimeError("database on fire")

    monkeypatch.setattr(webhook_api, "_ingest", broken)
    resp = client.post(URL, json=track_body(number="BOOM1"), headers={"x-request-id": "req-42"})
    assert resp.status_code == 500
    assert resp.headers["content-type"].startswith("application/problem+json")
    assert "database on fire" not in resp.text  # no internals to the caller
    assert resp.headers["x-request-id"] == "req-42"
    assert _stored(session) == 0


def test_other_methods_and_paths_still_go_through_the_router(client: TestClient) -> None:
    assert client.get(URL).status_code == 405
    assert client.post("/webhooks/shippo/extra?token=dev-webhook-token", json={}).status_code == 404
    resp = client.post(URL, json=track_body(number="RID1"))
    assert len(resp.headers["x-request-id"]) == 16


def test_the_stored_payload_is_the_delivery_as_it_came(
    client: TestClient, session: Session, db_url: str
) -> None:
    raw = json.dumps(track_body(number="RAW1"), indent=1, ensure_ascii=False)
    raw = raw.replace('"San Jose"', '"Sañ José  "')  # non-ASCII and spacing kept
    resp = client.post(URL, content=raw.encode(), headers={"content-type": "application/json"})
    assert resp.status_code == 202
    stored = session.execute(select(WebhookEvent.payload)).scalar_one()
    assert stored == json.loads(raw)
    if db_url.startswith("postgresql"):  # the json column keeps the text itself
        from sqlalchemy import text

        text_form = session.execute(text("SELECT payload::text FROM webhook_events")).scalar_one()
        assert text_form == raw
