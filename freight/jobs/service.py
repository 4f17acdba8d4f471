"""Outbox and job runner: enqueue in the caller's transaction; run a job in its own session.

A job's row is the source of truth: only a pending/queued/retrying job (or a running one whose
lease ran out because its worker died) is claimed, by one conditional UPDATE, so a second delivery
of the same message never runs the handler twice at once and never re-runs a succeeded job.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, insert, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, sessionmaker

from freight.db import new_id, session_scope, utcnow
from freight.errors import ConflictError, NotFoundError
from freight.jobs.models import Job
from freight.jobs.outbox import remember
from freight.jobs.registry import JobContext, load_handlers

__all__ = [
    "CLAIMABLE", "JobBusyError", "drain", "enqueue", "enqueue_new",
    "BatchOutcome", "job_context", "list_jobs", "mark_failed", "pending_jobs", "retry_job",
    "run_batch", "run_job", "run_periodic",
]  # fmt: skip

log = logging.getLogger("freight.jobs")

CLAIMABLE = ("pending", "queued", "retrying")
DEFAULT_LEASE_SECONDS = 300


class JobBusyError(Exception):
    """Another worker holds this job's lease; try again once it may have expired."""

    def __init__(self, job_id: str, retry_in: float) -> None:
        super().__init__(f"job {job_id} is running elsewhere; retry in {retry_in:.0f}s")
        self.retry_in = retry_in


def enqueue(session: Session, *, task: str, args: dict[str, Any], key: str) -> Job:
    """Record a job in this transaction (idempotent on `key`); it is published after commit."""
    session.flush()
    job_id = session.execute(
        _insert_if_new(session, task=task, args=args, key=key)
    ).scalar_one_or_none()
    if job_id is None:  # queued before (or by a concurrent transaction): that is the one job
        existing = session.scalar(select(Job).where(Job.key == key))
        if existing is None:  # pragma: no cover - the conflicting row vanished
            raise LookupError(f"job key {key!r} conflicted but no job has it")
        return existing
    remember(session, job_id)
    job = session.get_one(Job, job_id)
    return job


def _insert_if_new(session: Session, *, task: str, args: dict[str, Any], key: str) -> Any:
    """INSERT … ON CONFLICT (key) DO NOTHING RETURNING id (no savepoint: unreliable on SQLite)."""
    insert_ = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    now = utcnow()
    return (
        insert_(Job)
        .values(
            id=new_id("job"),
            task=task,
            args=args,
            key=key,
            status="pending",
            attempts=0,
            created_at=now,
            updated_at=now,
        )  # fmt: skip
        .on_conflict_do_nothing(index_elements=[Job.key])
        .returning(Job.id)
    )


def enqueue_new(session: Session, *, task: str, args: dict[str, Any], key: str) -> str:
    """Hot path: insert a job whose key the caller knows to be new (one INSERT, no lookup)."""
    job_id = new_id("job")
    now = utcnow()
    session.execute(
        insert(Job).values(
            id=job_id, task=task, args=args, key=key, status="pending", attempts=0,
            created_at=now, updated_at=now,
        )
    )  # fmt: skip
    remember(session, job_id)
    return job_id


@dataclass(frozen=True)
class _Claim:
    task: str
    args: dict[str, Any]
    attempts: int


def _claim(factory: sessionmaker[Session], job_id: str, lease_seconds: float) -> _Claim | str:
    """Atomically take the job (or say why not: missing, succeeded, failed, or busy)."""
    now = utcnow()
    lease_ok = or_(Job.status.in_(CLAIMABLE), and_(Job.status == "running", Job.lease_until < now))
    with session_scope(factory) as session:
        taken = session.execute(
            update(Job).where(Job.id == job_id, lease_ok).values(
                status="running", attempts=Job.attempts + 1, updated_at=now,
                lease_until=now + timedelta(seconds=lease_seconds),
            ).execution_options(synchronize_session=False)
        )  # fmt: skip
        job = session.get(Job, job_id)
        if job is None:
            return "missing"
        if getattr(taken, "rowcount", 0) == 1:
            return _Claim(job.task, dict(job.args), job.attempts)
        if job.status == "running" and job.lease_until is not None:
            raise JobBusyError(job_id, max(1.0, (job.lease_until - now).total_seconds()))
        return job.status


