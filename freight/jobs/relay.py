"""`jobs.relay`: the outbox relay, run by beat every few seconds (and by `freight tasks run`).

It re-publishes what the after-commit hook could not: `pending` rows (broker down, publisher
crashed), rows the broker may have lost (`queued`/`retrying` untouched for long, `running`
past its lease because the worker died), and, when the broker's queue is empty, `queued` rows no
worker ever started within `lost_after_seconds` (their message never arrived: a process killed
between its commit and its publish). A duplicate message is harmless: the claim in
`run_job` lets only one run happen and never re-runs a succeeded job.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy.orm import Session

from freight.jobs.models import Job
from freight.jobs.outbox import remember
from freight.jobs.registry import JobContext
from freight.jobs.service import never_started_jobs, pending_jobs, stale_jobs
from freight.settings import Settings

log = logging.getLogger("freight.jobs")


def relay(session: Session, ctx: JobContext) -> int:
    """Queue every outbox row the broker does not (or may no longer) hold; returns how many."""
    settings, now = ctx.settings, ctx.now
    fresh = pending_jobs(session, older_than=now - timedelta(seconds=settings.relay_after_seconds))
    stale = stale_jobs(
        session, now=now,
        untouched_since=now - timedelta(seconds=settings.job_requeue_after_seconds),
    )  # fmt: skip
    lost: list[Job] = []
    if _broker_queue_empty(settings):
        seen = {job.id for job in stale}
        since = now - timedelta(seconds=settings.lost_after_seconds)
        lost = [j for j in never_started_jobs(session, untouched_since=since) if j.id not in seen]
    for job in (*stale, *lost):
        job.updated_at = now  # restart its clock so the next relay does not send it again at once
    ids = [job.id for job in (*fresh, *stale, *lost)]
    for job_id in ids:
        remember(session, job_id)
    if ids:
        log.info("jobs.relayed pending=%s stale=%s lost=%s", len(fresh), len(stale), len(lost))
    return len(ids)


def _broker_queue_empty(settings: Settings) -> bool:
    """True only when the broker answers that the task queue holds no message."""
    from worker.config import broker_depth

    return broker_depth(settings) == 0
