"""The outbox and job runner on SQLite: after-commit publishing, claims, leases, retries, relay."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from freight.db import make_engine, session_factory, session_scope
from freight.errors import ConflictError
from freight.jobs import service
from freight.jobs.models import Job
from freight.jobs.outbox import set_publisher
from freight.jobs.registry import REGISTRY, JobContext
from freight.jobs.relay import relay
from freight.settings import Settings


@pytest.fixture
def factory(tmp_path: Path) -> Iterator[sessionmaker[Session]]:
    from freight.models import Base

    engine = make_engine(f"sqlite:///{tmp_path / 'jobs.db'}")
    Base.metadata.create_all(engine)
    yield session_factory(engine)
    set_publisher(engine, None)
    engine.dispose()


@pytest.fixture
def published(factory: sessionmaker[Session]) -> list[str]:
    sent: list[str] = []
    set_publisher(factory.kw["bind"], sent.extend)
    return sent


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    seen: list[dict[str, Any]] = []

    def handler(_session: Session, _ctx: JobContext, **args: Any) -> None:
        seen.append(args)
        if args.get("boom"):
            raise RuntimeError("carrier said no")

    monkeypatch.setitem(REGISTRY.handlers, "test.record", handler)
    return seen


def ctx_for(settings: Settings | None = None) -> Callable[[], JobContext]:
    s = settings or Settings(env="test")
    return lambda: JobContext(
        settings=s, now=datetime.now(UTC), carrier=None, payments=None, enqueue=service.enqueue
    )


def _job(factory: sessionmaker[Session], job_id: str) -> Job:
    with factory() as session:
        job = session.get(Job, job_id)
        assert job is not None
        return job


def test_job_is_published_only_after_commit(
    factory: sessionmaker[Session], published: list[str]
) -> None:
    with session_scope(factory) as session:
        job = service.enqueue(session, task="test.record", args={"n": 1}, key="k1")
        assert published == []  # not before the commit
    assert published == [job.id]


def test_rolled_back_request_leaves_no_job_and_publishes_nothing(
    factory: sessionmaker[Session], published: list[str]
) -> None:
    def failing_request() -> None:
        with session_scope(factory) as session:
            service.enqueue(session, task="test.record", args={}, key="k-rollback")
            raise RuntimeError("request failed")

    with pytest.raises(RuntimeError):
        failing_request()
    assert published == []
    with factory() as session:
        assert session.scalars(select(Job)).all() == []


def test_same_key_is_one_job_and_earlier_jobs_still_publish(
    factory: sessionmaker[Session], published: list[str]
) -> None:
    with session_scope(factory) as session:
        first = service.enqueue(session, task="test.record", args={"n": 1}, key="a")
        again = service.enqueue(session, task="test.record", args={"n": 2}, key="a")
        other = service.enqueue(session, task="test.record", args={}, key="b")
    assert again.id == first.id
    assert published == [first.id, other.id]


def test_publish_error_is_swallowed_and_row_stays_pending(factory: sessionmaker[Session]) -> None:
    def broken(_: Any) -> None:
        raise ConnectionError("broker down")

    set_publisher(factory.kw["bind"], broken)
    with session_scope(factory) as session:
        job = service.enqueue(session, task="test.record", args={}, key="down")
    assert _job(factory, job.id).status == "pending"


def test_second_delivery_of_a_succeeded_job_does_nothing(
    factory: sessionmaker[Session], calls: list[dict[str, Any]]
) -> None:
    with session_scope(factory) as session:
        job = service.enqueue(session, task="test.record", args={"n": 7}, key="once")
    assert service.run_job(factory, job.id, ctx_for()) == "succeeded"
    assert service.run_job(factory, job.id, ctx_for()) == "succeeded"
    assert calls == [{"n": 7}]
    assert _job(factory, job.id).attempts == 1


def test_running_job_is_busy_until_its_lease_expires(
    factory: sessionmaker[Session], calls: list[dict[str, Any]]
) -> None:
    with session_scope(factory) as session:
        job = service.enqueue(session, task="test.record", args={}, key="lease")
        session.flush()
        session.execute(
            update(Job).where(Job.id == job.id)
            .values(status="running", lease_until=datetime.now(UTC) + timedelta(seconds=60))
        )  # fmt: skip
    with pytest.raises(service.JobBusyError) as busy:
        service.run_job(factory, job.id, ctx_for())
    assert 50 < busy.value.retry_in <= 60
    assert calls == []
    with session_scope(factory) as session:  # the worker that held it died long ago
        session.execute(
            update(Job)
            .where(Job.id == job.id)
            .values(lease_until=datetime.now(UTC) - timedelta(seconds=1))
        )
    assert service.run_job(factory, job.id, ctx_for()) == "succeeded"
    assert len(calls) == 1


@pytest.mark.usefixtures("calls")
def test_failure_is_recorded_then_failed_job_can_be_retried(
    factory: sessionmaker[Session], published: list[str]
) -> None:
    with session_scope(factory) as session:
        job = service.enqueue(session, task="test.record", args={"boom": True}, key="boom")
    with pytest.raises(RuntimeError):
        service.run_job(factory, job.id, ctx_for())
    assert _job(factory, job.id).status == "retrying"
    assert "carrier said no" in (_job(factory, job.id).last_error or "")
    with session_scope(factory) as session:
        service.mark_failed(session, job.id, "gave up after 8 tries")
    with factory() as session:
        assert [j.id for j in service.list_jobs(session, status="failed")] == [job.id]
    published.clear()
    with session_scope(factory) as session:
        service.retry_job(session, job_id=job.id)
    assert published == [job.id]
    assert _job(factory, job.id).status == "pending"
    with session_scope(factory) as session, pytest.raises(ConflictError):
        service.retry_job(session, job_id=job.id)


@pytest.mark.usefixtures("calls")
def test_unknown_task_fails_in_drain_without_stopping_others(
    factory: sessionmaker[Session],
) -> None:
    with session_scope(factory) as session:
        bad = service.enqueue(session, task="nobody.handles", args={}, key="x")
        good = service.enqueue(session, task="test.record", args={"n": 1}, key="y")
    assert service.drain(factory, ctx_for()) == 2
    assert _job(factory, bad.id).status == "failed"
    assert "nobody.handles" in (_job(factory, bad.id).last_error or "")
    assert _job(factory, good.id).status == "succeeded"


def test_relay_publishes_old_pending_and_stale_queued_jobs(
    factory: sessionmaker[Session], published: list[str]
) -> None:
    settings = Settings(env="test", relay_after_seconds=5, job_requeue_after_seconds=600)
    now = datetime.now(UTC)
    old, fresh = now - timedelta(seconds=30), now
    with session_scope(factory) as session:
        rows = [
            ("job_old", "pending", old, old, None),
            ("job_new", "pending", fresh, fresh, None),
            ("job_lost", "queued", old, now - timedelta(hours=1), None),
            ("job_dead", "running", old, old, now - timedelta(seconds=1)),
            ("job_done", "succeeded", old, old, None),
        ]
        session.add_all(
            Job(
                id=i,
                task="t",
                args={},
                key=i,
                status=st,
                created_at=c,
                updated_at=u,
                lease_until=lease,
            )
            for i, st, c, u, lease in rows
        )
    published.clear()
    with session_scope(factory) as session:
        count = relay(session, JobContext(settings, now, None, None, service.enqueue))
    assert count == 3
    assert sorted(published) == ["job_dead", "job_lost", "job_old"]
    published.clear()
    with session_scope(factory) as session:  # the stale ones were touched: not re-sent at once
        relay(session, JobContext(settings, now, None, None, service.enqueue))
    assert published == ["job_old"]


def test_relay_resends_never_started_queued_jobs_only_when_the_broker_queue_is_empty(
    factory: sessionmaker[Session], published: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """An API process killed between its commit and its publish leaves `queued` rows whose
    message never reached the broker: with the queue empty, they are sent again."""
    from freight.jobs import relay as relay_module

    settings = Settings(env="test", lost_after_seconds=60, job_requeue_after_seconds=1800)
    now = datetime.now(UTC)
    old = now - timedelta(seconds=120)
    with session_scope(factory) as session:
        session.add_all([
            Job(id="job_orphan", task="t", args={}, key="a", status="queued", attempts=0,
                created_at=old, updated_at=old),
            Job(id="job_recent", task="t", args={}, key="b", status="queued", attempts=0,
                created_at=now, updated_at=now),
            Job(id="job_retried", task="t", args={}, key="c", status="queued", attempts=1,
                created_at=old, updated_at=old),
        ])  # fmt: skip
    depth: dict[str, int | None] = {"value": 3}
    monkeypatch.setattr("worker.config.broker_depth", lambda _settings: depth["value"])
    ctx = JobContext(settings, now, None, None, service.enqueue)
    published.clear()
    with session_scope(factory) as session:
        assert relay_module.relay(session, ctx) == 0  # messages are waiting: maybe just backlog
    depth["value"] = None  # the broker cannot be asked: assume nothing
    with session_scope(factory) as session:
        assert relay_module.relay(session, ctx) == 0
    depth["value"] = 0
    with session_scope(factory) as session:
        assert relay_module.relay(session, ctx) == 1
    assert published == ["job_orphan"]
    published.clear()
    with session_scope(factory) as session:  # touched: not re-sent on the next tick
        assert relay_module.relay(session, ctx) == 0
