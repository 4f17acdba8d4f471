"""Response models of the desk queues."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel

QueueName = Literal[
    "expected_inbound",
    "arrived_today",
    "in_repair",
    "ready_to_ship",
    "awaiting_payment",
    "claims_due",
]
DueKind = Literal["inbound_deadline", "repair_due", "file_by"]


class QueueItemOut(BaseModel):
    rr_number: str
    status: str
    customer_name: str
    due: date | None  # the date this row is judged by (see due_kind), in the depot's timezone
    due_kind: DueKind | None
    overdue: bool
    href: str  # the RR in the API
    claim_id: str | None = None
    claim_status: str | None = None


class QueueOut(BaseModel):
    name: QueueName
    title: str
    count: int  # every member; `items` holds the first `limit`
    items: list[QueueItemOut]


class DeskQueuesOut(BaseModel):
    today: date
    timezone: str
    queues: list[QueueOut]
