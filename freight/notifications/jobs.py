"""Background jobs of notifications: render and send one email (retried by the runner)."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy.orm import Session

from freight.jobs.registry import JobContext
from freight.notifications.service import build_message, deliver

log = logging.getLogger("freight.notifications")


def send(
    session: Session, ctx: JobContext, *, key: str, kind: str, to: str, context: dict[str, Any]
) -> None:
    """Send one customer email; a claim email also marks the claim notified."""
    msg = build_message(ctx.settings, key=key, kind=kind, to=to, context=context, now=ctx.now)
    where = deliver(ctx.settings, msg, key=key)
    log.info("notification.sent kind=%s rr=%s to=%s via=%s", kind,
             context.get("rr_number"), to, where)  # fmt: skip
    if kind == "claim_opened" and context.get("claim_id"):
        from freight.claims.service import mark_notified

        mark_notified(session, claim_id=str(context["claim_id"]), now=ctx.now)
