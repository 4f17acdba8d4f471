"""Outbox and job runner: enqueue in the caller's transaction; run a job in its own session."""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from freight.db import session_scope
from freight.errors import ConflictError, NotFoundError
from freight.jobs.models import Job
from freight.jobs.registry import JobContext, load_handlers

log = logging.getLogger("freight.jobs")

# Called with job ids after the enqueuing transaction commits (set by the worker wiring);
# rows stay `pending` until a relay hands them to the broker, so a broker outage loses nothing.
AFTER_COMMIT_PUBLISHERS: list[Callable[[Sequence[str]], None]] = []


def enqueue(session: Session, *, task: str, args: dict[str, Any], key: str) -> Job:
    """Record a job in this transaction (idempotent on `key`); it is published after commit."""
    existing = session.scalar(select(Job).where(Job.key == key))
    if existing is not None:
        return existing
    job = Job(task=task, args=args, key=key, status="pending")
    with session.begin_nested():
        session.add(job)
    session.info.setdefault("freight_jobs", []).append(job.id)
    return job


def run_job(factory: sessionmaker[Session], job_id: str, ctx_for: Callable[[], JobContext]) -> str:
    """Run one job once in its own session; returns its final status. Safe to call twice."""
    registry = load_handlers()
    with session_scope(factory) as session:
        job = session.get(Job, job_id, with_for_update=True)
        if job is None or job.status == "succeeded":
            return "missing" if job is None else "succeeded"
        job.status, job.attempts = "running", job.attempts + 1
        task, args = job.task, dict(job.args)
    handler = registry.handlers.get(task)
    try:
        if handler is None:
            raise LookupError(f"no handler registered for task {task!r}")
        with session_scope(factory) as session:
            handler(session, ctx_for(), **args)
            session.execute(
                update(Job).where(Job.id == job_id).values(status="succeeded", last_error=None)
            )
    except Exception as exc:
        log.warning("job.failed id=%s task=%s error=%s", job_id, task, exc)
        with session_scope(factory) as session:
            session.execute(
                update(Job).where(Job.id == job_id)
                .values(status="retrying", last_error=_short_trace(exc))
            )  # fmt: skip
        raise
    log.info("job.succeeded id=%s task=%s", job_id, task)
    return "succeeded"


def mark_failed(session: Session, job_id: str, error: str) -> None:
    """Retries exhausted: keep the job where staff can see and retry it."""
    session.execute(update(Job).where(Job.id == job_id).values(status="failed", last_error=error))


def _short_trace(exc: BaseException) -> str:
    return "".join(traceback.format_exception_only(type(exc), exc)).strip()[:2000]


def pending_jobs(session: Session, *, older_than: datetime | None = None, limit: int = 500) -> Sequence[Job]:
    """Jobs not yet handed to the broker (the relay's work list)."""
    stmt = select(Job).where(Job.status == "pending").order_by(Job.created_at).limit(limit)
    if older_than is not None:
        stmt = stmt.where(Job.created_at <= older_than)
    return session.scalars(stmt).all()


def list_jobs(session: Session, *, status: str | None, limit: int = 100) -> Sequence[Job]:
    stmt = select(Job).order_by(Job.created_at.desc()).limit(limit)
    if status:
        stmt = stmt.where(Job.status == status)
    return session.scalars(stmt).all()


def retry_job(session: Session, *, job_id: str) -> Job:
    """Put a failed job back on the queue (published after commit)."""
    job = session.get(Job, job_id, with_for_update=True)
    if job is None:
        raise NotFoundError(f"Job {job_id} does not exist.")
    if job.status != "failed":
        raise ConflictError(f"Job {job_id} is {job.status}; only failed jobs can be retried.")
    job.status, job.last_error = "pending", None
    session.info.setdefault("freight_jobs", []).append(job.id)
    return job


def drain(factory: sessionmaker[Session], ctx_for: Callable[[], JobContext], *, rounds: int = 20) -> int:
    """Run every pending job inline until none is left (tests, `freight tasks`); returns the count."""
    ran = 0
    for _ in range(rounds):
        with session_scope(factory) as session:
            ids = [j.id for j in pending_jobs(session)]
        if not ids:
            break
        for job_id in ids:
            try:
                run_job(factory, job_id, ctx_for)
            except Exception:  # noqa: BLE001 - recorded on the job; keep draining the rest
                with session_scope(factory) as session:
                    mark_failed(session, job_id, "failed while draining")
            ran += 1
    return ran


def job_context(settings: Any, now: datetime) -> JobContext:
    """The production context: real ports from settings."""
    from freight.ports import carrier_port, payments_port

    def _enqueue(session: Session, *, task: str, args: dict[str, Any], key: str) -> Job:
        return enqueue(session, task=task, args=args, key=key)

    return JobContext(
        settings=settings, now=now, carrier=carrier_port(settings),
        payments=payments_port(settings), enqueue=_enqueue,
    )  # fmt: skip
