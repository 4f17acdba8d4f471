"""The Celery tasks: thin, ids in, one service call, safe to run twice.

`run_job(job_id)` runs any registered job handler through `freight.jobs.service.run_job` (the job
row decides whether it runs); `run_jobs(job_ids)` runs several cheap ones from one message (webhook
bursts); `run_periodic(name, as_of=None)` runs one registered periodic task.
Retryable failures (carrier unavailable, database blips) are retried with exponential backoff and
jitter; when retries run out, or the error is permanent, the job is recorded `failed` for staff.
"""

from __future__ import annotations

import logging
import os
import random
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from celery import Task, current_app, shared_task
from sqlalchemy import exc as sa_exc
from sqlalchemy.orm import Session, sessionmaker

from freight.clock import utc_now
from freight.db import engine_for, session_factory, session_scope
from freight.jobs import service as jobs
from freight.jobs.registry import JobContext
from freight.logs import log_context
from freight.settings import Settings, get_settings
from worker.config import RUN_JOB, RUN_JOBS, RUN_PERIODIC

log = logging.getLogger("freight.worker")

DB_TRANSIENT = (sa_exc.OperationalError, sa_exc.InterfaceError, sa_exc.TimeoutError)


@dataclass(frozen=True)
class Runtime:
    settings: Settings
    factory: sessionmaker[Session]

    def ctx_for(self, now: datetime | None = None) -> Callable[[], JobContext]:
        return lambda: jobs.job_context(self.settings, now or utc_now())


_runtimes: dict[int, Runtime] = {}
_runtime_lock = threading.Lock()  # the thread pool's first tasks all ask at once


def runtime() -> Runtime:
    """Settings, sessions and the job publisher of this worker process (built once per pid,
    by one thread: the others wait for it rather than build their own)."""
    pid = os.getpid()
    found = _runtimes.get(pid)
    if found is not None:
        return found
    with _runtime_lock:
        if pid not in _runtimes:
            settings = current_app.conf.get("freight_settings") or get_settings()
            from worker.publish import install_publisher

            engine = engine_for(settings.db_url)
            engine.dispose(close=False)  # never share a parent's pooled connections after fork
            install_publisher(settings)
            _runtimes[pid] = Runtime(settings, session_factory(engine))
        return _runtimes[pid]


def is_retryable(exc: BaseException) -> bool:
    """Carrier/payment errors that say so, and database connection errors."""
    return bool(getattr(exc, "retryable", False)) or isinstance(exc, DB_TRANSIENT)


def backoff(retries: int, settings: Settings) -> float:
    """Exponential backoff with full jitter, capped."""
    ceiling = min(settings.job_retry_max_seconds, settings.job_retry_base_seconds * 2**retries)
    return random.uniform(ceiling / 2, ceiling)  # noqa: S311 - jitter, not security


def _fail(rt: Runtime, job_id: str, exc: BaseException, retries: int) -> str:
    with session_scope(rt.factory) as session:
        jobs.mark_failed(session, job_id, jobs.short_trace(exc))
    log.error("job.failed id=%s retries=%s error=%r", job_id, retries, exc)
    return "failed"


def _attempt(rt: Runtime, job_id: str, retries: int) -> tuple[str, float | None]:
    """Run one job once: (outcome, None), or ("retry", seconds) when it should run again later."""
    try:
        status = jobs.run_job(
            rt.factory, job_id, rt.ctx_for(), lease_seconds=rt.settings.job_lease_seconds
        )
    except jobs.JobBusyError as exc:
        return "retry", exc.retry_in
    except Exception as exc:  # noqa: BLE001 - a job's failure of any kind is recorded and retried or failed, never lost
        if not is_retryable(exc) or retries >= rt.settings.job_max_retries:
            return _fail(rt, job_id, exc, retries), None
        delay = backoff(retries, rt.settings)
        log.warning("job.retry id=%s in=%.1fs error=%r", job_id, delay, exc)
        return "retry", delay
    _record(status)
    return status, None


@shared_task(  # type: ignore[untyped-decorator]
    bind=True, name=RUN_JOB, acks_late=True, reject_on_worker_lost=True, max_retries=None
)
def run_job(self: Task, job_id: str) -> str:
    """Run one outbox job; retry transient failures; record exhaustion as a failed job."""
    with log_context(task_id=self.request.id, job_id=job_id):
        outcome, retry_in = _attempt(runtime(), job_id, self.request.retries)
        if retry_in is not None:
            raise self.retry(countdown=retry_in, max_retries=None)
        return outcome


@shared_task(bind=True, name=RUN_JOBS, acks_late=True, reject_on_worker_lost=True)  # type: ignore[untyped-decorator]
def run_jobs(self: Task, job_ids: list[str]) -> list[str]:
    """Several cheap jobs from one broker message (webhook bursts), as one batch.

    One transaction claims them, one applies them in order (each in its own savepoint) and
    finishes them (`freight.jobs.service.run_batch`), so a redelivered message (worker killed
    mid-batch) runs again exactly the ones not committed. A job that must be retried leaves the
    batch as its own `run_job` message, with the same backoff and retry count as any other.
    """
    rt = runtime()
    with log_context(task_id=self.request.id):
        try:
            batch = jobs.run_batch(
                rt.factory, job_ids, rt.ctx_for(), lease_seconds=rt.settings.job_lease_seconds
            )
        except Exception as exc:
            if not is_retryable(exc):
                raise
            # The claim itself failed (database blip): nothing ran; the message comes again.
            delay = backoff(self.request.retries, rt.settings)
            raise self.retry(exc=exc, countdown=delay, max_retries=None) from exc
        outcomes = []
        for outcome in batch:
            status, retry_in = outcome.status, outcome.retry_in
            error = outcome.error
            if error is not None:
                if not is_retryable(error) or rt.settings.job_max_retries <= 0:
                    status = _fail(rt, outcome.job_id, error, 0)
                else:
                    retry_in = backoff(0, rt.settings)
                    log.warning(
                        "job.retry id=%s in=%.1fs error=%r", outcome.job_id, retry_in, error
                    )
            if retry_in is not None:
                _send_retry(self, rt, outcome.job_id, retry_in)
                status = "retry"
            else:
                _record(status)
            outcomes.append(status)  # and the rest of the batch still ran
        return outcomes


def _send_retry(task: Task, rt: Runtime, job_id: str, retry_in: float) -> None:
    try:
        task.app.send_task(
            RUN_JOB, args=[job_id], countdown=retry_in, retries=1, queue=rt.settings.task_queue
        )
    except Exception as exc:  # noqa: BLE001 - the row stays `retrying` for the relay
        log.warning("job.retry.unsent id=%s error=%r", job_id, exc)


@shared_task(bind=True, name=RUN_PERIODIC, acks_late=True, reject_on_worker_lost=True)  # type: ignore[untyped-decorator]
def run_periodic(self: Task, name: str, as_of: str | None = None) -> Any:
    """Run one registered periodic task now (or as of an instant); beat sends one per tick."""
    rt = runtime()
    now = datetime.fromisoformat(as_of) if as_of else utc_now()
    with log_context(task_id=self.request.id, periodic=name):
        try:
            result = jobs.run_periodic(rt.factory, rt.ctx_for(now), name)
        except Exception as exc:  # the next tick runs it again; nothing is lost
            log.exception("periodic.failed name=%s error=%r", name, exc)
            _record("periodic_failed")
            return None
        _record("periodic_ok")
        log.info("periodic.done name=%s result=%r", name, result)
        return result


def _record(outcome: str) -> None:
    from freight.metrics import TASKS

    TASKS.labels(outcome=outcome).inc()
