"""Nothing lost, nothing doubled — on real Redis, PostgreSQL and Celery processes.

- a worker SIGKILLed in the middle of a label purchase, then restarted → exactly one label;
- 1,000 duplicate webhook deliveries to a real API process → one effect per distinct event;
- Redis stopped and restarted while webhooks arrive → every stored event processed once;
- a worker SIGKILLed in the middle of a batch of webhook events → every event applied once.
"""

from __future__ import annotations

import asyncio
import random
import signal
import sqlite3
import sys
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session, sessionmaker

from freight.db import engine_for, session_factory, session_scope
from freight.jobs.models import Job
from freight.jobs.service import enqueue
from freight.settings import Settings
from freight.webhooks.models import WebhookEvent
from tests.integration.webhooks.test_ingest import track_body
from tests.integration.worker.conftest import Proc, Stack, free_port, wait_for
from worker.publish import install_publisher

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.timeout(180)]


@pytest.fixture(scope="module")
def redis(stack: Stack) -> Proc:
    return stack.redis()


@pytest.fixture(scope="module")
def stack_settings(stack: Stack, redis: Proc) -> Settings:
    assert redis.popen is not None  # Redis is up before anything is published
    settings = Settings(**stack.settings_env())  # type: ignore[arg-type]
    install_publisher(settings)  # this test process enqueues too
    return settings


@pytest.fixture(scope="module")
def factory(stack: Stack) -> sessionmaker[Session]:
    return session_factory(engine_for(stack.db_url))


def _job(factory: sessionmaker[Session], job_id: str) -> Job:
    with factory() as session:
        job = session.get(Job, job_id)
        assert job is not None
        return job


def _effects(factory: sessionmaker[Session], kind: str) -> list[str]:
    with factory() as session:
        return list(
            session.scalars(text("SELECT key FROM test_effects WHERE kind = :k"), {"k": kind})
        )


def _labels(stack: Stack, metadata: str) -> int:
    path = stack.tmp / "sandbox.db"
    if not path.exists():
        return 0
    with sqlite3.connect(path, timeout=10) as db:
        row = db.execute(
            "SELECT count(*) FROM objects WHERE kind = 'transaction' "
            "AND json_extract(data, '$.metadata') = ? "
            "AND json_extract(data, '$.status') = 'SUCCESS'",
            (metadata,),
        ).fetchone()
    return int(row[0])


SLOW_PURCHASE = "transactions@post:1:latency:4000"


@pytest.mark.usefixtures("stack_settings")
def test_worker_killed_during_label_purchase_leaves_exactly_one_label(
    stack: Stack, factory: sessionmaker[Session]
) -> None:
    with session_scope(factory) as session:
        job = enqueue(
            session, task="test.buy_label", args={"shipment_id": "shp_kill"}, key="buy:shp_kill"
        )
    wait_for(
        lambda: _job(factory, job.id).status == "queued", 10, "the job to be published after commit"
    )

    first = stack.worker("worker-a", FREIGHT_SANDBOX_FAULTS=SLOW_PURCHASE)
    wait_for(lambda: "test.buy_label.purchasing" in first.log(), 60, "the purchase to start")
    time.sleep(1.0)  # the carrier is now holding the purchase request
    first.signal(signal.SIGKILL)
    assert first.popen is not None
    first.popen.wait(timeout=10)
    first.stop()
    assert _job(factory, job.id).status == "running"
    assert _labels(stack, "test-shipment:shp_kill") == 0

    second = stack.worker("worker-b", FREIGHT_SANDBOX_FAULTS=SLOW_PURCHASE)
    try:
        wait_for(lambda: _job(factory, job.id).status == "succeeded", 90, "the redelivered job")
    finally:
        second.stop()
    assert _labels(stack, "test-shipment:shp_kill") == 1
    assert len(_effects(factory, "label")) == 1
    assert _job(factory, job.id).attempts == 2


