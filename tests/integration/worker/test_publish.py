"""The background publisher against a real Redis: what reaches the broker, and what happens to
the outbox rows when the broker cannot be reached."""

from __future__ import annotations

import base64
import json
import uuid
from pathlib import Path
from typing import Any

import pytest
import redis
from sqlalchemy import select

from freight.db import engine_for, session_factory, session_scope
from freight.jobs.models import Job
from freight.jobs.service import enqueue
from freight.settings import Settings
from tests.integration.conftest import create_schema
from tests.integration.worker.conftest import free_port
from worker.publish import JOBS_PER_MESSAGE, BackgroundPublisher, _publishing_app

pytestmark = pytest.mark.integration


@pytest.fixture
def db(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'jobs.db'}"
    create_schema(url)
    return url


def _settings(db: str, redis_url: str, tmp_path: Path) -> Settings:
    return Settings(
        database_url=db, redis_url=redis_url, task_queue=f"test-{uuid.uuid4().hex[:8]}",
        data_dir=tmp_path / "data",
    )  # fmt: skip


def _jobs(db: str, n: int, status: str) -> list[str]:
    factory = session_factory(engine_for(db))
    with session_scope(factory) as session:
        ids = [enqueue(session, task="test.noop", args={"i": i}, key=f"k{i}").id for i in range(n)]
        session.info.clear()  # nothing published by the hook: this test hands them over itself
        for job in session.scalars(select(Job)):
            job.status = status
    return ids


def _statuses(db: str) -> dict[str, str]:
    with session_factory(engine_for(db))() as session:
        return {j.id: j.status for j in session.scalars(select(Job))}


def _messages(client: redis.Redis, queue: str) -> list[tuple[str, Any]]:
    out = []
    for raw in client.lrange(queue, 0, -1):
        message = json.loads(raw)
        body = json.loads(base64.b64decode(message["body"]))
        out.append((message["headers"]["task"], body[0]))
    return out


def test_bulk_jobs_share_messages_and_single_jobs_are_marked_queued(
    db: str, redis_url: str, tmp_path: Path
) -> None:
    settings = _settings(db, redis_url, tmp_path)
    publisher = BackgroundPublisher(_publishing_app(settings), engine_for(db), settings.task_queue)
    bulk = _jobs(db, JOBS_PER_MESSAGE + 3, "queued")
    client = redis.Redis.from_url(redis_url)
    try:
        publisher.publish_now([], bulk=bulk)
        messages = _messages(client, settings.task_queue)
        assert [task for task, _ in messages] == ["worker.tasks.run_jobs"] * 2
        assert sorted(len(args[0]) for _, args in messages) == [3, JOBS_PER_MESSAGE]
        assert sorted(i for _, args in messages for i in args[0]) == sorted(bulk)
    finally:
        client.delete(settings.task_queue)


def test_pending_single_jobs_are_sent_one_per_message_and_marked_queued(
    db: str, redis_url: str, tmp_path: Path
) -> None:
    settings = _settings(db, redis_url, tmp_path)
    publisher = BackgroundPublisher(_publishing_app(settings), engine_for(db), settings.task_queue)
    single = _jobs(db, 3, "pending")
    client = redis.Redis.from_url(redis_url)
    try:
        publisher.publish_now(single)
        messages = _messages(client, settings.task_queue)
        assert sorted((task, args[0]) for task, args in messages) == sorted(
            ("worker.tasks.run_job", i) for i in single
        )
        assert set(_statuses(db).values()) == {"queued"}
    finally:
        client.delete(settings.task_queue)


def test_a_broker_outage_gives_bulk_jobs_back_to_the_relay(db: str, tmp_path: Path) -> None:
    dead = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there
    settings = _settings(db, dead, tmp_path)
    publisher = BackgroundPublisher(_publishing_app(settings), engine_for(db), settings.task_queue)
    bulk = _jobs(db, 4, "queued")
    single = _jobs_more(db)
    publisher.publish_bulk(bulk)
    publisher(single)
    publisher.flush()
    statuses = _statuses(db)
    assert {statuses[i] for i in bulk} == {"pending"}  # the relay sends them within seconds
    assert {statuses[i] for i in single} == {"pending"}  # never marked sent


def _jobs_more(db: str) -> list[str]:
    factory = session_factory(engine_for(db))
    with session_scope(factory) as session:
        ids = [enqueue(session, task="test.noop", args={}, key=f"more{i}").id for i in range(2)]
        session.info.clear()
    return ids