def run_job(
    factory: sessionmaker[Session],
    job_id: str,
    ctx_for: Callable[[], JobContext],
    *,
    lease_seconds: float = DEFAULT_LEASE_SECONDS,
) -> str:
    """Run one job once in its own session; returns its final status. Safe to call twice."""
    registry = load_handlers()
    claim = _claim(factory, job_id, lease_seconds)
    if isinstance(claim, str):
        log.info("job.skipped id=%s status=%s", job_id, claim)
        return claim
    handler = registry.handlers.get(claim.task)
    try:
        if handler is None:
            raise LookupError(f"no handler registered for task {claim.task!r}")
        with session_scope(factory) as session:
            handler(session, replace(ctx_for(), attempt=claim.attempts), **claim.args)
            session.execute(
                update(Job).where(Job.id == job_id).values(
                    status="succeeded", last_error=None, lease_until=None, finished_at=utcnow()
                )
            )  # fmt: skip
    except Exception as exc:
        log.warning("job.attempt.failed id=%s task=%s error=%r", job_id, claim.task, exc)
        with session_scope(factory) as session:
            session.execute(
                update(Job).where(Job.id == job_id)
                .values(status="retrying", last_error=short_trace(exc), lease_until=None)
            )  # fmt: skip
        raise
    log.info("job.succeeded id=%s task=%s attempt=%s", job_id, claim.task, claim.attempts)
    return "succeeded"


@dataclass(frozen=True)
class BatchOutcome:
    """What became of one job of a batch: its status, or the error to retry or fail it on, or
    how long until a busy job's lease runs out."""

    job_id: str
    status: str
    error: Exception | None = None
    retry_in: float | None = None


def _claim_many(
    factory: sessionmaker[Session], job_ids: Sequence[str], lease_seconds: float
) -> tuple[dict[str, _Claim], dict[str, BatchOutcome]]:
    """Take every claimable job of the batch in one transaction (one UPDATE … RETURNING, one
    SELECT); the rest say why not (missing, succeeded, failed, or busy until its lease ends)."""
    now = utcnow()
    lease_ok = or_(Job.status.in_(CLAIMABLE), and_(Job.status == "running", Job.lease_until < now))
    ids = list(dict.fromkeys(job_ids))
    with session_scope(factory) as session:
        taken = set(session.scalars(
            update(Job).where(Job.id.in_(ids), lease_ok).values(
                status="running", attempts=Job.attempts + 1, updated_at=now,
                lease_until=now + timedelta(seconds=lease_seconds),
            ).returning(Job.id).execution_options(synchronize_session=False)
        ))  # fmt: skip
        rows = {
            row.id: row
            for row in session.execute(
                select(Job.id, Job.task, Job.args, Job.attempts, Job.status, Job.lease_until)
                .where(Job.id.in_(ids))
            )
        }  # fmt: skip
    claims: dict[str, _Claim] = {}
    others: dict[str, BatchOutcome] = {}
    for job_id in ids:
        row = rows.get(job_id)
        if row is None:
            others[job_id] = BatchOutcome(job_id, "missing")
        elif job_id in taken:
            claims[job_id] = _Claim(row.task, dict(row.args), row.attempts)
        elif row.status == "running" and row.lease_until is not None:
            wait = max(1.0, (row.lease_until - now).total_seconds())
            others[job_id] = BatchOutcome(job_id, "busy", retry_in=wait)
        else:
            others[job_id] = BatchOutcome(job_id, row.status)
    return claims, others


def run_batch(
    factory: sessionmaker[Session],
    job_ids: Sequence[str],
    ctx_for: Callable[[], JobContext],
    *,
    lease_seconds: float = DEFAULT_LEASE_SECONDS,
) -> list[BatchOutcome]:
    """Run several cheap, idempotent jobs (webhook events) with one transaction to claim them
    all and one to finish them all, instead of two per job.

    Each job is applied in the order given in its own short transaction, so one that raises
    loses only itself (left `retrying` with its error) and row locks are held for one event, not
    for the batch (two workers applying batches that touch the same shipments in different orders
    would otherwise deadlock). A crash before the finishing commit leaves the claimed jobs
    `running` under their lease; the redelivered message (or the relay) runs them again, and each
    handler finds its own work done (a webhook event's row says `processed`), so nothing is
    applied twice and nothing is lost. Outcomes come back in the order given."""
    registry = load_handlers()
    claims, others = _claim_many(factory, job_ids, lease_seconds)
    outcomes = dict(others)
    if claims:
        outcomes.update(_apply_claimed(factory, registry, claims, ctx_for))
    return [outcomes[job_id] for job_id in dict.fromkeys(job_ids)]


