"""The audit trail route (admin). Thin."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query

from freight.audit import service
from freight.audit.schemas import AuditEntryOut, AuditPage
from freight.deps import AdminDep, SessionDep
from freight.errors import invalid

router = APIRouter(prefix="/api/v1", tags=["audit"])
PROBLEM: dict[str, Any] = {"application/problem+json": {}}
_NO_CONTROL = r"^[^\x00-\x1f\x7f]*$"
Text = Annotated[str | None, Query(max_length=320, pattern=_NO_CONTROL)]


@router.get(
    "/audit",
    response_model=AuditPage,
    responses={
        401: {"description": "Not signed in", "content": PROBLEM},
        403: {"description": "Needs the admin role", "content": PROBLEM},
        422: {"description": "A bad filter or cursor (the field is named)", "content": PROBLEM},
    },
)
def list_audit(
    _: AdminDep,
    session: SessionDep,
    actor: Text = None,
    action: Text = None,
    from_: Annotated[
        str | None, Query(alias="from", max_length=40, description="ISO date or date-time")
    ] = None,
    to: Annotated[
        str | None, Query(max_length=40, description="ISO date (whole day) or date-time")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=100)] = None,
) -> AuditPage:
    """Who changed what, when: every change through the API, sign-ins, lockouts, user and
    token changes; newest first, filtered by actor, action and time; follow next_cursor."""
    page = service.list_entries(
        session, actor=actor, action=action, start=_moment("from", from_, end=False),
        end=_moment("to", to, end=True), limit=limit, cursor=cursor,
    )  # fmt: skip
    return AuditPage(
        items=[AuditEntryOut.model_validate(e, from_attributes=True) for e in page.items],
        next_cursor=page.next_cursor,
    )


def _moment(name: str, value: str | None, *, end: bool) -> datetime | None:
    """ISO date or date-time (UTC when no offset); a bare `to` date includes that whole day."""
    if value is None or not value.strip():
        return None
    text = value.strip().replace("Z", "+00:00")
    try:
        moment = date.fromisoformat(text) if len(text) == 10 else datetime.fromisoformat(text)
    except ValueError as exc:
        raise invalid(name, f"'{value}' is not an ISO-8601 date or date-time") from exc
    if not 1900 <= moment.year <= 2200:
        raise invalid(name, "must be between the years 1900 and 2200")
    if not isinstance(moment, datetime):
        return datetime.combine(moment + timedelta(days=1 if end else 0), time(0), tzinfo=UTC)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
