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
