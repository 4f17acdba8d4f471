"""Repair desk routes (staff): the day's queues."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from freight.deps import NowDep, SessionDep, SettingsDep, StaffDep
from freight.desk import service
from freight.desk.schemas import DeskQueuesOut

router = APIRouter(prefix="/api/v1", tags=["desk"])


@router.get("/desk/queues", response_model=DeskQueuesOut)
def desk_queues(
    _: StaffDep,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> DeskQueuesOut:
    """The desk's day: expected inbound, arrived today, received / in repair (overdue first),
    ready to ship, awaiting payment, claims due soonest; each with its full count."""
    return service.day_queues(session, now=now, timezone=settings.timezone, limit=limit)
