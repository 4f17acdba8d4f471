"""The repair desk's day queues, shaped for the console (issue 11 §2)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from freight.claims.models import Claim
from freight.desk import repository
from freight.desk.schemas import DeskQueuesOut, DueKind, QueueItemOut, QueueName, QueueOut
from freight.repairs.models import RepairRequest
from freight.repairs.rules import RRStatus

API = "/api/v1"


def _item(rr: RepairRequest, due: date | None, kind: DueKind | None, today: date) -> QueueItemOut:
    return QueueItemOut(
        rr_number=rr.rr_number,
        status=rr.status,
        customer_name=rr.customer_name,
        due=due,
        due_kind=kind if due is not None else None,
        overdue=due is not None and due < today,
        href=f"{API}/repair-requests/{rr.rr_number}",
    )


def _rr_queue(
    name: QueueName, title: str, found: tuple[int, Sequence[RepairRequest]], today: date
) -> QueueOut:
    count, rrs = found
    items = [_item(rr, rr.repair_due, "repair_due", today) for rr in rrs]
    return QueueOut(name=name, title=title, count=count, items=items)


def _inbound_queue(
    found: tuple[int, Sequence[RepairRequest]], today: date, zone: ZoneInfo
) -> QueueOut:
    count, rrs = found
    items = [
        _item(rr, rr.inbound_deadline.astimezone(zone).date(), "inbound_deadline", today)
        for rr in rrs
    ]
    return QueueOut(name="expected_inbound", title="Expected inbound", count=count, items=items)


def _claims_queue(found: tuple[int, Sequence[tuple[Claim, str, str]]], today: date) -> QueueOut:
    count, rows = found
    items = [
        QueueItemOut(
            rr_number=rr_number,
            status=claim.status,
            customer_name=customer,
            due=claim.file_by,
            due_kind="file_by",
            overdue=claim.file_by < today,
            href=f"{API}/claims/{claim.id}",
            claim_id=claim.id,
            claim_status=claim.status,
        )
        for claim, rr_number, customer in rows
    ]
    return QueueOut(name="claims_due", title="Claims due soonest", count=count, items=items)


def day_queues(session: Session, *, now: datetime, timezone: str, limit: int) -> DeskQueuesOut:
    """Every queue of the desk's day; `today` and 'arrived today' are the depot's local day."""
    zone = ZoneInfo(timezone)
    today = now.astimezone(zone).date()
    start = datetime.combine(today, time.min, tzinfo=zone)
    end = datetime.combine(today + timedelta(days=1), time.min, tzinfo=zone)
    queues = [
        _inbound_queue(repository.expected_inbound(session, limit=limit), today, zone),
        _rr_queue(
            "arrived_today", "Arrived today",
            repository.arrived_between(session, start, end, limit=limit), today,
        ),
        _rr_queue(
            "in_repair", "Received / in repair",
            repository.in_statuses_by_repair_due(
                session, (RRStatus.RECEIVED, RRStatus.IN_REPAIR), limit=limit
            ),
            today,
        ),
        _rr_queue(
            "ready_to_ship", "Ready to ship",
            repository.in_status_oldest_first(session, RRStatus.READY_TO_SHIP, limit=limit), today,
        ),
        _rr_queue(
            "awaiting_payment", "Awaiting payment",
            repository.in_status_oldest_first(session, RRStatus.AWAITING_PAYMENT, limit=limit),
            today,
        ),
        _claims_queue(repository.claims_due(session, limit=limit), today),
    ]  # fmt: skip
    return DeskQueuesOut(today=today, timezone=timezone, queues=queues)
