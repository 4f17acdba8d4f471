"""Concurrent deliveries on PostgreSQL share one statement and commit (group commit)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from freight.app import create_app
from freight.db import session_factory
from freight.jobs.models import Job
from freight.settings import Settings
from freight.webhooks import repository as repo
from freight.webhooks.models import WebhookEvent
from tests.integration.webhooks.test_ingest import URL, track_body


async def _deliver_all(app: Any, bodies: list[dict[str, Any]]) -> list[httpx.Response]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        return list(await asyncio.gather(*(client.post(URL, json=b) for b in bodies)))


def test_concurrent_deliveries_are_each_stored_once_with_one_job(
    settings: Settings, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not db_url.startswith("postgresql"):
        pytest.skip("group commit is the PostgreSQL path")
    statements: list[int] = []
    real_insert = repo.insert_batch_with_jobs_pg

    async def counting(conn: Any, rows_json: str, **kw: Any) -> set[str]:
        statements.append(len(json.loads(rows_json)))
        return await real_insert(conn, rows_json, **kw)

    monkeypatch.setattr(repo, "insert_batch_with_jobs_pg", counting)
    app = create_app(settings)
    bodies = [track_body(number=f"GC{i}") for i in range(40)]
    bodies.append(track_body(number="GC7"))  # a retry racing the first delivery

    answers = asyncio.run(_deliver_all(app, bodies))

    statuses = sorted(r.json()["status"] for r in answers)
    assert statuses == ["accepted"] * 40 + ["duplicate"]
    assert {r.status_code for r in answers if r.json()["status"] == "accepted"} == {202}
    assert len(statements) < len(bodies)  # deliveries shared statements (and commits)
    with session_factory(app.state.engine)() as session:
        assert session.scalar(select(func.count()).select_from(WebhookEvent)) == 40
        jobs = session.scalars(select(Job).where(Job.task == "webhooks.process")).all()
        event_ids = {e for (e,) in session.execute(select(WebhookEvent.id))}
    assert sorted(j.args["event_id"] for j in jobs) == sorted(event_ids)
    assert all(j.key == f"webhook:{j.args['event_id']}" for j in jobs)


class _BulkRecorder:
    """A publisher that takes bulk hand-overs, recording what it was given."""

    def __init__(self) -> None:
        self.single: list[str] = []
        self.bulk: list[str] = []

    def __call__(self, job_ids: Any) -> None:
        self.single.extend(job_ids)

    def publish_bulk(self, job_ids: Any) -> None:
        self.bulk.extend(job_ids)


def test_with_a_bulk_publisher_new_jobs_are_written_queued_and_handed_over_in_bulk(
    settings: Settings, db_url: str
) -> None:
    if not db_url.startswith("postgresql"):
        pytest.skip("group commit is the PostgreSQL path")
    from freight.jobs.outbox import set_publisher

    app = create_app(settings)
    recorder = _BulkRecorder()
    set_publisher(app.state.engine, recorder)
    try:
        bodies = [track_body(number=f"BULK{i}") for i in range(12)]
        answers = asyncio.run(_deliver_all(app, [*bodies, bodies[0]]))
    finally:
        set_publisher(app.state.engine, None)
    assert sorted(r.status_code for r in answers) == [200] + [202] * 12
    with session_factory(app.state.engine)() as session:
        jobs = session.scalars(select(Job).where(Job.task == "webhooks.process")).all()
    assert {j.status for j in jobs} == {"queued"}  # no second statement confirms them
    assert all(j.relayed_at is not None for j in jobs)
    assert sorted(recorder.bulk) == sorted(j.id for j in jobs)  # each new job once, none twice
    assert recorder.single == []
