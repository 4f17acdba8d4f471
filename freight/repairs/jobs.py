"""Background jobs of this feature (registered in freight.jobs.registry)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from freight.jobs.registry import JobContext, periodic
from freight.repairs.deadlines import auto_cancel_expired, flag_overdue_repairs


@periodic("repairs.auto_cancel", every_seconds=15 * 60)
def auto_cancel(session: Session, ctx: JobContext) -> list[str]:
    """P-30DAY: cancel RRs past their 30-day inbound window with no carrier scan."""
    return auto_cancel_expired(session, now=ctx.now, settings=ctx.settings)


@periodic("repairs.flag_overdue", every_seconds=60 * 60)
def flag_overdue(session: Session, ctx: JobContext) -> list[str]:
    """P-SLA: flag repairs past their 21-working-day due date."""
    return flag_overdue_repairs(session, now=ctx.now, settings=ctx.settings)