def _apply_claimed(
    factory: sessionmaker[Session],
    registry: Any,
    claims: dict[str, _Claim],
    ctx_for: Callable[[], JobContext],
) -> dict[str, BatchOutcome]:
    outcomes: dict[str, BatchOutcome] = {}
    ctx = ctx_for()
    for job_id, claim in claims.items():
        handler = registry.handlers.get(claim.task)
        try:
            if handler is None:
                raise LookupError(f"no handler registered for task {claim.task!r}")
            with session_scope(factory) as session:
                handler(session, replace(ctx, attempt=claim.attempts), **claim.args)
        except Exception as exc:  # noqa: BLE001 - recorded on the job, retried or failed by the caller
            log.warning("job.attempt.failed id=%s task=%s error=%r", job_id, claim.task, exc)
            outcomes[job_id] = BatchOutcome(job_id, "retrying", error=exc)
            continue
        outcomes[job_id] = BatchOutcome(job_id, "succeeded")
    applied = [j for j, o in outcomes.items() if o.error is None]
    with session_scope(factory) as session:
        if applied:
            session.execute(
                update(Job).where(Job.id.in_(applied)).values(
                    status="succeeded", last_error=None, lease_until=None, finished_at=utcnow(),
                ).execution_options(synchronize_session=False)
            )  # fmt: skip
        for job_id, outcome in outcomes.items():
            if outcome.error is not None:
                _mark_retrying(session, job_id, outcome.error)
    log.info("job.batch.done applied=%d of %d", len(applied), len(claims))
    return outcomes


def _mark_retrying(session: Session, job_id: str, exc: BaseException) -> None:
    session.execute(
        update(Job).where(Job.id == job_id)
        .values(status="retrying", last_error=short_trace(exc), lease_until=None)
    )  # fmt: skip


class UnknownTaskError(LookupError):
    """No periodic task is registered under that name."""


def run_periodic(
    factory: sessionmaker[Session], ctx_for: Callable[[], JobContext], name: str
) -> Any:
    """Run one registered periodic task in one unit of work; returns what it reported."""
    entry = load_handlers().periodic.get(name)
    if entry is None:
        known = ", ".join(sorted(load_handlers().periodic)) or "none"
        raise UnknownTaskError(f"no periodic task named {name!r} (registered: {known})")
    with session_scope(factory) as session:
        return entry.fn(session, ctx_for())


def mark_failed(session: Session, job_id: str, error: str) -> None:
    """Retries exhausted (or a permanent error): keep the job where staff can see and retry it."""
    session.execute(
        update(Job).where(Job.id == job_id, Job.status != "succeeded")
        .values(status="failed", last_error=error[:4000], lease_until=None, finished_at=utcnow())
    )  # fmt: skip


def short_trace(exc: BaseException) -> str:
    return "".join(traceback.format_exception_only(type(exc), exc)).strip()[:2000]


def pending_jobs(
    session: Session, *, older_than: datetime | None = None, limit: int = 500
) -> Sequence[Job]:
    """Jobs not yet handed to the broker (the relay's work list)."""
    stmt = select(Job).where(Job.status == "pending").order_by(Job.created_at).limit(limit)
    stmt = stmt.with_for_update(skip_locked=True)  # two relays at once send each row once
    if older_than is not None:
        stmt = stmt.where(Job.created_at <= older_than)
    return session.scalars(stmt).all()


