"""Deadline sweeps run by beat: P-30DAY auto-cancel and P-SLA overdue flags. Never commits."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from freight.advance.models import AdvanceReplacement
from freight.advance.rules import HOLD, holds_auto_cancel
from freight.notifications import hooks
from freight.policy import business_calendar
from freight.repairs.lifecycle import move
from freight.repairs.models import RepairRequest
from freight.repairs.rules import RRStatus, auto_cancel_decision
from freight.settings import Settings

log = logging.getLogger("freight.repairs")

SYSTEM_ACTOR = "system"
SLA_STATUSES = (RRStatus.RECEIVED.value, RRStatus.IN_REPAIR.value)


def _locked(session: Session, stmt: Select[RepairRequest], limit: int) -> list[RepairRequest]:
    """Rows locked for this sweep (skipping rows another sweep or request holds)."""
    query = stmt.order_by(RepairRequest.id).limit(limit).with_for_update(skip_locked=True)
    return list(session.scalars(query))


def auto_cancel_expired(
    session: Session, *, now: datetime, settings: Settings, limit: int = 500
) -> list[str]:
    """P-30DAY: cancel issued RRs past their inbound window with no carrier scan or receipt;
    ADV-HOLD: not while an advance replacement's card is saved (its own return window runs)."""
    stmt = select(RepairRequest).where(
        RepairRequest.status == RRStatus.ISSUED.value, RepairRequest.inbound_deadline <= now
    )
    cancelled: list[str] = []
    rows = _locked(session, stmt, limit)
    held = select(AdvanceReplacement.rr_id, AdvanceReplacement.state).where(
        AdvanceReplacement.rr_id.in_([rr.id for rr in rows])
    )
    advances = dict(session.execute(held).tuples().all())
    for rr in rows:
        if holds_auto_cancel(advances.get(rr.id)):
            log.info("rr.auto_cancel_held rr=%s rule=%s", rr.rr_number, HOLD)
            continue
        decision = auto_cancel_decision(
            status=RRStatus(rr.status), issued_at=rr.issued_at,
            first_carrier_scan_at=rr.first_carrier_scan_at, received_at=rr.received_at,
            now=now, days=settings.inbound_window_days,
        )  # fmt: skip
        if decision is None:
            continue
        move(session, rr, RRStatus.CANCELLED, actor=SYSTEM_ACTOR, at=now,
            rule=decision.rule, note=decision.reason,
        )  # fmt: skip
        hooks.auto_cancelled(session, rr=rr, reason=decision.reason, rule=decision.rule)
        cancelled.append(rr.rr_number)
        log.info("rr.auto_cancelled rr=%s rule=%s", rr.rr_number, decision.rule)
    return cancelled


def flag_overdue_repairs(
    session: Session, *, now: datetime, settings: Settings, limit: int = 500
) -> list[str]:
    """P-SLA: mark repairs whose due date (21 working days after receipt) has passed, once."""
    today = business_calendar(settings).local_date(now)
    stmt = select(RepairRequest).where(
        RepairRequest.status.in_(SLA_STATUSES),
        RepairRequest.repair_due.is_not(None),
        RepairRequest.repair_due < today,
        RepairRequest.sla_flagged_at.is_(None),
    )
    flagged: list[str] = []
    for rr in _locked(session, stmt, limit):
        rr.sla_flagged_at = now
        flagged.append(rr.rr_number)
        log.warning("rr.sla_overdue rr=%s due=%s", rr.rr_number, rr.repair_due)
    return flagged
