"""Background jobs of claims: expire unfiled claims once the carrier deadline has passed."""

from __future__ import annotations

import logging
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from freight.claims import service
from freight.jobs.registry import JobContext

log = logging.getLogger("freight.claims")


def expire(session: Session, ctx: JobContext) -> int:
    """Daily: unfiled claims past file_by (in the company's time zone) become expired."""
    today = ctx.now.astimezone(ZoneInfo(ctx.settings.timezone)).date()
    count = service.expire_due(session, today=today, now=ctx.now)
    log.info("claims.expire.done expired=%d", count)
    return count