def stale_jobs(
    session: Session, *, now: datetime, untouched_since: datetime, limit: int = 500
) -> Sequence[Job]:
    """Jobs the broker may have lost: queued/retrying untouched too long, or running past lease."""
    stmt = (
        select(Job)
        .where(
            or_(
                and_(Job.status.in_(("queued", "retrying")), Job.updated_at <= untouched_since),
                and_(
                    Job.status == "running",
                    Job.lease_until < now,
                    # once per expiry (the relay touches updated_at), then like a lost queued job
                    or_(Job.updated_at < Job.lease_until, Job.updated_at <= untouched_since),
                ),
            )
        )
        .order_by(Job.updated_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return session.scalars(stmt).all()


def never_started_jobs(
    session: Session, *, untouched_since: datetime, limit: int = 500
) -> Sequence[Job]:
    """Queued jobs no worker ever claimed (attempts 0), untouched since then: when the broker's
    queue is empty, their messages were lost (e.g. an API process killed between its commit and
    its publish)."""
    stmt = (
        select(Job)
        .where(Job.status == "queued", Job.attempts == 0, Job.updated_at <= untouched_since)
        .order_by(Job.updated_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return session.scalars(stmt).all()


def list_jobs(
    session: Session, *, status: str | None, task: str | None = None, limit: int = 100
) -> Sequence[Job]:
    """Jobs newest first, optionally by status and task."""
    stmt = select(Job).order_by(Job.created_at.desc(), Job.id).limit(limit)
    if status:
        stmt = stmt.where(Job.status == status)
    if task:
        stmt = stmt.where(Job.task == task)
    return session.scalars(stmt).all()


def job_counts(factory: sessionmaker[Session]) -> list[tuple[str, str, int]]:
    """(task, status, count) for the metrics scrape."""
    with factory() as session:
        rows = session.execute(
            select(Job.task, Job.status, func.count()).group_by(Job.task, Job.status)
        )
        return [(task, status, int(count)) for task, status, count in rows]


def get_job(session: Session, job_id: str) -> Job:
    """One job, or 404."""
    job = session.get(Job, job_id)
    if job is None:
        raise NotFoundError(f"Job {job_id} does not exist.")
    return job


def retry_job(session: Session, *, job_id: str) -> Job:
    """Put a failed job back on the queue (published after commit)."""
    job = session.get(Job, job_id, with_for_update=True)
    if job is None:
        raise NotFoundError(f"Job {job_id} does not exist.")
    if job.status != "failed":
        raise ConflictError(
            f"Job {job_id} is {job.status}; only failed jobs can be retried.", current=job.status
        )
    job.status, job.last_error, job.finished_at = "pending", None, None
    remember(session, job.id)
    return job


def drain(
    factory: sessionmaker[Session], ctx_for: Callable[[], JobContext], *, rounds: int = 20
) -> int:
    """Run every waiting job inline until none is left (tests); returns how many ran."""
    ran = 0
    for _ in range(rounds):
        with session_scope(factory) as session:
            ids = list(
                session.scalars(
                    select(Job.id).where(Job.status.in_(CLAIMABLE)).order_by(Job.created_at)
                )
            )
        if not ids:
            break
        for job_id in ids:
            try:
                run_job(factory, job_id, ctx_for)
            except Exception as exc:  # noqa: BLE001 - recorded on the job; keep draining the rest
                with session_scope(factory) as session:
                    mark_failed(session, job_id, short_trace(exc))
            ran += 1
    return ran


def job_context(settings: Any, now: datetime) -> JobContext:
    """The production context: real ports from settings."""
    from freight.ports import carrier_port, payments_port

    def _enqueue(session: Session, *, task: str, args: dict[str, Any], key: str) -> Job:
        return enqueue(session, task=task, args=args, key=key)

    return JobContext(
        settings=settings, now=now, carrier=_port(carrier_port, settings),
        payments=_port(payments_port, settings), enqueue=_enqueue,
    )  # fmt: skip


class _LazyPort:
    """Builds the adapter on first use, so a job that never pays never touches payments."""

    def __init__(self, build: Callable[[Any], Any], settings: Any) -> None:
        self._build, self._settings = build, settings
        self._port: Any = None

    def __getattr__(self, name: str) -> Any:
        if self._port is None:
            self._port = self._build(self._settings)
        return getattr(self._port, name)


def _port(build: Callable[[Any], Any], settings: Any) -> Any:
    return _LazyPort(build, settings)
