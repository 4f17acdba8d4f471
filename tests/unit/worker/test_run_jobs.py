"""`run_jobs` (several webhook jobs from one broker message), run in-process with Celery's apply."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from freight.db import engine_for, session_factory, session_scope
from freight.jobs.models import Job
from freight.jobs.registry import REGISTRY, JobContext
from freight.jobs.service import enqueue
from freight.models import Base
from worker import tasks


class Blip(Exception):
    retryable = True


RUNS: list[str] = []


def _ok(_session: Session, _ctx: JobContext, **_: Any) -> None:
    RUNS.append("ok")


def _blip(_session: Session, _ctx: JobContext, **_: Any) -> None:
    raise Blip("carrier hiccup")


@pytest.fixture
def job_ids(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    url = f"sqlite:///{tmp_path / 'jobs.db'}"
    monkeypatch.setenv("FREIGHT_DATABASE_URL", url)
    monkeypatch.setattr(tasks, "_runtimes", {})  # this test's settings, not an earlier one's
    monkeypatch.setitem(REGISTRY.handlers, "test.ok", _ok)
    monkeypatch.setitem(REGISTRY.handlers, "test.blip", _blip)
    Base.metadata.create_all(engine_for(url))
    with session_scope(session_factory(engine_for(url))) as session:
        ids = [
            enqueue(session, task=task, args={}, key=f"k{i}").id
            for i, task in enumerate(["test.ok", "test.blip", "test.ok", "test.ok"])
        ]
        session.info.clear()  # this test runs them itself
    return ids


def _statuses(ids: list[str]) -> list[str]:
    factory = session_factory(engine_for(tasks.runtime().settings.db_url))
    with factory() as session:
        by_id = {j.id: j.status for j in session.scalars(select(Job))}
    return [by_id[i] for i in ids]


def test_a_job_to_retry_leaves_the_batch_as_its_own_message(
    job_ids: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    sent: list[dict[str, Any]] = []
    monkeypatch.setattr(
        tasks.run_jobs.app, "send_task", lambda name, **kw: sent.append({"name": name, **kw})
    )
    outcomes = tasks.run_jobs.apply(args=[job_ids]).get()
    assert outcomes == ["succeeded", "retry", "succeeded", "succeeded"]
    assert _statuses(job_ids) == ["succeeded", "retrying", "succeeded", "succeeded"]
    assert [(m["name"], m["args"], m["retries"]) for m in sent] == [
        ("worker.tasks.run_job", [job_ids[1]], 1)
    ]
    assert sent[0]["countdown"] > 0


def test_a_broker_error_on_that_retry_does_not_stop_the_rest_of_the_batch(
    job_ids: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def broker_down(*_: Any, **__: Any) -> None:
        raise ConnectionError("redis went away")

    monkeypatch.setattr(tasks.run_jobs.app, "send_task", broker_down)
    tasks.run_jobs.apply(args=[job_ids]).get()
    # the failed one waits as `retrying` for the relay; the others ran
    assert _statuses(job_ids) == ["succeeded", "retrying", "succeeded", "succeeded"]


def test_a_redelivered_batch_runs_nothing_twice(
    job_ids: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tasks.run_jobs.app, "send_task", lambda *_, **__: None)
    tasks.run_jobs.apply(args=[job_ids]).get()
    runs = len(RUNS)
    again = tasks.run_jobs.apply(args=[[job_ids[0], job_ids[2]]]).get()
    assert again == ["succeeded", "succeeded"]  # found done...
    assert len(RUNS) == runs  # ...and not run again


def _effect(session: Session, _ctx: JobContext, *, n: int) -> None:
    enqueue(session, task="test.effect", args={}, key=f"effect-{n}")
    RUNS.append(f"effect-{n}")


def _half_then_broken(session: Session, _ctx: JobContext, *, n: int) -> None:
    enqueue(session, task="test.effect", args={}, key=f"effect-{n}")
    raise ValueError("this event cannot be applied")


def _worker_dies(_session: Session, _ctx: JobContext, **_: Any) -> None:
    raise SystemExit("SIGKILL")  # not an Exception: nothing catches it, as with a killed process


def _effects() -> list[str]:
    factory = session_factory(engine_for(tasks.runtime().settings.db_url))
    with factory() as session:
        return sorted(j.key for j in session.scalars(select(Job)) if j.task == "test.effect")


@pytest.fixture
def batch(job_ids: list[str], monkeypatch: pytest.MonkeyPatch) -> list[str]:
    assert job_ids  # its database and settings, with these jobs beside them
    monkeypatch.setitem(REGISTRY.handlers, "test.effect_job", _effect)
    monkeypatch.setitem(REGISTRY.handlers, "test.broken", _half_then_broken)
    monkeypatch.setitem(REGISTRY.handlers, "test.dies", _worker_dies)
    monkeypatch.setattr(tasks.run_jobs.app, "send_task", lambda *_, **__: None)
    RUNS.clear()
    factory = session_factory(engine_for(tasks.runtime().settings.db_url))
    with session_scope(factory) as session:
        plan = [("test.effect_job", 1), ("test.broken", 2), ("test.effect_job", 3),
                ("test.effect_job", 4)]  # fmt: skip
        ids = [enqueue(session, task=t, args={"n": n}, key=f"b{n}").id for t, n in plan]
        session.info.clear()
    return ids


def test_a_batch_applies_in_order_and_one_bad_event_loses_only_itself(batch: list[str]) -> None:
    outcomes = tasks.run_jobs.apply(args=[batch]).get()
    assert outcomes == ["succeeded", "failed", "succeeded", "succeeded"]  # ValueError: permanent
    assert RUNS == ["effect-1", "effect-3", "effect-4"]  # in the message's order
    assert _effects() == ["effect-1", "effect-3", "effect-4"]  # the bad one's half undone
    assert _statuses(batch) == ["succeeded", "failed", "succeeded", "succeeded"]


def test_a_worker_dying_mid_batch_loses_nothing_and_the_redelivery_finishes_it(
    batch: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from freight.jobs import service

    monkeypatch.setitem(REGISTRY.handlers, "test.broken", _worker_dies)
    with pytest.raises(SystemExit):
        service.run_batch(
            tasks.runtime().factory, batch, tasks.runtime().ctx_for(), lease_seconds=0
        )
    assert _effects() == ["effect-1"]  # applied and committed before the worker died
    assert _statuses(batch) == ["running"] * 4  # under a lease: the redelivery takes them back
    monkeypatch.setitem(REGISTRY.handlers, "test.broken", _effect)
    outcomes = tasks.run_jobs.apply(args=[batch]).get()  # lease 0 s: already run out
    assert outcomes == ["succeeded"] * 4
    assert _effects() == ["effect-1", "effect-2", "effect-3", "effect-4"]  # each once
    assert tasks.run_jobs.apply(args=[batch]).get() == ["succeeded"] * 4  # found done
    assert _effects() == ["effect-1", "effect-2", "effect-3", "effect-4"]