@pytest.fixture(scope="module")
def api(stack: Stack, redis: Proc) -> Iterator[str]:
    """Worker + beat + one real API process (uvicorn) on this stack."""
    assert redis.popen is not None
    stack.worker("worker-c", concurrency=2)
    stack.beat()
    port = free_port()
    cmd = [
        sys.executable,
        "-m",
        "uvicorn",
        "freight.asgi:app",
        "--port",
        str(port),
        "--log-level",
        "warning",
    ]
    proc = stack.spawn("api", cmd)
    base = f"http://127.0.0.1:{port}"

    def up() -> bool:
        try:
            return httpx.get(f"{base}/healthz", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    wait_for(up, 30, "the API to answer")
    yield base
    proc.stop()


async def _deliver(base: str, bodies: list[dict[str, Any]], concurrency: int = 20) -> list[int]:
    limit = asyncio.Semaphore(concurrency)
    url = f"{base}/webhooks/shippo?token=dev-webhook-token"
    async with httpx.AsyncClient(timeout=30) as client:

        async def one(body: dict[str, Any]) -> int:
            async with limit:
                return (await client.post(url, json=body)).status_code

        return await asyncio.gather(*(one(b) for b in bodies))


def _processed(factory: sessionmaker[Session]) -> int:
    with factory() as session:
        stmt = (
            select(func.count()).select_from(WebhookEvent).where(WebhookEvent.status == "processed")
        )
        return session.scalar(stmt) or 0


def _reset(factory: sessionmaker[Session]) -> None:
    with session_scope(factory) as session:
        session.execute(text("TRUNCATE webhook_events, jobs, test_effects"))


def test_a_thousand_duplicate_deliveries_have_one_effect_each(
    api: str, factory: sessionmaker[Session]
) -> None:
    _reset(factory)
    unique = [track_body(number=f"DUP{i:03d}") for i in range(10)]
    bodies = [b for b in unique for _ in range(100)]
    random.Random(7).shuffle(bodies)  # noqa: S311 - a seeded, repeatable order
    codes = asyncio.run(_deliver(api, bodies))
    assert codes.count(202) == 10
    assert codes.count(200) == 990
    wait_for(lambda: _processed(factory) == 10, 60, "10 processed events")
    time.sleep(2)  # would any duplicate still be processed?
    effects = _effects(factory, "track")
    assert sorted(effects) == sorted(f"DUP{i:03d}:TRANSIT" for i in range(10))


def test_a_failing_event_in_a_burst_is_retried_alone_and_the_rest_are_not_held_up(
    api: str, stack: Stack, factory: sessionmaker[Session]
) -> None:
    _reset(factory)
    bodies = [track_body(number=f"BURST{i:02d}") for i in range(30)]
    bodies.insert(7, track_body(number="FLAKY01"))
    assert asyncio.run(_deliver(api, bodies)) == [202] * 31
    wait_for(
        lambda: _processed(factory) == 31, 60, "31 processed events",
        diagnose=lambda: _diagnose(stack, factory),
    )  # fmt: skip
    effects = _effects(factory, "track")
    assert sorted(effects) == sorted(f"{b['data']['tracking_number']}:TRANSIT" for b in bodies)
    with factory() as session:
        stmt = select(Job.attempts, func.count()).group_by(Job.attempts)
        attempts = dict(session.execute(stmt).all())
        statuses = set(session.scalars(select(Job.status)))
    assert statuses == {"succeeded"}
    assert attempts == {1: 30, 2: 1}  # only the failing one ran twice


def test_redis_restart_while_webhooks_arrive_loses_and_doubles_nothing(
    api: str, stack: Stack, redis: Proc, factory: sessionmaker[Session]
) -> None:
    _reset(factory)
    batches = [[track_body(number=f"RST{b}{i:02d}") for i in range(40)] for b in range(3)]
    assert asyncio.run(_deliver(api, batches[0])) == [202] * 40
    redis.stop()  # SIGTERM: Redis writes its append-only file and exits
    started = time.monotonic()
    assert asyncio.run(_deliver(api, batches[1])) == [202] * 40  # stored durably, broker down
    assert time.monotonic() - started < 20  # and still answered quickly
    redis.start()
    wait_for(lambda: _reachable_redis(stack), 10, "redis back")
    assert asyncio.run(_deliver(api, batches[2])) == [202] * 40
    wait_for(
        lambda: _processed(factory) == 120, 90, "all 120 events processed",
        diagnose=lambda: _diagnose(stack, factory),
    )  # fmt: skip
    time.sleep(2)
    effects = _effects(factory, "track")
    assert len(effects) == 120
    assert len(set(effects)) == 120
    with factory() as session:
        statuses = dict(
            session.execute(select(Job.status, func.count()).group_by(Job.status)).all()
        )
    assert statuses == {"succeeded": 120}


def test_redis_restart_while_a_task_runs_keeps_the_worker_alive(
    api: str, stack: Stack, redis: Proc, factory: sessionmaker[Session]
) -> None:
    """The worker holds an unacknowledged message when Redis goes away; it must reconnect (not
    die) and the task must still finish exactly once."""
    _reset(factory)
    worker = next(p for p in stack.procs if p.name == "worker-c")
    with session_scope(factory) as session:
        job = enqueue(
            session, task="test.slow", args={"key": "inflight", "seconds": 3}, key="slow:inflight"
        )
    wait_for(lambda: "test.slow.started key=inflight" in worker.log(), 30, "the slow task to start")
    redis.stop()
    time.sleep(1.0)
    redis.start()
    wait_for(lambda: _reachable_redis(stack), 10, "redis back")
    wait_for(
        lambda: _job(factory, job.id).status == "succeeded", 60, "the in-flight job",
        diagnose=lambda: _diagnose(stack, factory),
    )  # fmt: skip
    assert worker.popen is not None
    assert worker.popen.poll() is None, "the worker died on the broker restart:\n" + _tail(worker)
    assert _effects(factory, "slow") == ["inflight"]
    # and it still consumes new work after the reconnect
    assert asyncio.run(_deliver(api, [track_body(number="AFTER01")])) == [202]
    wait_for(
        lambda: _processed(factory) == 1, 60, "a webhook after the restart",
        diagnose=lambda: _diagnose(stack, factory),
    )  # fmt: skip


def _tail(proc: Proc, lines: int = 15) -> str:
    return "\n".join(proc.log().splitlines()[-lines:])[-4000:]


def _diagnose(stack: Stack, factory: sessionmaker[Session]) -> str:
    """What a timed-out wait prints: job states and whether each process is alive."""
    with factory() as session:
        statuses = dict(
            session.execute(select(Job.status, func.count()).group_by(Job.status)).all()
        )
    alive = {
        p.name: ("alive" if p.popen is not None and p.popen.poll() is None else "stopped")
        for p in stack.procs
    }
    worker = [p for p in stack.procs if p.name.startswith("worker")][-1]
    return f"jobs={statuses} processes={alive}\nlast worker log lines:\n{_tail(worker)}"


def _reachable_redis(stack: Stack) -> bool:
    import redis as redis_lib

    try:
        return bool(redis_lib.Redis(port=stack.redis_port, socket_timeout=1).ping())
    except redis_lib.RedisError:
        return False


def test_a_worker_killed_mid_batch_of_events_applies_every_event_exactly_once(
    api: str, stack: Stack, factory: sessionmaker[Session]
) -> None:
    _reset(factory)
    first = next(p for p in stack.procs if p.name == "worker-c")
    offset = len(first.log())
    scans = [f"2026-11-03T{h:02d}:00:00Z" for h in range(8)]
    bodies = [track_body(number=f"SLOWB{n}", when=when) for when in scans for n in range(4)]
    assert asyncio.run(_deliver(api, bodies, concurrency=32)) == [202] * 32
    with factory() as session:
        batched = session.scalar(
            text("SELECT count(*) FROM jobs WHERE status IN ('queued', 'running')")
        )
    assert batched
    wait_for(lambda: first.log().count("test.track.applying") >= 4, 60, "the batch to start")
    assert "worker.tasks.run_jobs" in first.log()[offset:]  # several events to a message
    first.signal(signal.SIGKILL)  # in the middle of a batch: some events applied, some not
    assert first.popen is not None
    first.popen.wait(timeout=10)
    applied_before = len(_effects(factory, "track"))
    assert 0 < applied_before < 32
    second = stack.worker("worker-d", concurrency=2)
    wait_for(
        lambda: _processed(factory) == 32, 90, "all 32 events processed",
        diagnose=lambda: _diagnose(stack, factory),
    )  # fmt: skip
    time.sleep(2)  # would any event still be applied a second time?
    effects = _effects(factory, "track")
    assert sorted(effects) == sorted(
        f"SLOWB{n}:{when.replace('T', ' ').replace('Z', '+00:00')}" for when in scans
        for n in range(4)
    )  # fmt: skip
    assert len(effects) == 32  # none lost, none twice
    with factory() as session:
        statuses = set(session.scalars(select(Job.status)))
    assert statuses == {"succeeded"}
    assert second.popen is not None
    assert second.popen.poll() is None
