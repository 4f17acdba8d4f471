"""`jobs.relay`: the outbox relay, run by beat every few seconds (and by `freight tasks run`).

It re-publishes what the after-commit hook could not: `pending` rows (broker down, publisher
crashed) and rows the broker may have lost (`queued`/`retrying` untouched for long, `running`
past its lease because the worker died). A duplicate message is harmless: the claim in
`run_job` lets only one run happen and never re-runs a succeeded job.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy.orm import Session

from freight.jobs.outbox import remember
from freight.jobs.registry import JobContext, periodic
from freight.jobs.service import pending_jobs, stale_jobs

log = logging.getLogger("freight.jobs")


@periodic("jobs.relay", every_seconds=10)
def relay(session: Session, ctx: JobContext) -> int:
    """Queue every outbox row the broker does not (or may no longer) hold; returns how many."""
    settings, now = ctx.settings, ctx.now
    fresh = pending_jobs(session, older_than=now - timedelta(seconds=settings.relay_after_seconds))
    stale = stale_jobs(
        session, now=now,
        untouched_since=now - timedelta(seconds=settings.job_requeue_after_seconds),
    )  # fmt: skip
    for job in stale:
        job.updated_at = now  # restart its clock so the next relay does not send it again at once
    ids = [job.id for job in (*fresh, *stale)]
    for job_id in ids:
        remember(session, job_id)
    if ids:
        log.info("jobs.relayed pending=%s stale=%s", len(fresh), len(stale))
    return len(ids)
