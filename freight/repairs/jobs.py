"""Background jobs of this feature (registered in freight.jobs.registry)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from freight.jobs.registry import JobContext
from freight.repairs.deadlines import auto_cancel_expired, flag_overdue_repairs


def auto_cancel(session: Session, ctx: JobContext) -> list[str]:
    """P-30DAY: cancel RRs past their 30-day inbound window with no carrier scan."""
    return auto_cancel_expired(session, now=ctx.now, settings=ctx.settings)


def flag_overdue(session: Session, ctx: JobContext) -> list[str]:
    """P-SLA: flag repairs past their 21-working-day due date."""
    return flag_overdue_repairs(session, now=ctx.now, settings=ctx.settings)
