"""The audit trail route (admin). Thin."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated

from fastapi import APIRouter, Query

from freight.audit import service
from freight.audit.schemas import AuditEntryOut, AuditPage
from freight.deps import AdminDep, SessionDep
from freight.errors import invalid
from freight.schemas import problem_responses

router = APIRouter(prefix="/api/v1", tags=["audit"])
_NO_CONTROL = r"^[^\x00-\x1f\x7f]*$"
Text = Annotated[str | None, Query(max_length=320, pattern=_NO_CONTROL)]
_MOMENT = {
    "anyOf": [{"type": "string", "format": "date"}, {"type": "string", "format": "date-time"}]
}


@router.get(
    "/audit",
    response_model=AuditPage,
    responses=problem_responses(
        {
            401: "Not signed in (or no bearer token)",
            403: "Needs the admin role (or a cookie request without its CSRF token)",
            422: "A bad filter or cursor (errors name the field)",
        }
    ),
)
def list_audit(
    _: AdminDep,
    session: SessionDep,
    actor: Text = None,
    action: Text = None,
    from_: Annotated[
        str | None,
        Query(alias="from", description="ISO date or date-time", json_schema_extra=_MOMENT),
    ] = None,
    to: Annotated[
        str | None,
        Query(description="ISO date (that whole day) or date-time", json_schema_extra=_MOMENT),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(pattern=service.CURSOR_PATTERN)] = None,
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
    """An ISO date or RFC 3339 date-time (UTC when no offset); a bare `to` date includes that
    whole day. Any valid date is accepted: a filter only narrows the listing."""
    if value is None:
        return None
    text = value.strip().upper().replace("Z", "+00:00")
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            start = datetime.combine(day, time(0), tzinfo=UTC)
            return start + timedelta(days=1) if end and day < date.max else start
        # RFC 3339 allows a leap second; Python's datetime has none.
        moment = datetime.fromisoformat(re.sub(r"(T\d\d:\d\d):60", r"\1:59", text))
    except ValueError as exc:
        raise invalid(name, f"'{value}' is not an ISO-8601 date or date-time") from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
